import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import type { GenerateRequest } from '../model.js';
import { noisePng, tinyModelDir } from '../testing/fixtures.js';
import { loadModelConfig } from './config.js';
import { LlavaEngine } from './engine.js';
import { WorkerLlavaEngine } from './engine-worker.js';
import { loadOnnxModel, type OnnxVisionLanguageModel } from './model.js';

// The same model on the calling thread and on a worker thread must give the same answers, token for token.
let onMain: OnnxVisionLanguageModel;
let onWorker: OnnxVisionLanguageModel;
let png: Uint8Array;

beforeAll(async () => {
  [onMain, onWorker] = await Promise.all([
    loadOnnxModel(tinyModelDir, { device: 'cpu', intraOpThreads: 1 }),
    loadOnnxModel(tinyModelDir, { device: 'cpu', intraOpThreads: 1, thread: 'worker' }),
  ]);
  png = await noisePng(72, 48, 5);
}, 60_000);
afterAll(async () => {
  await Promise.all([onMain?.close(), onWorker?.close()]);
});

const ask = (text: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image', image: { bytes: png } },
        { type: 'text', text },
      ],
    },
  ],
  maxNewTokens: 24,
  details: true,
  ...extra,
});

async function collect(stream: AsyncIterable<string, unknown>): Promise<{ deltas: string[]; result: unknown }> {
  const it = stream[Symbol.asyncIterator]();
  const deltas: string[] = [];
  for (;;) {
    const next = await it.next();
    if (next.done) return { deltas, result: next.value };
    deltas.push(next.value);
  }
}

describe("thread: 'worker'", () => {
  it('says where the sessions run', () => {
    expect(onMain.describe().thread).toBe('main');
    expect(onWorker.describe().thread).toBe('worker');
    expect(onWorker.describe().components).toEqual(onMain.describe().components);
    expect(onWorker.executionProvider).toEqual(onMain.executionProvider);
    expect(onWorker.intraOpThreads).toBe(1);
  });

  it('gives the same tokens as the calling thread: greedy, sampled, with stop strings', async () => {
    const requests = [
      ask('What is at location (4, 52, 13, 63) in image?'),
      ask('Describe the image.', { temperature: 0.7, topP: 0.9, seed: 3 }),
      ask('Where is the red circle?', { stop: ['e'] }),
    ];
    for (const request of requests) {
      const [a, b] = await Promise.all([onMain.generate(request), onWorker.generate(request)]);
      expect(b.tokenIds).toEqual(a.tokenIds);
      expect(b.text).toBe(a.text);
      expect(b.finishReason).toBe(a.finishReason);
    }
  });

  it('streams the same deltas and ends with the same result', async () => {
    const request = ask('Describe the image.', { maxNewTokens: 12 });
    const [a, b] = await Promise.all([collect(onMain.stream(request)), collect(onWorker.stream(request))]);
    expect(b.deltas).toEqual(a.deltas);
    expect(b.deltas.length).toBeGreaterThan(0);
    expect((b.result as { finishReason: string }).finishReason).toBe(
      (a.result as { finishReason: string }).finishReason,
    );
  });

  it('streams without a round trip per token unless a stop string can end a row', async () => {
    const worker = (onWorker as unknown as { runner: { worker: { postMessage: (m: { type: string }) => void } } })
      .runner.worker;
    const post = worker.postMessage.bind(worker);
    const sent: string[] = [];
    worker.postMessage = (message) => {
      sent.push(message.type);
      post(message);
    };
    try {
      const plain = ask('Describe the image.', { maxNewTokens: 12 });
      const [a, b] = await Promise.all([collect(onMain.stream(plain)), collect(onWorker.stream(plain))]);
      expect(b.deltas).toEqual(a.deltas);
      expect(sent.filter((t) => t === 'step')).toEqual([]);
      sent.length = 0;
      const withStop = ask('Describe the image.', { maxNewTokens: 12, stop: ['never appears'] });
      const [c, d] = await Promise.all([collect(onMain.stream(withStop)), collect(onWorker.stream(withStop))]);
      expect(d.deltas).toEqual(c.deltas);
      // One answer per step: the worker waits for the stop decision before its next step.
      expect(sent.filter((t) => t === 'step').length).toBe(
        (d.result as { tokenIds: number[] }).tokenIds.length +
          ((d.result as { finishReason: string }).finishReason === 'stop' ? 1 : 0),
      );
    } finally {
      worker.postMessage = post;
    }
  });

  it('runs batches row for row as the calling thread does', async () => {
    const requests = [ask('Describe the image.', { maxNewTokens: 5 }), ask('Where is the red circle?')];
    const [a, b] = await Promise.all([onMain.generateBatch(requests), onWorker.generateBatch(requests)]);
    expect(b.map((r) => r.tokenIds)).toEqual(a.map((r) => r.tokenIds));
    expect(b.map((r) => r.finishReason)).toEqual(a.map((r) => r.finishReason));
  });

  it('stops on abort, before or during decoding, and keeps serving', async () => {
    const early = new AbortController();
    early.abort();
    await expect(onWorker.generate(ask('Describe the image.', { signal: early.signal }))).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const during = new AbortController();
    const stream = onWorker.stream(ask('Describe the image.', { maxNewTokens: 64, signal: during.signal }));
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    during.abort();
    await expect(
      (async () => {
        for (;;) if ((await it.next()).done) return;
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    const again = await onWorker.generate(ask('Describe the image.', { maxNewTokens: 4 }));
    expect(again.tokenIds?.length).toBeGreaterThan(0);
  });

  it('passes errors of the engine back with their code', async () => {
    const config = await loadModelConfig(tinyModelDir);
    const engine = await WorkerLlavaEngine.load(config, { device: 'cpu', intraOpThreads: 1 });
    try {
      // Pixels of the wrong size: the vision session refuses them on the worker.
      const error = await engine.encodeImages([new Float32Array(3 * 4 * 4)], 4, 4).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeError);
      expect((error as RuntimeError).code).toBe('BACKEND');
      expect((error as RuntimeError).message).toMatch(/vision/i);
    } finally {
      await engine.close();
    }
    await expect(engine.decode([{ ids: [1], imageFeatures: null }], baseParams())).rejects.toThrow(/closed/);
  });

  it('fails the calls in flight with a clear error when the worker dies', async () => {
    const config = await loadModelConfig(tinyModelDir);
    const engine = await WorkerLlavaEngine.load(config, { device: 'cpu', intraOpThreads: 1 });
    const decoding = engine.decode([{ ids: [1, 2, 3], imageFeatures: null }], {
      ...baseParams(),
      maxNewTokens: 10_000,
      onStep: () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5)),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await (engine as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const error = await decoding.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('BACKEND');
    expect((error as RuntimeError).message).toMatch(/the model worker stopped/);
    await expect(engine.encodeImages([], 4, 4)).rejects.toThrow(/the model worker stopped/);
  });

  it('leaves the calling thread free while a session runs (and gives the same features)', async () => {
    // One vision run over 128 images (~25 ms here). On the calling thread it blocks the event loop, so a 1 ms timer
    // cannot fire during it; on the worker the timer keeps firing.
    const config = await loadModelConfig(tinyModelDir);
    const size = config.image.cropWidth;
    const images = Array.from({ length: 128 }, (_, k) => new Float32Array(3 * size * size).fill(k / 128 - 0.5));
    const ticksDuring = async (engine: LlavaEngine | WorkerLlavaEngine) => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        const features = await engine.encodeImages(images, size, size);
        return { ticks, features };
      } finally {
        clearInterval(timer);
      }
    };
    const main = await LlavaEngine.load(config, { device: 'cpu', intraOpThreads: 1 });
    const worker = await WorkerLlavaEngine.load(config, { device: 'cpu', intraOpThreads: 1 });
    try {
      const a = await ticksDuring(main);
      const b = await ticksDuring(worker);
      expect(Array.from(b.features)).toEqual(Array.from(a.features));
      expect(b.ticks).toBeGreaterThanOrEqual(3);
      expect(b.ticks).toBeGreaterThan(a.ticks);
    } finally {
      await Promise.all([main.close(), worker.close()]);
    }
  });

  it('refuses to load what the calling thread refuses, with the same error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'locvlm-worker-'));
    try {
      await cp(tinyModelDir, dir, { recursive: true });
      await writeFile(join(dir, 'onnx', 'decoder_model_merged.onnx'), 'not a graph');
      const config = await loadModelConfig(dir);
      const [a, b] = await Promise.all([
        LlavaEngine.load(config, { device: 'cpu' }).catch((e: unknown) => e),
        WorkerLlavaEngine.load(config, { device: 'cpu' }).catch((e: unknown) => e),
      ]);
      expect(b).toBeInstanceOf(RuntimeError);
      expect((b as RuntimeError).code).toBe((a as RuntimeError).code);
      expect((b as RuntimeError).message).toBe((a as RuntimeError).message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function baseParams() {
  return { maxNewTokens: 2, temperature: 0, topP: 1, seed: 0, eosTokenIds: [] };
}
