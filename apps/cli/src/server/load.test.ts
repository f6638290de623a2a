// 200 concurrent requests on loopback against the tiny model: each is answered (200) or refused with a clear status
// (429 + Retry-After); none hangs; memory stays bounded. Figures are printed for the README, not asserted tightly.
import { loadOnnxModel, type OnnxVisionLanguageModel } from '@locvlm/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUrl, sendChatRequest as send, shapesPng, tinyModelDir } from '../test-helpers.js';
import { type ChatCompletionServer, createChatCompletionServer } from './chat-server.js';

describe('load: 200 concurrent requests', () => {
  let model: OnnxVisionLanguageModel;
  let server: ChatCompletionServer;
  let url: string;

  beforeAll(async () => {
    model = await loadOnnxModel(tinyModelDir);
    server = createChatCompletionServer(model, { port: 0, maxConcurrent: 2, maxQueue: 32 });
    url = await server.listen();
  });
  afterAll(async () => {
    await server.close(0);
    await model.close();
  });

  it('answers or refuses every request, none hangs, memory stays bounded', async () => {
    const image = dataUrl(await shapesPng(320, 240));
    const body = (i: number, stream: boolean) =>
      JSON.stringify({
        model: 'tiny-llava',
        stream,
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: image } },
              { type: 'text', text: `Question ${i}: where is the red circle?` },
            ],
          },
        ],
      });
    // Warm up once so the first-run allocations of onnxruntime are not counted as growth.
    expect((await send(url, body(-1, false), 30_000)).status).toBe(200);
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => send(url, body(i, i % 2 === 1), 60_000)));
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const after = process.memoryUsage();

    const byStatus: Record<number, number> = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const answered = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    const figures = {
      wallMs: Math.round(wallMs),
      byStatus,
      maxAnsweredMs: Math.round(Math.max(...answered.map((r) => r.ms))),
      maxRefusedMs: Math.round(Math.max(...refused.map((r) => r.ms))),
      rssGrowthMb: Math.round((after.rss - before.rss) / 1e6),
      peakRssGrowthMb: Math.round((peakRss - before.rss) / 1e6),
      heapGrowthMb: Math.round((after.heapUsed - before.heapUsed) / 1e6),
    };
    console.log(`load test figures: ${JSON.stringify(figures)}`);

    expect(results).toHaveLength(200);
    expect(answered.length + refused.length).toBe(200);
    // maxConcurrent + maxQueue fit at once; the queue drains while requests arrive, so at least that many are served.
    expect(answered.length).toBeGreaterThanOrEqual(34);
    expect(refused.every((r) => Number(r.retryAfter) >= 1)).toBe(true);
    expect(server.stats()).toMatchObject({ running: 0, queued: 0 });
    // Generous bounds: 200 bodies of ~40 KB plus 34 decoded images are far below these.
    expect(figures.peakRssGrowthMb).toBeLessThan(400);
    expect(figures.heapGrowthMb).toBeLessThan(150);
  }, 120_000);

  it('with a queue as long as the burst, answers all 200', async () => {
    const roomy = createChatCompletionServer(model, { port: 0, maxConcurrent: 2, maxQueue: 256 });
    const roomyUrl = await roomy.listen();
    const body = JSON.stringify({ max_tokens: 4, messages: [{ role: 'user', content: 'Say something.' }] });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 200 }, () => send(roomyUrl, body, 60_000)));
    console.log(
      `load test, queue 256: ${JSON.stringify({ wallMs: Math.round(performance.now() - started), maxMs: Math.round(Math.max(...results.map((r) => r.ms))) })}`,
    );
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    await roomy.close(0);
  }, 120_000);
});
