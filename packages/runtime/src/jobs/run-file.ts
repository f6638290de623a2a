import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RuntimeError } from '../errors.js';

/** Anything JSON can hold: a job's configuration and every result in a run file are of this kind. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * An append-only JSONL file of finished work items, so a long job can be killed at any moment and resumed.
 * Line 1: `{"config": ...}`, the job's configuration. Then one `{"key": ..., "value": ...}` line per finished item.
 */
export interface RunFile<T> {
  readonly path: string;
  /** Results already in the file when it was opened, plus those appended since, by key. */
  readonly done: ReadonlyMap<string, T>;
  /** Whether an entry with this key is already in the file (done in an earlier run). */
  has(key: string): boolean;
  /** Append one finished item. Appends are written in call order, one whole line each. */
  append(key: string, value: T): Promise<void>;
  /** Flush and close the file. */
  close(): Promise<void>;
}

/**
 * Open (or create) a run file for a job with this configuration. A torn last line (the process was killed while
 * writing it) is dropped; a file made with a different configuration is refused with the differences named.
 */
export async function openRunFile<T>(path: string, config: JsonValue): Promise<RunFile<T>> {
  const done = new Map<string, T>();
  let needsHeader = true;
  let existing: string | undefined;
  try {
    existing = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RuntimeError('BAD_INPUT', `cannot read run file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  if (existing !== undefined && existing.length > 0) {
    // Everything after the last newline is a line that was being written when the process died.
    const complete = existing.slice(0, existing.lastIndexOf('\n') + 1);
    if (complete.length < existing.length) await truncate(path, Buffer.byteLength(complete));
    const lines = complete.split('\n').slice(0, -1);
    if (lines.length > 0) {
      needsHeader = false;
      const header = parseLine(lines[0]!, path, 1) as { config?: JsonValue };
      if (!header || typeof header !== 'object' || !('config' in header)) {
        throw new RuntimeError('BAD_INPUT', `${path}:1 is not a run file header (expected {"config": ...})`);
      }
      const differences = diffJson(header.config as JsonValue, config);
      if (differences.length > 0) {
        throw new RuntimeError(
          'BAD_INPUT',
          `run file ${path} was started with a different configuration (${differences.join('; ')}); ` +
            'resume with the same settings, or write to a new output',
        );
      }
      for (let i = 1; i < lines.length; i++) {
        const entry = parseLine(lines[i]!, path, i + 1) as { key?: unknown; value?: T };
        if (typeof entry?.key !== 'string' || !('value' in entry)) {
          throw new RuntimeError('BAD_INPUT', `${path}:${i + 1} is not a run file entry (expected {"key", "value"})`);
        }
        done.set(entry.key, entry.value as T);
      }
    }
  }

  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a');
  if (needsHeader) await handle.write(`${JSON.stringify({ config })}\n`);
  // Appends are chained so concurrent callers never interleave partial lines.
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    path,
    done,
    has: (key) => done.has(key),
    append(key, value) {
      if (closed) return Promise.reject(new RuntimeError('BAD_INPUT', `run file ${path} is closed`));
      const line = `${JSON.stringify({ key, value })}\n`;
      const write = tail.then(async () => {
        await handle.write(line);
        done.set(key, value);
      });
      tail = write.catch(() => {});
      return write;
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      await handle.close();
    },
  };
}

function parseLine(line: string, path: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new RuntimeError('BAD_INPUT', `${path}:${lineNumber} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Where two JSON values differ, as `path: before -> now` strings. */
export function diffJson(before: JsonValue, now: JsonValue, path = 'config'): string[] {
  if (before === now) return [];
  const isObject = (v: JsonValue): v is { [key: string]: JsonValue } =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(now)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
    return keys.flatMap((key) => diffJson(before[key] ?? null, now[key] ?? null, `${path}.${key}`));
  }
  if (Array.isArray(before) && Array.isArray(now) && before.length === now.length) {
    return before.flatMap((item, i) => diffJson(item, now[i]!, `${path}[${i}]`));
  }
  return [`${path}: ${JSON.stringify(before)} before, ${JSON.stringify(now)} now`];
}
