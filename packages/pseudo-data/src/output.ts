// Final artefacts: written to a temporary file in the same folder and renamed into place, so a reader never sees
// half a file and a failed run leaves nothing behind. Streamed, because a Localize-Instruct JSON for COCO train is
// larger than the longest string V8 can hold.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PseudoDataError } from './errors.js';

/** JSON (one array, one record per line) or JSONL (one record per line). */
export type RecordFormat = 'json' | 'jsonl';

/** Writes records to a JSON or JSONL file. */
export interface RecordWriter {
  /** Append one record. */
  write(record: unknown): Promise<void>;
  /** Finish, flush to disk and rename into place. */
  close(): Promise<void>;
  /** Remove the temporary file; the target is untouched. */
  abort(): Promise<void>;
}

/** Write records to `path` in `format`, atomically: nothing is at `path` until `close()` succeeds. */
export async function openRecordWriter(path: string, format: RecordFormat): Promise<RecordWriter> {
  if (format !== 'json' && format !== 'jsonl') {
    throw new PseudoDataError('BAD_OPTION', `format must be 'json' or 'jsonl', got ${JSON.stringify(format)}`);
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  // A deep write queue: building goes on while the file system catches up, instead of idling at every 1 MiB.
  const stream = createWriteStream(tmp, { highWaterMark: 16 << 20 });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure = error;
  });
  let count = 0;
  // Records are encoded straight into a 4 MiB buffer (no growing string to flatten and encode again), handed to the
  // stream when full; a fresh buffer follows, since the stream may still hold the last one.
  const BUFFER_BYTES = 4 << 20;
  let buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  const waitForDrain = () =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        stream.off('drain', onDrain);
        stream.off('error', done);
        if (error) reject(new PseudoDataError('IO', `cannot write ${tmp}: ${error.message}`, { cause: error }));
        else resolve();
      };
      const onDrain = () => done();
      stream.on('drain', onDrain);
      stream.on('error', done);
    });
  const flush = async () => {
    if (failure) throw new PseudoDataError('IO', `cannot write ${tmp}: ${failure.message}`, { cause: failure });
    if (used === 0) return;
    const ok = stream.write(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    used = 0;
    if (!ok) await waitForDrain();
  };
  /** Append text; a UTF-8 character takes at most 3 bytes per UTF-16 unit, so `3 * length` bytes always suffice. */
  const append = async (text: string) => {
    if (used + 3 * text.length > BUFFER_BYTES) {
      await flush();
      if (3 * text.length > BUFFER_BYTES) {
        if (!stream.write(text)) await waitForDrain();
        return;
      }
    }
    used += buffer.write(text, used);
  };
  if (format === 'json') await append('[');
  const abort = async () => {
    stream.destroy();
    // The stream opens its file asynchronously: wait until it is closed, or the open may land after the rm and
    // leave the temporary file behind.
    if (!stream.closed) await once(stream, 'close').catch(() => undefined);
    await rm(tmp, { force: true });
  };
  return {
    async write(record) {
      const line = JSON.stringify(record);
      if (format === 'json') await append(count === 0 ? `\n${line}` : `,\n${line}`);
      else await append(`${line}\n`);
      count++;
    },
    async close() {
      try {
        if (format === 'json') await append(count === 0 ? ']\n' : '\n]\n');
        await flush();
        stream.end();
        await once(stream, 'finish');
        if (failure) throw new PseudoDataError('IO', `cannot write ${tmp}: ${failure.message}`, { cause: failure });
        const handle = await open(tmp, 'r+');
        await handle.sync();
        await handle.close();
        await rename(tmp, path);
      } catch (error) {
        await abort();
        if (error instanceof PseudoDataError) throw error;
        throw new PseudoDataError('IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
      }
    },
    abort,
  };
}
