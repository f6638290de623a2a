import { RuntimeError } from '../errors.js';
import type { RunFile } from './run-file.js';

/** Progress of a job, reported after each finished item. */
export interface JobProgress {
  /** Items finished, including those found already done in the run file. */
  done: number;
  total: number;
  /** Items that were already in the run file when the job started. */
  resumed: number;
  elapsedMs: number;
  /** Estimated time left from this run's pace; undefined until one item has finished in this run. */
  etaMs: number | undefined;
}

/** A resumable job: the items, how each is keyed and worked on, and where results go. */
export interface RunJobOptions<Item, Result> {
  items: readonly Item[];
  /** A stable key per item, e.g. `image_id:annotation_id:objective`; keys must be unique. */
  keyOf: (item: Item) => string;
  /** Does one item; the signal fires when the job is aborted. */
  work: (item: Item, context: { signal: AbortSignal }) => Promise<Result>;
  runFile: RunFile<Result>;
  /** Items worked on at once (default 1). */
  concurrency?: number;
  /** Called after each finished item (apps draw progress; the library never prints). */
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

/** One line of a job's run file: the item's key, the item and its result. */
export interface JobEntry<Item, Result> {
  item: Item;
  key: string;
  result: Result;
}

/**
 * Run `work` for every item whose key is not yet in the run file, at most `concurrency` at a time, appending each
 * result as it finishes. Returns every item's result in item order, so what is built from it is the same whether
 * the job ran once or was killed and resumed. The first error stops new work; items in flight finish and are kept.
 */
export async function runJob<Item, Result>(options: RunJobOptions<Item, Result>): Promise<JobEntry<Item, Result>[]> {
  const { items, keyOf, work, runFile, onProgress, signal } = options;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RuntimeError('BAD_INPUT', `concurrency must be a positive integer, got ${concurrency}`);
  }
  const keys = items.map(keyOf);
  const seen = new Set<string>();
  for (const [i, key] of keys.entries()) {
    if (seen.has(key)) throw new RuntimeError('BAD_INPUT', `duplicate job key ${JSON.stringify(key)} at item ${i}`);
    seen.add(key);
  }

  const pending = keys.flatMap((key, i) => (runFile.has(key) ? [] : [i]));
  const resumed = items.length - pending.length;
  const started = performance.now();
  let finishedHere = 0;
  const report = () => {
    if (!onProgress) return;
    const elapsedMs = performance.now() - started;
    const left = pending.length - finishedHere;
    onProgress({
      done: resumed + finishedHere,
      total: items.length,
      resumed,
      elapsedMs,
      etaMs: finishedHere > 0 ? (elapsedMs / finishedHere) * left : undefined,
    });
  };
  report();

  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < pending.length && !stop.signal.aborted) {
      const index = pending[next++]!;
      try {
        const result = await work(items[index]!, { signal: stop.signal });
        await runFile.append(keys[index]!, result);
        finishedHere++;
        report();
      } catch (error) {
        if (failure === undefined) failure = error;
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  if (signal?.aborted) throw new RuntimeError('ABORTED', 'job was aborted', { cause: signal.reason });

  return items.map((item, i) => ({ item, key: keys[i]!, result: runFile.done.get(keys[i]!) as Result }));
}
