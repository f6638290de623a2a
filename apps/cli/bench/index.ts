// Load figures of the chat-completions server on the committed tiny model: a burst of 200 concurrent requests on
// loopback with the default limits (1 generation at a time, 32 queued), then the same burst with a queue long
// enough to hold it. Writes bench-results/cli.json.
import { loadOnnxModel } from '@locvlm/runtime';
import { writeBenchReport } from '../../../scripts/bench-report.ts';
import { createChatCompletionServer } from '../src/server/chat-server.js';
import { dataUrl, sendChatRequest, shapesPng, tinyModelDir } from '../src/test-helpers.js';

const model = await loadOnnxModel(tinyModelDir);
const image = dataUrl(await shapesPng(320, 240));
const body = (i: number) =>
  JSON.stringify({
    model: 'tiny-llava',
    stream: i % 2 === 1,
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
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function burst(maxQueue: number) {
  const server = createChatCompletionServer(model, { port: 0, maxQueue });
  const url = await server.listen();
  await sendChatRequest(url, body(-1), 30_000);
  const before = process.memoryUsage();
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      sendChatRequest(url, body(i), 120_000).catch(() => ({ status: 0, ms: Number.POSITIVE_INFINITY })),
    ),
  );
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  await server.close(0);
  const answered = results.filter((r) => r.status === 200).map((r) => r.ms);
  const refused = results.filter((r) => r.status === 429).map((r) => r.ms);
  return {
    wallMs,
    answered: answered.length,
    refused: refused.length,
    other: results.length - answered.length - refused.length,
    answeredP50Ms: percentile(answered, 50),
    answeredMaxMs: Math.max(...answered),
    refusedMaxMs: refused.length ? Math.max(...refused) : 0,
    peakRssGrowthMb: (peakRss - before.rss) / 1e6,
    heapGrowthMb: (process.memoryUsage().heapUsed - before.heapUsed) / 1e6,
  };
}

const bounded = await burst(32);
const roomy = await burst(256);
await model.close();

const figures: Record<string, number> = {};
for (const [k, v] of Object.entries(bounded)) figures[`burst200_queue32_${k}`] = v;
for (const [k, v] of Object.entries(roomy)) figures[`burst200_queue256_${k}`] = v;
figures.burst200_queue256_requestsPerSecond = (roomy.answered / roomy.wallMs) * 1000;

writeBenchReport('@locvlm/cli', figures, [
  {
    name: 'burst of 200, queue 32: requests neither answered nor refused with 429',
    value: bounded.other,
    goal: '== 0',
    met: bounded.other === 0,
  },
  {
    name: 'burst of 200, queue 256: requests answered',
    value: roomy.answered,
    goal: '== 200',
    met: roomy.answered === 200,
  },
  {
    name: 'slowest answer in any burst (none hangs), ms',
    value: Math.max(bounded.answeredMaxMs, roomy.answeredMaxMs),
    goal: '< 60000 ms',
    met: Math.max(bounded.answeredMaxMs, roomy.answeredMaxMs) < 60_000,
  },
  {
    name: 'peak RSS growth during a burst, MB',
    value: Math.max(bounded.peakRssGrowthMb, roomy.peakRssGrowthMb),
    goal: '< 400 MB',
    met: Math.max(bounded.peakRssGrowthMb, roomy.peakRssGrowthMb) < 400,
  },
]);
