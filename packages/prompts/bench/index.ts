// Throughput of building Localize-Instruct records and rendering them, single thread. The issue sets no goal for
// this package; the figures tell pseudo-data how long a 100K-image dataset takes to write.
// Run: npm run bench -w @locvlm/prompts (writes bench-results/prompts.json at the repo root).
import { createCodec } from '@locvlm/coord-codec';
import { writeBenchReport } from '../../../scripts/bench-report.ts';
import { createRng, type LocalizeInput, localizeInstructRecords, renderConversation } from '../src/index.js';

const codec = createCodec({ kind: 'ivb', bins: 224 });
// A typical PRefCOCO image: about 4 objects with pseudo-captions, two absent categories.
const input: LocalizeInput & { image: string } = {
  key: '0',
  image: 'train2014/COCO_train2014_000000397133.jpg',
  imageSize: { width: 640, height: 480 },
  codec,
  seed: 1,
  objects: [
    {
      description: { caption: 'A black cat sitting on the left side of the sofa.' },
      location: { box: [10, 120, 30, 145] },
    },
    { description: { caption: 'A brown dog lying on the rug.' }, location: { box: [300, 200, 620, 470] } },
    { description: { category: 'potted plant' }, location: { box: [500, 20, 600, 180] } },
    { description: { caption: 'A lamp behind the sofa.' }, location: { box: [40, 10, 90, 100] } },
  ],
  negatives: ['zebra', 'umbrella'],
};

let sink = 0;

/** Operations per second of `op(i)` over about `ms` milliseconds, after a warm-up. */
function measure(op: (i: number) => number, ms = 500): number {
  for (let i = 0; i < 5_000; i++) sink += op(i);
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1_000; i++) sink += op(ops + i);
    ops += 1_000;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return ops / (elapsed / 1000);
}

const records = localizeInstructRecords(input);
const figures: Record<string, number> = {
  'localizeInstructRecords images/s': measure((i) => localizeInstructRecords({ ...input, key: String(i) }).length),
  'renderConversation llava_v1 records/s': measure(
    (i) => renderConversation('llava_v1', records[i % records.length]?.conversations ?? []).length,
  ),
  'createRng + 8 draws /s': measure((i) => {
    const rng = createRng(1, String(i));
    let sum = 0;
    for (let k = 0; k < 8; k++) sum += rng.int(0, 4);
    return sum;
  }),
};
if (sink === -1) console.log(sink);
writeBenchReport('@locvlm/prompts', figures, []);
