// Localize-Instruct at COCO-train scale: synthesize an instances file the size of instances_train2017.json
// (118k images, 860k annotations with polygons, 80 categories; cached under .tmp/), read it, build and write
// Localize-Instruct (LLaVA JSON), and report wall time, records/s and peak RSS. Then the detectors: face recall by
// size for the privacy blur and CenterNet's recall by size (bench/detection.ts).
//
// `npm run bench` runs all three parts; `npm run bench -- coco|faces|objects` runs some of them and keeps the other
// parts' figures already in bench-results/pseudo-data.json.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import { type BenchGoal, writeBenchReport } from '../../../scripts/bench-report.ts';
import { cocoImages, readCocoInstances, writeLocalizeInstruct } from '../src/index.js';
import { type BenchPart, benchFaces, benchObjects } from './detection.js';
import { synthesizeCoco } from './synthesize.js';

const PARTS = ['coco', 'faces', 'objects'] as const;
const asked = process.argv.slice(2);
for (const part of asked) {
  if (!(PARTS as readonly string[]).includes(part)) {
    throw new Error(`bench: unknown part ${JSON.stringify(part)} (command line); use ${PARTS.join(', ')}`);
  }
}
const parts = asked.length === 0 ? [...PARTS] : asked;

async function benchCoco(): Promise<BenchPart> {
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

  return {
    figures: {
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
    goals: [
      { name: 'wall time (s)', value: wallSeconds, goal: '<= 20 s', met: wallSeconds <= 20 },
      { name: 'peak RSS (MB)', value: peakRssMb, goal: '<= 2000 MB', met: peakRssMb <= 2000 },
    ],
  };
}

const figures: Record<string, number> = {};
const goals: BenchGoal[] = [];
const report = new URL('../../../bench-results/pseudo-data.json', import.meta.url).pathname;
if (parts.length < PARTS.length && existsSync(report)) {
  // Keep what the parts not run this time measured before.
  const previous = JSON.parse(readFileSync(report, 'utf8')) as { figures: Record<string, number>; goals: BenchGoal[] };
  Object.assign(figures, previous.figures);
  goals.push(...previous.goals);
}
for (const part of parts) {
  const result = part === 'coco' ? await benchCoco() : part === 'faces' ? await benchFaces(40) : await benchObjects(16);
  Object.assign(figures, result.figures);
  for (const goal of result.goals) {
    const i = goals.findIndex((g) => g.name === goal.name);
    if (i >= 0) goals[i] = goal;
    else goals.push(goal);
  }
}
writeBenchReport('@locvlm/pseudo-data', figures, goals);
