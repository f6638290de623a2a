// Localize-Instruct at COCO-train scale: synthesize an instances file the size of instances_train2017.json
// (118k images, 860k annotations with polygons, 80 categories; cached under .tmp/), read it, build and write
// Localize-Instruct (LLaVA JSON), and report wall time, records/s and peak RSS.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import { writeBenchReport } from '../../../scripts/bench-report.ts';
import { cocoImages, readCocoInstances, writeLocalizeInstruct } from '../src/index.js';
import { synthesizeCoco } from './synthesize.js';

const here = new URL('..', import.meta.url).pathname;
const cacheDir = join(here, '.tmp');
const instances = join(cacheDir, 'coco-train-synth-v2.json');
const outDir = join(cacheDir, 'bench-out');
mkdirSync(cacheDir, { recursive: true });
if (!existsSync(instances)) {
  console.log(`synthesizing ${instances} (cached for later runs) ...`);
  await synthesizeCoco(instances, { images: 118_287, annotations: 860_001, categories: 80, seed: 1 });
}
const fileMb = statSync(instances).size / 1e6;

const loadBefore = loadavg()[0] ?? 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
const coco = await readCocoInstances(instances);
const readSeconds = (performance.now() - start) / 1000;
const source = { images: cocoImages(coco), categories: coco.categories };
const buildStart = performance.now();
rmSync(outDir, { recursive: true, force: true });
const { stats } = await writeLocalizeInstruct(source, {
  codec: createCodec({ kind: 'ivb', bins: 224 }),
  seed: 1,
  outDir,
  format: 'json',
});
const end = performance.now();
const wallSeconds = (end - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const buildSeconds = (end - buildStart) / 1000;
const questions = stats.questions.locpred + stats.questions.negpred + stats.questions.revloc;
const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
const outMb = statSync(join(outDir, 'localize-instruct.json')).size / 1e6;
rmSync(outDir, { recursive: true, force: true });

writeBenchReport(
  '@locvlm/pseudo-data',
  {
    'instances file (MB)': fileMb,
    images: coco.images.length,
    annotations: coco.annotations.length,
    'read + validate (s)': readSeconds,
    'build + write (s)': buildSeconds,
    'wall time (s)': wallSeconds,
    // CPU time of this process: the machine is shared, so wall time also measures the neighbours.
    'CPU time (s)': cpuSeconds,
    'load average before (1 min)': loadBefore,
    records: stats.records,
    'questions (QA pairs)': questions,
    'records/s': stats.records / wallSeconds,
    'questions/s': questions / wallSeconds,
    'output (MB)': outMb,
    'peak RSS (MB)': peakRssMb,
  },
  [
    { name: 'wall time (s)', value: wallSeconds, goal: '<= 20 s', met: wallSeconds <= 20 },
    { name: 'peak RSS (MB)', value: peakRssMb, goal: '<= 2000 MB', met: peakRssMb <= 2000 },
  ],
);
