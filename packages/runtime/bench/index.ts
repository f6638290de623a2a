// Side by side in one process: this runtime and transformers.js on the same model directories.
// Figures: time to first token (image preprocessing + vision encoder + prefill + first token), decode tokens/s
// (tokens after the first / time after the first), peak RSS; goals from issue 4 (fp32 LLaMA LLaVAs) and issue 9
// (a ~100M LLaVA with a Qwen2 decoder and a Jinja chat template at fp32, q8 and q4; load RSS with external data).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AutoModelForImageTextToText,
  AutoProcessor,
  env,
  LlavaForConditionalGeneration,
  RawImage,
} from '@huggingface/transformers';
import sharp from 'sharp';
import 'onnxruntime-node';
import { writeBenchReport } from '../../../scripts/bench-report.js';
import { loadModel, loadOnnxModel } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const tinyDir = join(pkgDir, 'fixtures', 'tiny-llava');
const bigDir = join(pkgDir, '.tmp', 'llava-100m');
const qwenDir = join(pkgDir, '.tmp', 'llava-qwen2-100m');
const qwenExternalDir = join(pkgDir, '.tmp', 'llava-qwen2-100m-external');
const qwen360Dir = join(pkgDir, '.tmp', 'llava-qwen2-360m');
const NEW_TOKENS = Number(process.env.BENCH_NEW_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const THREADS = process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined;
// The quantized comparison reads ratios within a round, so it takes more rounds than the medians above.
const QUANT_ROUNDS = Number(process.env.BENCH_QUANT_ROUNDS ?? 11);
const PROMPT =
  'USER: <image>\nWhere is the object described cat located in image in terms of (x1,y1,x2,y2) bbox? ASSISTANT:';

/** Run one of the fixture scripts with Debian's python3 (niced: it only prepares the bench's models). */
function fixturePython(script: string, ...args: string[]): void {
  execFileSync('nice', ['/usr/bin/python3', join(pkgDir, 'fixtures', script), ...args], {
    stdio: ['ignore', 'inherit', 'ignore'],
  });
}

function ensureBigModel(): boolean {
  if (existsSync(join(bigDir, 'onnx', 'decoder_model_merged.onnx'))) return true;
  console.log(`generating the ~100M-parameter random model in ${bigDir} (python3-torch) ...`);
  try {
    fixturePython('make_tiny_llava.py', '--preset', 'base100m', '--out', bigDir);
    return true;
  } catch (e) {
    console.log(`cannot generate the 100M model: ${(e as Error).message}`);
    return false;
  }
}

/** The ~100M Qwen2-decoder LLaVA with its q8 and q4 variants, and an fp32 copy with its weights in external data. */
function ensureQwenModels(): boolean {
  try {
    if (!existsSync(join(qwenDir, 'onnx', 'decoder_model_merged.onnx'))) {
      console.log(`generating the ~100M-parameter Qwen2-decoder LLaVA in ${qwenDir} (python3-torch) ...`);
      fixturePython('make_tiny_llava.py', '--preset', 'base100m', '--decoder', 'qwen2', '--out', qwenDir);
    }
    if (!existsSync(join(qwenDir, 'onnx', 'decoder_model_merged_q4.onnx')))
      fixturePython('make_dtype_variants.py', '--model', qwenDir, '--dtypes', 'q8,q4');
    if (!existsSync(join(qwenExternalDir, 'onnx', 'decoder_model_merged.onnx_data'))) {
      for (const f of readdirSync(qwenDir)) if (f !== 'onnx') cpSync(join(qwenDir, f), join(qwenExternalDir, f));
      fixturePython(
        'make_dtype_variants.py',
        '--model',
        qwenDir,
        '--dtypes',
        'fp32',
        '--external-data',
        '1',
        '--out',
        join(qwenExternalDir, 'onnx'),
      );
    }
    return true;
  } catch (e) {
    console.log(`cannot generate the Qwen2 100M models: ${(e as Error).message}`);
    return false;
  }
}

/** A LLaVA with Qwen2-0.5B's decoder sizes (~360M parameters) and its q8 variant: how quantization pays with size. */
function ensureQwen360m(): boolean {
  try {
    if (!existsSync(join(qwen360Dir, 'onnx', 'decoder_model_merged.onnx'))) {
      console.log(
        `generating the ~360M-parameter Qwen2-decoder LLaVA in ${qwen360Dir} (python3-torch, a few minutes) ...`,
      );
      fixturePython('make_tiny_llava.py', '--preset', 'qwen05b', '--decoder', 'qwen2', '--out', qwen360Dir);
    }
    if (!existsSync(join(qwen360Dir, 'onnx', 'decoder_model_merged_quantized.onnx')))
      fixturePython('make_dtype_variants.py', '--model', qwen360Dir, '--dtypes', 'q8');
    return true;
  } catch (e) {
    console.log(`cannot generate the Qwen2 360M model: ${(e as Error).message}`);
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

/** Median of interleaved runs of several contenders, alternating the order each round. */
async function interleave(
  contenders: Record<string, () => Promise<Run>>,
  rounds = ROUNDS,
): Promise<Record<string, Run[]>> {
  const names = Object.keys(contenders);
  const runs: Record<string, Run[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await contenders[n]!(); // warm-up
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const n of order) runs[n]!.push(await contenders[n]!());
  }
  return runs;
}

const QUESTION = 'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?';

/** One user turn: the image, then the question (our message shape). */
function chatWithImage(image: Uint8Array) {
  return [
    {
      role: 'user' as const,
      content: [
        { type: 'image' as const, image: { bytes: image } },
        { type: 'text' as const, text: QUESTION },
      ],
    },
  ];
}

/** A bench run of our `generate` on those messages: time to first token, decode tokens/s, the tokens. */
function ourGenerateRun(model: Awaited<ReturnType<typeof loadOnnxModel>>, image: Uint8Array): () => Promise<Run> {
  const messages = chatWithImage(image);
  return async () => {
    const r = await model.generate({ messages, maxNewTokens: NEW_TOKENS, details: true });
    const t = r.timing!;
    return {
      ttftMs: t.firstTokenMs,
      decodeTokensPerSecond: ((t.newTokens - 1) * 1000) / (t.totalMs - t.firstTokenMs),
      tokens: r.tokenIds!,
    };
  };
}

/**
 * The Qwen2-decoder LLaVA with its own chat template: per dtype, this runtime's `generate` on chat messages against
 * transformers.js's apply_chat_template + processor + generate, interleaved; our fp32 runs alongside every block so
 * the q8 speed-up over fp32 is measured under the same load.
 */
async function benchQuantized(dir: string, image: Uint8Array) {
  const name = basename(dir);
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  const processor = await AutoProcessor.from_pretrained(name);
  const hfMessages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }];
  const text = processor.apply_chat_template(hfMessages as never, { add_generation_prompt: true });
  const ourRun = (model: Awaited<ReturnType<typeof loadOnnxModel>>) => ourGenerateRun(model, image);
  const fp32 = await loadOnnxModel(dir, { device: 'cpu', dtype: 'fp32' });
  const out: Record<string, { ours: Run[]; tjs: Run[]; oursFp32: Run[]; oursOneThread?: Run[] }> = {};
  for (const dtype of ['fp32', 'q8', 'q4'] as const) {
    const ours = dtype === 'fp32' ? fp32 : await loadOnnxModel(dir, { device: 'cpu', dtype });
    const tjs = await LlavaForConditionalGeneration.from_pretrained(name, {
      dtype,
      device: 'cpu',
      session_options: {
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        ...(ours.intraOpThreads !== undefined ? { intraOpNumThreads: ours.intraOpThreads } : {}),
      },
    } as never);
    const tjsRun = async (): Promise<Run> => {
      const stamps: number[] = [];
      const tokens: number[] = [];
      const t0 = performance.now();
      const inputs = await processor(await RawImage.fromBlob(new Blob([image])), text);
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
    };
    const contenders: Record<string, () => Promise<Run>> = { ours: ourRun(ours), tjs: tjsRun };
    if (dtype !== 'fp32') contenders.oursFp32 = ourRun(fp32);
    // The q8 decoder on one intra-op thread too, beside the default, so the thread default stays a measured choice.
    const oneThread =
      dtype === 'q8' && ours.intraOpThreads !== 1
        ? await loadOnnxModel(dir, { device: 'cpu', dtype, intraOpThreads: 1 })
        : undefined;
    if (oneThread) contenders.oursOneThread = ourRun(oneThread);
    const runs = await interleave(contenders, QUANT_ROUNDS);
    out[dtype] = {
      ours: runs.ours!,
      tjs: runs.tjs!,
      oursFp32: runs.oursFp32 ?? runs.ours!,
      ...(runs.oursOneThread ? { oursOneThread: runs.oursOneThread } : {}),
    };
    await oneThread?.close();
    if (ours !== fp32) await ours.close();
    await tjs.dispose();
  }
  await fp32.close();
  return out;
}

/** Our q8 against our fp32 on the 360M model, interleaved (the ~100M comparison's decode figure, at a larger size). */
async function benchQ8AtSize(dir: string, image: Uint8Array) {
  const fp32 = await loadOnnxModel(dir, { device: 'cpu', dtype: 'fp32' });
  const q8 = await loadOnnxModel(dir, { device: 'cpu', dtype: 'q8' });
  const runs = await interleave({ fp32: ourGenerateRun(fp32, image), q8: ourGenerateRun(q8, image) });
  await fp32.close();
  await q8.close();
  return { fp32: runs.fp32!, q8: runs.q8! };
}

/** Peak RSS a load adds, in a child process of its own, against the weights' size on disk. */
function loadRss(dir: string): { weightsMb: number; loadPeakMb: number; ratio: number; loadMs: number } {
  const line = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'load-rss.ts'), dir], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1)!;
  const r = JSON.parse(line) as { weightsBytes: number; baselineRss: number; peakRss: number; loadMs: number };
  const added = r.peakRss - r.baselineRss;
  return {
    weightsMb: r.weightsBytes / 2 ** 20,
    loadPeakMb: added / 2 ** 20,
    ratio: added / r.weightsBytes,
    loadMs: r.loadMs,
  };
}

/**
 * Issue 10's adapter cost: for each family transformers.js runs, our `generate` (loadModel) against transformers.js's
 * `generate` called directly on the same fixture, interleaved; decode tokens/s after the first token.
 */
async function benchAdapter(fixture: string, image: Uint8Array) {
  const dir = join(pkgDir, 'fixtures', fixture);
  env.allowRemoteModels = false;
  env.localModelPath = `${join(pkgDir, 'fixtures')}/`;
  const ours = await loadModel(dir, { device: 'cpu' });
  // transformers.js's generate on the very model object our adapter wraps: same sessions, same memory, so the
  // comparison measures the adapter alone, not two loads of the same files.
  const theirs = (ours as unknown as { model: Awaited<ReturnType<typeof AutoModelForImageTextToText.from_pretrained>> })
    .model;
  const processor = await AutoProcessor.from_pretrained(fixture);
  // The family's end tokens, as our adapter reads them, so both sides count the same tokens.
  const endIds = (ours as unknown as { endIds: Set<number> }).endIds;
  const text = 'What is in the image?';
  const raw = await RawImage.fromBlob(new Blob([image]));
  // Each family's own way in, as a transformers.js user writes it (see src/transformers-js/families).
  const inputsFor = async (): Promise<Record<string, unknown>> => {
    const p = processor as unknown as {
      apply_chat_template(m: unknown, o: unknown): string;
      construct_prompts(t: string): string[];
      (a: unknown, b: unknown): Promise<Record<string, unknown>>;
    };
    if (fixture.includes('florence')) return p(raw, p.construct_prompts('<CAPTION>'));
    if (fixture.includes('paligemma')) return p(raw, `<image>${text}`);
    const prompt = p.apply_chat_template([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text }] }], {
      add_generation_prompt: true,
    });
    return p(prompt, fixture.includes('qwen') ? raw : [raw]);
  };
  const question = fixture.includes('florence') ? '<CAPTION>' : text;
  const messages = [
    {
      role: 'user' as const,
      content: [
        { type: 'image' as const, image: { bytes: image } },
        { type: 'text' as const, text: question },
      ],
    },
  ];
  const tokens = 128;
  // Runs of a tiny model take tens of milliseconds: long ones, and many (101), so that the medians settle within a few percent.
  const runs = await interleave(
    {
      ours: async () => {
        const r = await ours.generate({ messages, maxNewTokens: tokens, details: true });
        const t = r.timing!;
        return {
          ttftMs: t.firstTokenMs,
          decodeTokensPerSecond: ((t.newTokens - 1) * 1000) / (t.totalMs - t.firstTokenMs),
          tokens: r.tokenIds!,
        };
      },
      tjs: async () => {
        const stamps: number[] = [];
        let counted = 0;
        const t0 = performance.now();
        const inputs = await inputsFor();
        const streamer = {
          put: (values: bigint[][]) => {
            stamps.push(performance.now());
            // Counted as ours counts (timing.newTokens): generated tokens without the end token.
            if (stamps.length > 1 && !endIds.has(Number(values[0]![0]))) counted++;
          },
          end() {},
        };
        await theirs.generate({ ...inputs, max_new_tokens: tokens, do_sample: false, streamer } as never);
        // Measured as ours is: from the first new token (the first put is the prompt) until generate returns.
        const first = stamps[1]!;
        const done = performance.now();
        return { ttftMs: first - t0, decodeTokensPerSecond: ((counted - 1) * 1000) / (done - first), tokens: [] };
      },
    },
    Math.max(ROUNDS, 101),
  );
  await ours.close();
  return {
    ours: median(runs.ours!.map((r) => r.decodeTokensPerSecond)),
    tjs: median(runs.tjs!.map((r) => r.decodeTokensPerSecond)),
    // Each round's two runs are back to back, so their ratio cancels the machine's slower drifts.
    pairedRatio: median(runs.ours!.map((r, i) => r.decodeTokensPerSecond / runs.tjs![i]!.decodeTokensPerSecond)),
    newTokens: median(runs.ours!.map((r) => r.tokens.length)),
  };
}

const results = [await benchModel(tinyDir)];
const benchImage = new Uint8Array(
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 180, g: 90, b: 40 } } })
    .composite([
      { input: Buffer.from('<svg width="320" height="240"><circle cx="120" cy="140" r="60" fill="#2050e0"/></svg>') },
    ])
    .png()
    .toBuffer(),
);
// The adapter comparisons run before the ~100M models, whose load would add GC and memory noise to runs this short.
const ADAPTER_FIXTURES = [
  'tiny-florence2',
  'tiny-qwen2-vl',
  'tiny-qwen2.5-vl',
  'tiny-qwen3-vl',
  'tiny-paligemma',
  'tiny-smolvlm',
  'tiny-gemma3',
];
const adapters: Record<string, { ours: number; tjs: number; pairedRatio: number; newTokens: number }> = {};
for (const fixture of ADAPTER_FIXTURES) adapters[fixture] = await benchAdapter(fixture, benchImage);
const haveBig = process.env.BENCH_SKIP_100M ? false : ensureBigModel();
if (haveBig) results.push(await benchModel(bigDir));
const haveQwen = process.env.BENCH_SKIP_100M ? false : ensureQwenModels();
const quantized = haveQwen ? await benchQuantized(qwenDir, benchImage) : undefined;

const have360m = process.env.BENCH_SKIP_360M || process.env.BENCH_SKIP_100M ? false : ensureQwen360m();
const atSize = have360m ? await benchQ8AtSize(qwen360Dir, benchImage) : undefined;

const load = haveQwen ? loadRss(qwenExternalDir) : undefined;
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
const identicalRuns = (a: Run[], b: Run[]) =>
  a.every((r, i) => JSON.stringify(r.tokens) === JSON.stringify(b[i]!.tokens));
const medianOf = (runs: Run[], key: keyof Omit<Run, 'tokens'>) => median(runs.map((r) => r[key]));
/** Median over rounds of a[i] / b[i]: both ran back to back in round i, so slower drifts of the machine cancel. */
const pairedRatio = (a: Run[] | undefined, b: Run[] | undefined, key: keyof Omit<Run, 'tokens'>) =>
  a && b ? median(a.map((r, i) => r[key] / b[i]![key])) : -1;
if (quantized) {
  for (const [dtype, r] of Object.entries(quantized)) {
    figures[`qwen2_100m.${dtype}.ours.decode_tokens_per_s`] = medianOf(r.ours, 'decodeTokensPerSecond');
    figures[`qwen2_100m.${dtype}.transformersjs.decode_tokens_per_s`] = medianOf(r.tjs, 'decodeTokensPerSecond');
    figures[`qwen2_100m.${dtype}.ours.ttft_ms`] = medianOf(r.ours, 'ttftMs');
    figures[`qwen2_100m.${dtype}.transformersjs.ttft_ms`] = medianOf(r.tjs, 'ttftMs');
    figures[`qwen2_100m.${dtype}.ours_fp32_same_block.decode_tokens_per_s`] = medianOf(
      r.oursFp32,
      'decodeTokensPerSecond',
    );
    figures[`qwen2_100m.${dtype}.identical_tokens`] = identicalRuns(r.ours, r.tjs) ? 1 : 0;
    figures[`qwen2_100m.${dtype}.decode_vs_transformersjs_paired`] = pairedRatio(
      r.ours,
      r.tjs,
      'decodeTokensPerSecond',
    );
    figures[`qwen2_100m.${dtype}.ttft_vs_transformersjs_paired`] = pairedRatio(r.ours, r.tjs, 'ttftMs');
    if (dtype !== 'fp32')
      figures[`qwen2_100m.${dtype}.decode_vs_our_fp32_paired`] = pairedRatio(
        r.ours,
        r.oursFp32,
        'decodeTokensPerSecond',
      );
    if (r.oursOneThread) {
      figures[`qwen2_100m.${dtype}.ours_one_thread.decode_tokens_per_s`] = medianOf(
        r.oursOneThread,
        'decodeTokensPerSecond',
      );
      figures[`qwen2_100m.${dtype}.ours_one_thread.ttft_ms`] = medianOf(r.oursOneThread, 'ttftMs');
    }
  }
}
if (atSize) {
  figures['qwen2_360m.fp32.ours.decode_tokens_per_s'] = medianOf(atSize.fp32, 'decodeTokensPerSecond');
  figures['qwen2_360m.q8.ours.decode_tokens_per_s'] = medianOf(atSize.q8, 'decodeTokensPerSecond');
  figures['qwen2_360m.q8.decode_vs_our_fp32_paired'] = pairedRatio(atSize.q8, atSize.fp32, 'decodeTokensPerSecond');
}
for (const [fixture, r] of Object.entries(adapters)) {
  figures[`adapter.${fixture}.ours.decode_tokens_per_s`] = r.ours;
  figures[`adapter.${fixture}.transformersjs.decode_tokens_per_s`] = r.tjs;
  figures[`adapter.${fixture}.median_paired_ratio`] = r.pairedRatio;
  figures[`adapter.${fixture}.new_tokens`] = r.newTokens;
}
if (load) {
  figures['qwen2_100m_external.weights_mb'] = load.weightsMb;
  figures['qwen2_100m_external.load_peak_rss_added_mb'] = load.loadPeakMb;
  figures['qwen2_100m_external.load_ms'] = load.loadMs;
}
const q = (dtype: string) => quantized?.[dtype];
// Goals read the paired ratios (median over rounds of the within-round ratio).
const ratio = pairedRatio;
const quantizedGoals = [
  {
    name: 'qwen2 100M: q8 decode tokens/s vs our fp32 (median of paired rounds)',
    value: ratio(q('q8')?.ours, q('q8')?.oursFp32, 'decodeTokensPerSecond'),
    goal: '>= 2.0x',
  },
  {
    name: 'qwen2 100M: q8 decode tokens/s vs transformers.js q8 (median of paired rounds)',
    value: ratio(q('q8')?.ours, q('q8')?.tjs, 'decodeTokensPerSecond'),
    goal: '>= 1.0x',
  },
  {
    name: 'qwen2 100M: q4 decode tokens/s vs transformers.js q4 (median of paired rounds)',
    value: ratio(q('q4')?.ours, q('q4')?.tjs, 'decodeTokensPerSecond'),
    goal: '>= 1.0x',
  },
  ...(['fp32', 'q8', 'q4'] as const).map((dtype) => ({
    name: `qwen2 100M ${dtype}: time to first token (with an image) vs transformers.js (median of paired rounds)`,
    value: ratio(q(dtype)?.ours, q(dtype)?.tjs, 'ttftMs'),
    goal: '<= 1.0x',
  })),
].map((g) => ({
  ...g,
  met: g.value > 0 && (g.goal.startsWith('<=') ? g.value <= 1.0 : g.value >= Number.parseFloat(g.goal.slice(3))),
}));
const identicalQuantized = quantized ? Object.values(quantized).every((r) => identicalRuns(r.ours, r.tjs)) : false;
const tiny = results[0]!;
const big = results[1];
writeBenchReport('@locvlm/runtime', figures, [
  ...Object.entries(adapters).map(([fixture, r]) => ({
    name: `${fixture}: our generate vs transformers.js generate called directly, decode tokens/s (median of paired rounds)`,
    value: r.pairedRatio,
    goal: '>= 0.95x',
    met: r.pairedRatio >= 0.95,
  })),
  ...quantizedGoals,
  {
    name: 'qwen2 100M: greedy tokens identical to transformers.js at fp32, q8 and q4',
    value: identicalQuantized ? 1 : 0,
    goal: '= 1',
    met: identicalQuantized,
  },
  {
    name: 'qwen2 100M, external data: peak RSS added while loading / weights on disk',
    value: load ? load.ratio : -1,
    goal: '<= 1.2x',
    met: load ? load.ratio <= 1.2 : false,
  },
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
  `rounds ${ROUNDS} (quantized: ${QUANT_ROUNDS}), ${NEW_TOKENS} new tokens, threads ${THREADS ?? 'runtime default (1 for decoders under 32 MiB), same for both'}, spin-wait off for both, provider ${tiny.provider}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
