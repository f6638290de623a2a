// Next-token choice from one row of logits: greedy, or temperature + top-p sampling with a seeded generator.

/** A small seeded generator (sfc32) so sampled answers can be reproduced from `seed`. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    // splitmix32 spreads the seed over the four words of state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
}

/** Index of the largest value (the first one on ties, as argmax does). */
export function argmax(logits: Float32Array, offset = 0, length = logits.length - offset): number {
  let best = 0;
  let bestValue = logits[offset]!;
  for (let i = 1; i < length; i++) {
    const v = logits[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

export interface SamplingParams {
  temperature: number;
  topP: number;
}

/**
 * Sample from softmax(logits / temperature), keeping the smallest set of most likely tokens whose probability
 * reaches topP (always at least one), as Hugging Face's TopPLogitsWarper does.
 */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  length: number,
  params: SamplingParams,
  random: SeededRandom,
): number {
  if (params.temperature <= 0) return argmax(logits, offset, length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]!);
  const probs = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const p = Math.exp((logits[offset + i]! - max) / params.temperature);
    probs[i] = p;
    sum += p;
  }
  let candidates: number[];
  if (params.topP < 1) {
    const order = Array.from({ length }, (_, i) => i).sort((x, y) => probs[y]! - probs[x]! || x - y);
    candidates = [];
    let cumulative = 0;
    for (const i of order) {
      candidates.push(i);
      cumulative += probs[i]! / sum;
      if (cumulative >= params.topP) break;
    }
  } else {
    candidates = Array.from({ length }, (_, i) => i);
  }
  let total = 0;
  for (const i of candidates) total += probs[i]!;
  let r = random.next() * total;
  for (const i of candidates) {
    r -= probs[i]!;
    if (r < 0) return i;
  }
  return candidates[candidates.length - 1]!;
}
