import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { openRunFile } from './run-file.js';

const scratch = () => mkdtemp(join(tmpdir(), 'locvlm-run-file-'));

describe('openRunFile', () => {
  it('writes the config first, then one line per item, and reads them back on reopen', async () => {
    const path = join(await scratch(), 'nested', 'run.jsonl');
    const run = await openRunFile<{ text: string }>(path, { task: 'pope', temperature: 0 });
    await run.append('a', { text: 'yes' });
    await run.append('b', { text: 'no' });
    await run.close();
    expect(await readFile(path, 'utf8')).toBe(
      '{"config":{"task":"pope","temperature":0}}\n{"key":"a","value":{"text":"yes"}}\n{"key":"b","value":{"text":"no"}}\n',
    );

    const again = await openRunFile<{ text: string }>(path, { temperature: 0, task: 'pope' });
    expect([...again.done.keys()]).toEqual(['a', 'b']);
    expect(again.has('b')).toBe(true);
    await again.append('c', { text: 'yes' });
    await again.close();
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  it('drops a torn last line and keeps everything before it', async () => {
    const path = join(await scratch(), 'run.jsonl');
    await writeFile(path, '{"config":{"n":1}}\n{"key":"a","value":1}\n{"key":"b","val');
    const run = await openRunFile<number>(path, { n: 1 });
    expect([...run.done.entries()]).toEqual([['a', 1]]);
    await run.append('b', 2);
    await run.close();
    expect(await readFile(path, 'utf8')).toBe('{"config":{"n":1}}\n{"key":"a","value":1}\n{"key":"b","value":2}\n');
  });

  it('starts afresh when only a torn header was written', async () => {
    const path = join(await scratch(), 'run.jsonl');
    await writeFile(path, '{"config":{"n"');
    const run = await openRunFile<number>(path, { n: 1 });
    expect(run.done.size).toBe(0);
    await run.close();
    expect(await readFile(path, 'utf8')).toBe('{"config":{"n":1}}\n');
  });

  it('refuses to resume with a different configuration and says what differs', async () => {
    const path = join(await scratch(), 'run.jsonl');
    await (await openRunFile(path, { model: 'a', options: { temperature: 0.2 } })).close();
    const attempt = openRunFile(path, { model: 'a', options: { temperature: 0 } });
    await expect(attempt).rejects.toBeInstanceOf(RuntimeError);
    await expect(attempt).rejects.toThrow('config.options.temperature: 0.2 before, 0 now');
  });

  it('names the line of a corrupt entry in the middle of the file', async () => {
    const path = join(await scratch(), 'run.jsonl');
    await writeFile(path, '{"config":null}\n{"key":"a","value":1}\nnot json\n{"key":"c","value":3}\n');
    await expect(openRunFile(path, null)).rejects.toThrow(`${path}:3 is not valid JSON`);
  });

  it('never interleaves lines from concurrent appends', async () => {
    const path = join(await scratch(), 'run.jsonl');
    const run = await openRunFile<string>(path, {});
    await Promise.all(Array.from({ length: 200 }, (_, i) => run.append(`k${i}`, 'x'.repeat(i * 50))));
    await run.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').slice(1);
    expect(lines.map((line) => JSON.parse(line).key)).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`));
  });

  it('survives kill -9 in the middle of appending: every whole line is kept, none is corrupt', async () => {
    const path = join(await scratch(), 'run.jsonl');
    const moduleUrl = new URL('./run-file.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { openRunFile } = await import(${JSON.stringify(moduleUrl)});
         const run = await openRunFile(${JSON.stringify(path)}, { job: 'kill' });
         for (let i = 0; ; i++) await run.append('item' + i, { payload: 'y'.repeat(4000), i });`,
      ],
      { stdio: 'ignore' },
    );
    // Wait until the child has written a good number of lines, then kill it without warning.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const text = await readFile(path, 'utf8').catch(() => '');
      if (text.split('\n').length > 300) break;
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const run = await openRunFile<{ i: number }>(path, { job: 'kill' });
    const indices = [...run.done.values()].map((value) => value.i);
    expect(indices.length).toBeGreaterThan(299);
    expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => i));
    await run.close();
  });
});
