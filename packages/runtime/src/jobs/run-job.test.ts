import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRunFile } from './run-file.js';
import { type JobProgress, runJob } from './run-job.js';

const newRunFile = async <T>(config = {}) =>
  openRunFile<T>(join(await mkdtemp(join(tmpdir(), 'locvlm-run-job-')), 'run.jsonl'), config);

describe('runJob', () => {
  const items = Array.from({ length: 20 }, (_, i) => ({ id: i }));
  const keyOf = (item: { id: number }) => `item:${item.id}`;

  it('returns results in item order whatever order work finishes in, with bounded concurrency', async () => {
    const runFile = await newRunFile<number>();
    let running = 0;
    let mostAtOnce = 0;
    const entries = await runJob({
      items,
      keyOf,
      runFile,
      concurrency: 3,
      work: async (item) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, (item.id * 7) % 5));
        running--;
        return item.id * 10;
      },
    });
    expect(entries.map((entry) => entry.result)).toEqual(items.map((item) => item.id * 10));
    expect(mostAtOnce).toBe(3);
    await runFile.close();
  });

  it('resumes: items already in the run file are not worked on again', async () => {
    const runFile = await newRunFile<number>();
    await runFile.append('item:3', 30);
    await runFile.append('item:7', 70);
    const worked: number[] = [];
    const progress: JobProgress[] = [];
    const entries = await runJob({
      items,
      keyOf,
      runFile,
      work: async (item) => {
        worked.push(item.id);
        return item.id * 10;
      },
      onProgress: (p) => progress.push(p),
    });
    expect(worked).not.toContain(3);
    expect(worked).not.toContain(7);
    expect(worked).toHaveLength(18);
    expect(entries[3]!.result).toBe(30);
    expect(progress[0]).toMatchObject({ done: 2, total: 20, resumed: 2, etaMs: undefined });
    expect(progress.at(-1)).toMatchObject({ done: 20, total: 20 });
    await runFile.close();
  });

  it('stops at the first error, keeps what finished, and rethrows', async () => {
    const runFile = await newRunFile<number>();
    const failing = runJob({
      items,
      keyOf,
      runFile,
      work: async (item) => {
        if (item.id === 5) throw new Error('model refused item 5');
        return item.id;
      },
    });
    await expect(failing).rejects.toThrow('model refused item 5');
    expect([...runFile.done.keys()]).toEqual(['item:0', 'item:1', 'item:2', 'item:3', 'item:4']);
    await runFile.close();
  });

  it('refuses duplicate keys before doing any work', async () => {
    const runFile = await newRunFile<number>();
    await expect(runJob({ items: [{ id: 1 }, { id: 1 }], keyOf, runFile, work: async () => 1 })).rejects.toThrow(
      'duplicate job key "item:1" at item 1',
    );
    await runFile.close();
  });
});
