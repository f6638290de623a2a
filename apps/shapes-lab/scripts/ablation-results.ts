// Collects the runs of scripts/ablation.sh (OUT/<table>/<arm>/seed<S>/run.json + eval.json) into
// ablation/results.json (per arm, per seed: the trainer flags, the recipe, the metrics through @locvlm/runtime, the
// trainer's code hash and git commit), results.md (per recipe, each arm's mean (min–max) over its seeds, every run,
// what is still pending) and report.html (src/report.ts's ablationHtml: table and per-metric bars, min-max whiskers).
//
//   npx tsx apps/shapes-lab/scripts/ablation-results.ts --runs .tmp/ablation --out apps/shapes-lab/ablation \
//     --tables "clean onestage attn" --arms "none +LocPred +LocPred+NegPred all" --seeds "1 2 3" --note "..."
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from 'markdown-table';
import type { ShapesMetrics } from '../src/evaluate.js';
import { ablationHtml } from '../src/report.js';

const TITLE = 'Table 11 in miniature: LocVLM objectives on the shapes world';

/** What the grid's recipes are; the table ids are ablation.sh's TABLES. */
const RECIPES: Record<string, { heading: string; suffix: string; label: string }> = {
  clean: {
    heading:
      "Without attention supervision, our two language stages: the paper's objectives, next-token loss only " +
      '(`--attn-weight 0` in stages 2a and 2)',
    suffix: '',
    label: 'no attention supervision (--attn-weight=0)',
  },
  onestage: {
    heading:
      "Without attention supervision, one stage: the paper's recipe with no stage 2a (`--attn-weight 0 " +
      '--locate-steps 0 --steps2 8900`: the same 8,900 language steps, all on the whole instruction data)',
    suffix: ' (one stage)',
    label: 'no attention supervision, one stage (--attn-weight=0, --locate-steps=0, --steps2=8900)',
  },
  attn: {
    heading:
      'With attention supervision: our addition, not in the paper (the trainer defaults: the decoder attention ' +
      'pulled onto box-derived targets in stages 2a and 2)',
    suffix: ' (+attention sup.)',
    label: 'attention supervision (trainer defaults)',
  },
};

/** What ablation.sh writes beside each run's eval.json. */
interface RunFile {
  table: string;
  recipe: string;
  arm: string;
  objectives: string[];
  seed: number;
  trainerFlags: string[];
  trainerSha: string;
  gitCommit: string;
  trainerUncommittedFiles: number;
  limit: number;
  wallSeconds?: number;
  timings?: Record<string, number>;
  metricsPytorch50?: Record<string, number>;
  eval?: string;
}

interface SeedResult extends Omit<RunFile, 'eval' | 'arm' | 'table' | 'objectives' | 'recipe'> {
  metrics: ShapesMetrics;
  questions: number;
  /** The run's folder under --runs. */
  folder: string;
}

/** One arm of results.json: src/report.ts's AblationArm (name, note, seeds with metrics) plus the recipe and spread. */
interface ArmResult {
  name: string;
  /** The arm's name in ablation.sh (name is it with the recipe's suffix). */
  arm: string;
  table: string;
  recipe: string;
  objectives: string[];
  note: string;
  /** Mean, lowest and highest over the seeds (the table's `mean (min–max)`); `metrics` is the mean. */
  metrics: ShapesMetrics;
  min: Partial<ShapesMetrics>;
  max: Partial<ShapesMetrics>;
  seeds: SeedResult[];
}

const { values: o } = parseArgs({
  options: {
    runs: { type: 'string' },
    out: { type: 'string' },
    note: { type: 'string', default: '' },
    tables: { type: 'string', default: 'clean onestage attn' },
    arms: { type: 'string', default: 'none +LocPred +LocPred+NegPred all' },
    seeds: { type: 'string', default: '1 2 3' },
  },
});
if (!o.runs || !o.out) throw new Error('ablation-results: --runs <dir> and --out <dir> are required');
const runsDir = o.runs;
const outDir = o.out;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

const runs: (RunFile & { metrics: ShapesMetrics; questions: number; folder: string })[] = [];
for (const f of (await readdir(runsDir, { recursive: true })).filter((f) => /(^|\/)run\.json$/.test(f)).sort()) {
  const path = join(runsDir, f);
  const run = JSON.parse(await readFile(path, 'utf8')) as RunFile;
  const evaluated = JSON.parse(await readFile(join(dirname(path), run.eval ?? 'eval.json'), 'utf8'));
  runs.push({ ...run, metrics: evaluated.metrics, questions: evaluated.answered?.length ?? 0, folder: dirname(f) });
}

// Runs recorded in an earlier results.json whose folders are not under --runs (trained on another machine, or
// their folders deleted) are kept as recorded, so the grid can be resumed anywhere; a run on disk replaces its record.
const runKey = (r: { table: string; arm: string; seed: number }) => `${r.table}/${r.arm}/${r.seed}`;
let recorded = 0;
try {
  const before = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as { arms?: ArmResult[] };
  const onDisk = new Set(runs.map(runKey));
  for (const arm of before.arms ?? [])
    for (const seed of arm.seeds) {
      const run = { ...seed, table: arm.table, recipe: arm.recipe, arm: arm.arm, objectives: arm.objectives };
      if (onDisk.has(runKey(run))) continue;
      runs.push(run);
      recorded++;
    }
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

const tableOrder = (t: string) => {
  const i = words(o.tables).indexOf(t);
  return i < 0 ? 99 : i;
};
const armOrder = (a: string) => {
  const i = words(o.arms).indexOf(a);
  return i < 0 ? 99 : i;
};
runs.sort(
  (a, b) =>
    tableOrder(a.table) - tableOrder(b.table) ||
    a.table.localeCompare(b.table) ||
    armOrder(a.arm) - armOrder(b.arm) ||
    a.arm.localeCompare(b.arm) ||
    a.seed - b.seed,
);

const arms: ArmResult[] = [];
for (const r of runs) {
  const recipe = RECIPES[r.table];
  const name = `${r.arm}${recipe ? recipe.suffix : ` (${r.table})`}`;
  let arm = arms.find((a) => a.table === r.table && a.name === name);
  if (!arm) {
    arm = {
      name,
      arm: r.arm,
      table: r.table,
      recipe: r.recipe,
      objectives: r.objectives,
      note: '',
      metrics: { counts: {} },
      min: {},
      max: {},
      seeds: [],
    };
    arms.push(arm);
  }
  const { arm: _a, table: _t, objectives: _o, recipe: _r, eval: _e, ...seed } = r;
  arm.seeds.push(seed);
}
const fmt = (v: number | undefined) => (typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : '–');
const METRICS: [Exclude<keyof ShapesMetrics, 'counts'>, string][] = [
  ['leftRightAccuracy', 'left/right %'],
  ['aboveBelowAccuracy', 'above/below %'],
  ['hallucinationAccuracy', 'hallucination %'],
  ['regionMeteor', 'RD METEOR'],
  ['locpredAccuracy', 'LocPred acc@0.5 %'],
  ['meanIou', 'LocPred mean IoU'],
  ['negpredAccuracy', "NegPred 'no such object' %"],
];
for (const arm of arms) {
  arm.metrics = { counts: arm.seeds[0]!.metrics.counts };
  for (const [key] of METRICS) {
    const values = arm.seeds.map((s) => s.metrics[key]).filter((v): v is number => typeof v === 'number');
    if (values.length === 0) continue;
    arm.metrics[key] = Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;
    arm.min[key] = Math.min(...values);
    arm.max[key] = Math.max(...values);
  }
  const questions = [...new Set(arm.seeds.map((s) => s.questions))].join('/');
  const label = RECIPES[arm.table]?.label ?? `recipe ${arm.recipe || '(trainer defaults)'}`;
  arm.note = `${label}; ${arm.seeds.length === 1 ? 'seed' : 'seeds'} ${arm.seeds.map((s) => s.seed).join(', ')} × ${questions} questions`;
}

// The grid ablation.sh was asked for, and which of its runs are not on disk yet.
const pending = words(o.seeds).flatMap((seed) =>
  words(o.tables).flatMap((table) =>
    words(o.arms)
      .filter((arm) => !runs.some((r) => r.table === table && r.arm === arm && String(r.seed) === seed))
      .map((arm) => ({ table, arm, seed: Number(seed) })),
  ),
);

const results = { title: TITLE, note: o.note, arms, pending };

await mkdir(outDir, { recursive: true });
const write = async (name: string, text: string) => {
  const tmp = join(outDir, `${name}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, join(outDir, name));
};

const md = [`# ${TITLE}`, o.note];
const tables = [...new Set([...words(o.tables), ...arms.map((a) => a.table)])];
for (const table of tables) {
  const ofTable = arms.filter((a) => a.table === table);
  md.push(`## ${RECIPES[table]?.heading ?? `Recipe "${table}"`}`);
  if (ofTable.length === 0) {
    md.push('Not run yet.');
    continue;
  }
  const seeds = [...new Set(ofTable.map((a) => a.seeds.length))];
  md.push(
    seeds.length === 1 && seeds[0] === 1
      ? 'One seed per arm so far: no spread yet.'
      : 'Mean over the seeds of each arm, (lowest–highest) when it has several; the note says which seeds.',
    `Trainer flags of the recipe: \`${ofTable[0]!.recipe || '(the defaults)'}\`.`,
    markdownTable(
      [
        ['objectives', ...METRICS.map(([, t]) => t), 'note'],
        ...ofTable.map((a) => [
          a.arm,
          ...METRICS.map(([k]) =>
            a.seeds.length > 1 && a.min[k] !== undefined
              ? `${fmt(a.metrics[k])} (${fmt(a.min[k])}–${fmt(a.max[k])})`
              : fmt(a.metrics[k]),
          ),
          a.note,
        ]),
      ],
      { align: ['', ...METRICS.map(() => 'r'), ''] },
    ),
  );
}
md.push(
  '## Every run',
  "Each through `@locvlm/runtime` on the same held-out test items; `train min` is train.py's wall time (export included, shared machine); `trainer` is the hash of the trainer's Python files, `commit` the checkout the grid ran from.",
  markdownTable(
    [
      ['recipe', 'objectives', 'seed', ...METRICS.map(([, t]) => t), 'train min', 'trainer', 'commit'],
      ...arms.flatMap((a) =>
        a.seeds.map((s) => [
          a.table,
          a.arm,
          String(s.seed),
          ...METRICS.map(([k]) => fmt(s.metrics[k] as number | undefined)),
          s.wallSeconds === undefined ? '–' : (s.wallSeconds / 60).toFixed(1),
          s.trainerSha,
          `${s.gitCommit.slice(0, 7)}${s.trainerUncommittedFiles ? ' + uncommitted trainer edits' : ''}`,
        ]),
      ),
    ],
    { align: ['', '', 'r', ...METRICS.map(() => 'r'), 'r', '', ''] },
  ),
);
if (pending.length > 0)
  md.push(
    '## Pending',
    `Not run yet (${pending.length} of the grid's ${words(o.seeds).length * words(o.tables).length * words(o.arms).length}): ${pending.map((p) => `${p.table} ${p.arm} seed ${p.seed}`).join('; ')}.`,
  );

await write('results.json', `${JSON.stringify(results, null, 1)}\n`);
await write('results.md', `${md.join('\n\n')}\n`);
await write(
  'report.html',
  // src/report.ts draws each arm from its seeds: the mean, with a min-max whisker when there are several.
  ablationHtml(
    arms,
    TITLE,
    `${o.note} ${pending.length > 0 ? `Pending: ${pending.map((p) => `${p.table} ${p.arm} seed ${p.seed}`).join('; ')}.` : ''}`.trim(),
  ),
);
console.log(
  `${runs.length} runs (${recorded} kept from the earlier results.json), ${pending.length} pending: ${join(outDir, 'results.md')}`,
);
