// Reading the JSON object files of a model directory, with errors that name the file.
import { readFile } from 'node:fs/promises';
import { RuntimeError } from './errors.js';

/** A file's text, or undefined when it does not exist (other read errors name the file). */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError('MODEL_FILES', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Parse a JSON object, naming `path` when it is not one. */
export function parseJsonObject(text: string, path: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    throw new Error('not a JSON object');
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `${path} is not a valid JSON object: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** A JSON object file; a missing optional one reads as {}, a missing required one is an error naming it. */
export async function readJsonObject(path: string, required: boolean): Promise<Record<string, unknown>> {
  const text = await readOptionalText(path);
  if (text === undefined) {
    if (!required) return {};
    throw new RuntimeError('MODEL_FILES', `model file ${path} is missing`);
  }
  return parseJsonObject(text, path);
}
