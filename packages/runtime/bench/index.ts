// Side by side in one process: this runtime and transformers.js on the same model directories.
// Figures: time to first token (image preprocessing + vision encoder + prefill + first token), decode tokens/s
// (tokens after the first / time after the first), peak RSS; goals from issue 4.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoProcessor, env, LlavaForConditionalGeneration, RawImage } from '@huggingface/transformers';
import sharp from 'sharp';
import 'onnxruntime-node';
import { writeBenchReport } from '../../../scripts/bench-report.js';
import { loadOnnxModel } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const tinyDir = join(pkgDir, 'fixtures', 'tiny-llava');
const bigDir = join(pkgDir, '.tmp', 'llava-100m');
const NEW_TOKENS = Number(process.env.BENCH_NEW_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const THREADS = process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined;
const PROMPT =
  'USER: <image>\nWhere is the object described cat located in image in terms of (x1,y1,x2,y2) bbox? ASSISTANT:';

function ensureBigModel(): boolean {
  if (existsSync(join(bigDir, 'onnx', 'decoder_model_merged.onnx'))) return true;
  console.log(`generating the ~100M-parameter random model in ${bigDir} (python3-torch) ...`);
  try {
    execFileSync(
      'nice',
      ['/usr/bin/python3', join(pkgDir, 'fixtures', 'make_tiny_llava.py'), '--preset', 'base100m', '--out', bigDir],
      { stdio: ['ignore', 'inherit', 'ignore'] },
    );
    return true;
  } catch (e) {
    console.log(`cannot generate the 100M model: ${(e as Error).message}`);
    return false;
  }
}

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 5);

interface Run {
  ttftMs: number;
  decodeTokensPerSecond: number;
  tokens: number[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function benchModel(dir: string) {
  const name = basename(dir);
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const image = await sharp({ create: { width: 320, height: 320, channels: 3, background: { r: 180, g: 90, b: 40 } } })
    .composite([
      { input: Buffer.from('<svg width="320" height="320"><circle cx="120" cy="140" r="60" fill="#2050e0"/></svg>') },
    ])
    .png()
    .toBuffer();
  const bytes = new Uint8Array(image);

  // RSS growth while loading each (onnxruntime's native library is already loaded, so neither pays for it).
  const rss0 = process.memoryUsage.rss();
  const ours = await loadOnnxModel(dir, { device: 'cpu', ...(THREADS ? { intraOpThreads: THREADS } : {}) });
  const rss1 = process.memoryUsage.rss();
  const processor = await AutoProcessor.from_pretrained(name);
  // Same thread settings for both: our runtime turns onnxruntime's spin-waiting off by default and runs small
  // decoders on one intra-op thread (see README), so transformers.js gets the same; otherwise most of the difference
  // would be those settings.
  const tjs = await LlavaForConditionalGeneration.from_pretrained(name, {
    dtype: 'fp32',
    device: 'cpu',
    session_options: {
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      // The same intra-op thread count as ours chose (1 for small decoders, see SessionOptions.intraOpThreads).
      ...(ours.intraOpThreads !== undefined ? { intraOpNumThreads: ours.intraOpThreads } : {}),
    },
  } as never);
  const rss2 = process.memoryUsage.rss();
  peakRss = rss2;

  async function runTjs(): Promise<Run> {
    const stamps: number[] = [];
    const tokens: number[] = [];
    const t0 = performance.now();
    const raw = await RawImage.fromBlob(new Blob([bytes]));
    const inputs = await processor(raw, PROMPT);
    const streamer = {
      put(value: bigint[][]) {
        stamps.push(performance.now());
        if (stamps.length > 1) tokens.push(Number(value[0]![0]));
      },
      end() {},
    };
    await tjs.generate({ ...inputs, max_new_tokens: NEW_TOKENS, do_sample: false, streamer } as never);
    const first = stamps[1]!;
    const last = stamps[stamps.length - 1]!;
    return { ttftMs: first - t0, decodeTokensPerSecond: ((tokens.length - 1) * 1000) / (last - first), tokens };
  }
  async function runOurs(): Promise<Run> {
    const r = await ours.complete({ prompt: PROMPT, images: [{ bytes }], maxNewTokens: NEW_TOKENS, details: true });
    const t = r.timing!;
    return {
      ttftMs: t.firstTokenMs,
      decodeTokensPerSecond: ((t.newTokens - 1) * 1000) / (t.totalMs - t.firstTokenMs),
      tokens: r.tokenIds!,
    };
  }
  await runTjs();
  await runOurs();
  const tjsRuns: Run[] = [];
  const ourRuns: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, alternating who goes first, so load from other processes hits both alike.
    if (i % 2 === 0) {
      tjsRuns.push(await runTjs());
      ourRuns.push(await runOurs());
    } else {
      ourRuns.push(await runOurs());
      tjsRuns.push(await runTjs());
    }
  }
  const identical = tjsRuns.every((r, i) => JSON.stringify(r.tokens) === JSON.stringify(ourRuns[i]!.tokens));
  const result = {
    name,
    provider: ours.executionProvider.provider,
    tokens: ourRuns[0]!.tokens.length,
    identical,
    oursTtftMs: median(ourRuns.map((r) => r.ttftMs)),
    tjsTtftMs: median(tjsRuns.map((r) => r.ttftMs)),
    oursDecode: median(ourRuns.map((r) => r.decodeTokensPerSecond)),
    tjsDecode: median(tjsRuns.map((r) => r.decodeTokensPerSecond)),
    peakRssMb: peakRss / 2 ** 20,
    oursLoadRssMb: (rss1 - rss0) / 2 ** 20,
    tjsLoadRssMb: (rss2 - rss1) / 2 ** 20,
  };
  await ours.close();
  await tjs.dispose();
  return result;
}

const results = [await benchModel(tinyDir)];
const haveBig = process.env.BENCH_SKIP_100M ? false : ensureBigModel();
if (haveBig) results.push(await benchModel(bigDir));
clearInterval(rssTimer);

const figures: Record<string, number> = {};
for (const r of results) {
  const k = r.name === 'tiny-llava' ? 'tiny' : '100m';
  figures[`${k}.ours.ttft_ms`] = r.oursTtftMs;
  figures[`${k}.transformersjs.ttft_ms`] = r.tjsTtftMs;
  figures[`${k}.ours.decode_tokens_per_s`] = r.oursDecode;
  figures[`${k}.transformersjs.decode_tokens_per_s`] = r.tjsDecode;
  figures[`${k}.decode_speedup`] = r.oursDecode / r.tjsDecode;
  figures[`${k}.tokens_generated`] = r.tokens;
  figures[`${k}.identical_tokens`] = r.identical ? 1 : 0;
  figures[`${k}.ours.load_rss_mb`] = r.oursLoadRssMb;
  figures[`${k}.transformersjs.load_rss_mb`] = r.tjsLoadRssMb;
  figures[`${k}.process_peak_rss_mb_both_loaded`] = r.peakRssMb;
}
const tiny = results[0]!;
const big = results[1];
writeBenchReport('@locvlm/runtime', figures, [
  {
    name: 'tiny: decode tokens/s vs transformers.js',
    value: tiny.oursDecode / tiny.tjsDecode,
    goal: '>= 1.5x',
    met: tiny.oursDecode / tiny.tjsDecode >= 1.5,
  },
  {
    name: '100M: decode tokens/s vs transformers.js',
    value: big ? big.oursDecode / big.tjsDecode : -1,
    goal: '>= 1.0x',
    met: big ? big.oursDecode / big.tjsDecode >= 1.0 : false,
  },
  {
    name: 'identical greedy tokens (both models)',
    value: results.every((r) => r.identical) && big ? 1 : 0,
    goal: '= 1',
    met: results.every((r) => r.identical) && big !== undefined,
  },
]);
console.log(
  `rounds ${ROUNDS}, ${NEW_TOKENS} new tokens, threads ${THREADS ?? 'runtime default (1 for small decoders), same for both'}, spin-wait off for both, provider ${tiny.provider}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
