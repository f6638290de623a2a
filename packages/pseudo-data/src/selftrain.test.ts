import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCaption } from './selftrain.js';
import { startFakeOpenAi } from './test-support/fake-openai.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const child = new URL('./test-support/prefcoco-child.ts', import.meta.url).pathname;
const imagesDir = join(fixtures, 'images');

describe('cleanCaption', () => {
  it('keeps the first sentence, cleaned', () => {
    expect(cleanCaption('  "A red stop sign on the right.  It is tall." ')).toBe('A red stop sign on the right.');
    expect(cleanCaption('Sure! the dog sits next to the bench. Another.')).toBe('The dog sits next to the bench.');
    expect(cleanCaption('a cup holding 3.5 litres of tea')).toBe('A cup holding 3.5 litres of tea.');
    expect(cleanCaption('   ')).toBeNull();
    expect(cleanCaption('...')).toBeNull();
  });
});

/** A COCO file of 40 images (the fixture PNGs reused), 3 unique objects and one repeated pair each. */
function syntheticCoco(file: string): number {
  const names = ['cat-and-two-dogs.png', 'apple-and-people.png', 'umbrella-and-stop-sign.png', 'empty.png'];
  const sizes = [
    [160, 120],
    [128, 96],
    [100, 100],
    [64, 48],
  ];
  const images = [];
  const annotations = [];
  let id = 1;
  for (let i = 0; i < 40; i++) {
    const [width = 0, height = 0] = sizes[i % 4] ?? [];
    images.push({ id: 1000 + i, file_name: names[i % 4], width, height });
    for (const [k, category] of [1, 2, 3, 4, 4].entries()) {
      annotations.push({
        id: id++,
        image_id: 1000 + i,
        category_id: category,
        bbox: [k * 5, k * 4, 10 + k, 8 + (i % 5)],
        iscrowd: 0,
      });
    }
  }
  const categories = [1, 2, 3, 4, 5].map((c) => ({ id: c, name: `shape ${c}` }));
  writeFileSync(file, JSON.stringify({ images, annotations, categories }));
  return 40 * 3;
}

function runChild(
  instances: string,
  outDir: string,
  url: string,
): { process: ChildProcess; done: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, instances, imagesDir, outDir, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { process: proc, done };
}

function runLines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

describe('PRefCOCO self-training, resumable', () => {
  let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
  beforeAll(async () => {
    server = await startFakeOpenAi({ delayMs: 15, failEvery: 9 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('killed with SIGKILL midway and restarted, writes exactly the bytes of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefcoco-'));
    const instances = join(dir, 'instances.json');
    const items = syntheticCoco(instances);

    const whole = join(dir, 'whole');
    expect(await runChild(instances, whole, server.url).done).toBe(0);
    expect(server.requests()).toBe(items);
    expect(server.failures()).toBeGreaterThan(0); // 503s were retried by the client

    const resumed = join(dir, 'resumed');
    const runFile = join(resumed, 'prefcoco.run.jsonl');
    const first = runChild(instances, resumed, server.url);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (runLines(runFile) >= 1 + items / 3) {
          clearInterval(timer);
          first.process.kill('SIGKILL');
          resolve();
        }
      }, 2);
      first.done.then(() => {
        clearInterval(timer);
        reject(new Error('the first run finished before it could be killed'));
      });
    });
    expect(await first.done).toBeNull(); // killed by the signal
    const linesAtKill = runLines(runFile);
    expect(linesAtKill).toBeLessThan(items + 1);
    expect(existsSync(join(resumed, 'prefcoco.json'))).toBe(false);

    const before = server.requests();
    expect(await runChild(instances, resumed, server.url).done).toBe(0);
    // Only what was missing was asked again (a request in flight at the kill may be asked twice).
    expect(server.requests() - before).toBeLessThanOrEqual(items - (linesAtKill - 1) + 3);

    for (const name of ['prefcoco.json', 'stats.json']) {
      expect(readFileSync(join(resumed, name)).equals(readFileSync(join(whole, name)))).toBe(true);
    }
    const keys = readFileSync(runFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line).key as string);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(items);
    const data = JSON.parse(readFileSync(join(whole, 'prefcoco.json'), 'utf8'));
    expect(data).toHaveLength(80);
    expect(JSON.stringify(data)).toMatch(/There is|A shape \d with mark [0-9a-f]{6}, left of the other shapes\./);
  }, 60_000);
});
