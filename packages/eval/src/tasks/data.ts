// Reading annotation files at the boundary: JSON parse + zod validation with messages naming the file and JSON path.
import { readFileSync } from 'node:fs';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { z } from 'zod';
import { EvaluationError } from '../errors.js';

/** Validate parsed JSON against a schema; the error names the source and the first bad JSON path. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? `$${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}` : '$';
  throw new EvaluationError('DATA', `${source}: ${path}: ${issue?.message ?? 'invalid'}`, { cause: result.error });
}

/** Read and parse a JSON file, then validate it. */
export function readJsonFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EvaluationError('DATA', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EvaluationError('DATA', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return validate(schema, value, file);
}

/** Read a JSONL file (one JSON value a line, blank lines skipped), validating each line. */
export function readJsonLinesFile<S extends z.ZodType>(schema: S, file: string): z.infer<S>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EvaluationError('DATA', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const out: z.infer<S>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new EvaluationError('DATA', `${file}:${i + 1} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    out.push(validate(schema, value, `${file}:${i + 1}`));
  }
  return out;
}

/** A seeded random source, identical on every platform for the same seed. */
export interface SeededRandom {
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** `count` distinct elements in random order (all of them, shuffled, when count >= length). */
  sample<T>(items: readonly T[], count: number): T[];
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): SeededRandom {
  const rng = xoroshiro128plus(seed);
  const int = (min: number, max: number) => uniformInt(rng, min, max);
  return {
    int,
    sample<T>(items: readonly T[], count: number): T[] {
      // Partial Fisher-Yates over a copy: the first `count` slots end up a uniform sample without replacement.
      const copy = items.slice();
      const n = Math.min(count, copy.length);
      for (let i = 0; i < n; i++) {
        const j = int(i, copy.length - 1);
        const tmp = copy[i]!;
        copy[i] = copy[j]!;
        copy[j] = tmp;
      }
      return copy.slice(0, n);
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new EvaluationError('BAD_INPUT', 'cannot pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
  };
}

/** `a` or `an` by the first letter of the word (vowel letters), as the paper's questions read. */
export function indefiniteArticle(word: string): 'a' | 'an' {
  return /^[aeiou]/i.test(word.trim()) ? 'an' : 'a';
}

/** Join an image root and a file name unless the name is already absolute or a URL. */
export function resolveImagePath(root: string | undefined, file: string): string {
  if (!root || file.startsWith('/') || /^[a-z]+:/i.test(file)) return file;
  return `${root.replace(/\/+$/, '')}/${file}`;
}
