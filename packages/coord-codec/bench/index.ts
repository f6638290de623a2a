// Throughput of encode, decode and free-text parse per representation, single thread.
// Run: npm run bench -w @locvlm/coord-codec (writes bench-results/coord-codec.json at the repo root).
import { writeBenchReport } from '../../../scripts/bench-report.ts';
import {
  CODEC_KINDS,
  type Codec,
  type CodecOptions,
  createCodec,
  type Location,
  parseLocations,
} from '../src/index.js';

const image = { width: 512, height: 512 };
// Varied boxes so branch predictors and caches see realistic input, the paper's cat first.
const boxes: Location[] = [
  { box: [10, 120, 30, 145] },
  { box: [0, 0, 512, 512] },
  { box: [100.5, 200.25, 300.75, 400] },
  { box: [480, 3, 511, 60] },
  { box: [250, 250, 260, 270] },
  { box: [33, 77, 401, 299] },
  { box: [1, 2, 3, 4] },
  { box: [200, 10, 500, 500] },
];

let sink = 0;

/** Operations per second of `op(i)` over about `ms` milliseconds, after a warm-up. */
function measure(op: (i: number) => number, ms = 400): number {
  for (let i = 0; i < 200_000; i++) sink += op(i);
  let ops = 0;
  let batch = 10_000;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) sink += op(i);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsed < ms / 10) batch *= 2;
  }
  return ops / (elapsed / 1000);
}

const options: Record<string, CodecOptions> = {
  nfp: { kind: 'nfp' },
  ivb: { kind: 'ivb', bins: 224 },
  diga: { kind: 'diga', bins: 224 },
  shikra: { kind: 'shikra' },
  qwen: { kind: 'qwen' },
  'qwen2-vl': { kind: 'qwen2-vl' },
  florence: { kind: 'florence' },
  paligemma: { kind: 'paligemma' },
  kosmos: { kind: 'kosmos' },
  ferret: { kind: 'ferret' },
};

const figures: Record<string, number> = {};
const codecs: Record<string, Codec> = {};
for (const kind of CODEC_KINDS) {
  const codec = createCodec(options[kind] as CodecOptions);
  codecs[kind] = codec;
  const texts = boxes.map((b) => codec.encode(b, image));
  // A typical one-box answer, as LocVLM is trained to write it.
  const answers = texts.map((t) => `It is located at ${t}`);
  const n = boxes.length - 1; // power of two minus one: index with & n
  figures[`encode ${kind} (box ops/s)`] = measure((i) => codec.encode(boxes[i & n] as Location, image).length);
  figures[`decode ${kind} (ops/s)`] = measure((i) => codec.decode(texts[i & n] as string, image).length);
  figures[`parse ${kind} one-box answer (ops/s)`] = measure(
    (i) => parseLocations(answers[i & n] as string, codec, image).locations.length,
  );
}
// The example answer, exactly.
const ivb = codecs.ivb as Codec;
figures['parse "It is located at (4, 52, 13, 63)" ivb (ops/s)'] = measure(
  () => parseLocations('It is located at (4, 52, 13, 63)', ivb, image).locations.length,
);
if (sink === -1) console.log(sink);

const goal = (name: string, value: number, target: number) => ({
  name,
  value,
  goal: `>= ${target} ops/s`,
  met: value >= target,
});
writeBenchReport('@locvlm/coord-codec', figures, [
  goal('encode ivb box', figures['encode ivb (box ops/s)'] as number, 2_000_000),
  goal('encode nfp box', figures['encode nfp (box ops/s)'] as number, 2_000_000),
  goal(
    'parse "It is located at (4, 52, 13, 63)" (ivb)',
    figures['parse "It is located at (4, 52, 13, 63)" ivb (ops/s)'] as number,
    1_000_000,
  ),
]);
