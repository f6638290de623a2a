import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { PromptError } from './errors.js';

/** A seed: any integer or string. Numbers and strings never collide (`1` and `'1'` are different seeds). */
export type Seed = number | string;

/**
 * A seeded random stream. Every draw is computed with 32-bit integer arithmetic (pure-rand's xoroshiro128+ and its
 * unbiased `uniformInt`), so the same seed gives the same values on every platform and Node version.
 */
export interface Rng {
  /** A uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element, uniformly. Throws on an empty list. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher-Yates); the input is left as it was. */
  shuffle<T>(items: readonly T[]): T[];
  /** `count` distinct elements in random order (without replacement). Throws if `count` exceeds the list. */
  sample<T>(items: readonly T[], count: number): T[];
}

/**
 * A random stream for `seed`, optionally narrowed by keys. `createRng(seed, recordId)` gives each record its own
 * stream, so a record's draws do not depend on which records were built before it: a resumed or parallel job
 * reproduces exactly the records of a single run.
 */
export function createRng(seed: Seed, ...keys: (string | number)[]): Rng {
  checkSeedPart(seed, 'seed');
  for (const [i, key] of keys.entries()) checkSeedPart(key, `keys[${i}]`);
  return new XoroshiroRng(xoroshiro128plusFromState(stateFromText(JSON.stringify([seed, ...keys]))));
}

function checkSeedPart(value: unknown, where: string): void {
  if (typeof value === 'string') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  throw new PromptError('BAD_INPUT', `createRng: ${where} must be a finite number or a string, got ${String(value)}`);
}

class XoroshiroRng implements Rng {
  readonly #generator: RandomGenerator;
  constructor(generator: RandomGenerator) {
    this.#generator = generator;
  }

  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new PromptError('BAD_INPUT', `Rng.int: need integers min <= max, got min=${min}, max=${max}`);
    }
    return uniformInt(this.#generator, min, max);
  }

  float(): number {
    // Same construction as pure-rand's uniformFloat64: 26 + 27 random bits.
    const high = this.#generator.next() & 0x3ffffff;
    const low = this.#generator.next() & 0x7ffffff;
    return (high * 2 ** 27 + low) / 2 ** 53;
  }

  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new PromptError('BAD_INPUT', `Rng.chance: p must be in [0, 1], got ${p}`);
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new PromptError('BAD_INPUT', 'Rng.pick: the list is empty');
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  sample<T>(items: readonly T[], count: number): T[] {
    if (!Number.isSafeInteger(count) || count < 0 || count > items.length) {
      throw new PromptError('BAD_INPUT', `Rng.sample: count must be an integer in [0, ${items.length}], got ${count}`);
    }
    // Partial Fisher-Yates: only the first `count` positions are drawn.
    const out = items.slice();
    for (let i = 0; i < count; i++) {
      const j = this.int(i, out.length - 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out.slice(0, count);
  }
}

/**
 * 128 bits of generator state from text (cyrb128, a public-domain string hash). Only used to turn a seed and keys
 * into a starting state; the random stream itself comes from pure-rand.
 */
function stateFromText(text: string): number[] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  // xoroshiro128+ must not start from the all-zero state.
  if ((h1 | h2 | h3 | h4) === 0) h4 = 1;
  return [h1 | 0, h2 | 0, h3 | 0, h4 | 0];
}
