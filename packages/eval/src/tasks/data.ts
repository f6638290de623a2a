// Reading annotation files at the boundary: JSON parse + zod validation with messages naming the file and JSON path.
import { readFileSync } from 'node:fs';
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

/** Join an image root and a file name unless the name is already absolute or a URL. */
export function resolveImagePath(root: string | undefined, file: string): string {
  if (!root || file.startsWith('/') || /^[a-z]+:/i.test(file)) return file;
  return `${root.replace(/\/+$/, '')}/${file}`;
}
