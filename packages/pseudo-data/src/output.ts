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

export interface RecordWriter {
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
  let buffer = format === 'json' ? '[' : '';
  const flush = async () => {
    if (failure) throw new PseudoDataError('IO', `cannot write ${tmp}: ${failure.message}`, { cause: failure });
    if (buffer.length === 0) return;
    const ok = stream.write(buffer);
    buffer = '';
    if (!ok) {
      await new Promise<void>((resolve, reject) => {
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
    }
  };
  const abort = async () => {
    stream.destroy();
    await rm(tmp, { force: true });
  };
  return {
    async write(record) {
      const line = JSON.stringify(record);
      if (format === 'json') buffer += count === 0 ? `\n${line}` : `,\n${line}`;
      else buffer += `${line}\n`;
      count++;
      if (buffer.length >= 1 << 20) await flush();
    },
    async close() {
      try {
        if (format === 'json') buffer += count === 0 ? ']\n' : '\n]\n';
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
