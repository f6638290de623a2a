// The paper's published numbers (LocVLM, CVPR 2024: Tables 4-11), printed as reference rows beside measured runs,
// and how each table column reads a measured run. Values are as printed in the paper (percent, METEOR x100).
import type { EvalTask, TaskScore } from '../tasks/types.js';

/** One measured run: a task's samples and its score, under a label such as `baseline` or `locvlm`. */
export interface ReportRun {
  /** Row name in the tables; runs sharing a label fill one row (one model over several tasks). */
  label: string;
  model: string;
  task: EvalTask;
  score: TaskScore;
  /** The run folder, when the run was read from disk (the report also looks for the run's pictures from it). */
  dir?: string;
}

/** One column of a paper table: the metric it shows and how to read it from a run's scores. */
export interface PaperColumn {
  header: string;
  /** The run's value for this column in the paper's units, or undefined when the run does not measure it. */
  read(run: ReportRun): number | undefined;
}

/** One published row of a paper table (a model and its reported numbers). */
export interface PaperReferenceRow {
  method: string;
  /** Extra qualifier shown after the name, e.g. `ICL` or `zero-shot`. */
  setting?: string;
  values: (number | null)[];
}

/** A table of the LocVLM paper, with its columns and published rows, that reports put runs beside. */
export interface PaperTable {
  id: string;
  title: string;
  caption: string;
  /** Which runs this table is about (a table is shown when at least one run matches). */
  matches(run: ReportRun): boolean;
  columns: PaperColumn[];
  reference: PaperReferenceRow[];
}

const pct = (v: number | undefined) => (v === undefined ? undefined : v * 100);
const metric = (run: ReportRun, name: string) => run.score.metrics[name];
const config = (run: ReportRun, key: string) => run.task.config[key];

function spatialColumns(axis: 'horizontal' | 'vertical', prompt: 'direct' | 'icl'): PaperColumn[] {
  const [a, b] = axis === 'horizontal' ? ['left', 'right'] : ['above', 'below'];
  const applies = (run: ReportRun) =>
    run.task.kind === 'coco-spatial' &&
    (config(run, 'axis') ?? 'horizontal') === axis &&
    (config(run, 'prompt') ?? 'direct') === prompt;
  const col = (header: string, name: string): PaperColumn => ({
    header,
    read: (run) => (applies(run) ? pct(metric(run, name)) : undefined),
  });
  return [col('All', 'accuracy'), col(cap(a), `accuracy.${a}`), col(cap(b), `accuracy.${b}`)];
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function spatialTable(prompt: 'direct' | 'icl'): PaperTable {
  const rows =
    prompt === 'direct'
      ? [
          { method: 'BLIP-2', values: [45.5, 86.1, 4.74, 49.2, 50.4, 48.6] },
          { method: 'LLaVA', values: [55.1, 84.5, 36.5, 58.9, 57.8, 59.3] },
          { method: 'LocVLM-B (paper)', values: [69.5, 79.7, 59.2, 65.4, 64.2, 65.9] },
        ]
      : [
          { method: 'BLIP-2', values: [14.7, 17.8, 11.6, 15.8, 16.5, 15.2] },
          { method: 'LLaVA', values: [55.1, 84.7, 36.4, 58.2, 57.7, 58.5] },
          { method: 'LocVLM-B (paper)', values: [76.5, 90.4, 61.5, 74.1, 73.5, 74.4] },
        ];
  return {
    id: `table4-${prompt}`,
    title: `Table 4: Spatial reasoning (COCO-Spatial, ${prompt === 'direct' ? 'direct' : 'in-context'} prompt)`,
    caption:
      'Accuracy (%) of answering whether one object is left/right (above/below) of another. The paper builds its ' +
      'set from COCO train (26,716 questions); the released coco_spatial.json differs (val2014, non-overlapping pairs).',
    matches: (run) => run.task.kind === 'coco-spatial' && (config(run, 'prompt') ?? 'direct') === prompt,
    columns: [...spatialColumns('horizontal', prompt), ...spatialColumns('vertical', prompt)],
    reference: rows.map((r) => ({ ...r, setting: prompt === 'icl' ? 'ICL' : 'direct' })),
  };
}

const byName =
  (name: string, metricName: string, scale = 100) =>
  (run: ReportRun): number | undefined => {
    if (run.task.name !== name) return undefined;
    const v = metric(run, metricName);
    return v === undefined ? undefined : v * scale;
  };

const popeSplits = ['random', 'popular', 'adversarial'] as const;
const popeMetrics = [
  ['Acc', 'accuracy'],
  ['Prec', 'precision'],
  ['Rec', 'recall'],
  ['F1', 'f1'],
  ['Yes', 'yesRatio'],
] as const;

function popeColumn(split: string, header: string, name: string): PaperColumn {
  return {
    header: `${cap(split)} ${header}`,
    read(run) {
      if (run.task.kind !== 'pope') return undefined;
      if (run.task.name === `pope-${split}`) return pct(metric(run, name));
      return pct(metric(run, `${split}.${name}`));
    },
  };
}

/** POPE values per method, in the column order random/popular/adversarial x Acc/Prec/Rec/F1/Yes. */
const popeReference: Record<string, number[]> = {
  'BLIP-2': [88.6, 84.1, 95.1, 89.3, 56.6, 82.8, 76.3, 95.1, 84.7, 62.4, 72.1, 65.1, 95.1, 77.3, 73.0],
  Shikra: [86.9, 94.4, 79.3, 86.2, 43.3, 84.0, 87.6, 79.2, 83.2, 45.2, 83.1, 85.6, 79.6, 82.5, 46.5],
  LLaVA: [50.4, 50.2, 99.1, 66.6, 98.8, 49.9, 49.9, 99.3, 66.4, 99.4, 49.7, 49.9, 99.1, 66.3, 99.4],
  'LocVLM-B (paper)': [87.9, 83.6, 93.9, 88.5, 56.2, 86.0, 79.7, 93.9, 86.3, 58.9, 78.8, 76.6, 93.7, 84.3, 61.7],
};

function regionColumn(header: string, dataset: string, splits: string[]): PaperColumn {
  return {
    header,
    read(run) {
      if (run.task.kind !== 'region-description') return undefined;
      if (config(run, 'dataset') !== dataset || !splits.includes(String(config(run, 'split')))) return undefined;
      const v = metric(run, 'meteor');
      return v === undefined ? undefined : v * 100;
    },
  };
}

const videoColumns: [string, string][] = [
  ['ActivityNet-QA', 'activitynet-qa'],
  ['MSRVTT-QA', 'msrvtt-qa'],
  ['MSVD-QA', 'msvd-qa'],
  ['TGIF-QA', 'tgif-qa'],
];

/** Every paper table this report knows, in the paper's order. */
export const PAPER_TABLES: readonly PaperTable[] = [
  spatialTable('direct'),
  spatialTable('icl'),
  {
    id: 'table5',
    title: 'Table 5: Image VQA',
    caption: 'Accuracy (%) on GQA test-dev and VQAv2 val (VQA-V) / test-dev (VQA-T). Zero-shot rows shown.',
    matches: (run) => run.task.kind === 'vqav2' || run.task.kind === 'gqa',
    columns: [
      { header: 'GQA', read: byName('gqa', 'accuracy') },
      {
        header: 'VQA-V',
        read: (run) =>
          run.task.kind === 'vqav2' && config(run, 'split') !== 'test2015' ? pct(metric(run, 'accuracy')) : undefined,
      },
      {
        header: 'VQA-T',
        read: (run) =>
          run.task.kind === 'vqav2' && config(run, 'split') === 'test2015' ? pct(metric(run, 'accuracy')) : undefined,
      },
    ],
    reference: [
      { method: 'LLaVA-v1', setting: 'zero-shot, 224', values: [44.7, 49.8, 49.3] },
      { method: 'LocVLM-B (paper)', setting: 'zero-shot, 224', values: [47.3, 50.3, 50.8] },
      { method: 'BLIP-2', setting: 'zero-shot', values: [44.7, 54.3, 53.9] },
      { method: 'LLaVA-v1.5', setting: 'zero-shot, 336', values: [48.7, 55.7, 55.3] },
      { method: 'LocVLM-L (paper)', setting: 'zero-shot, 336', values: [50.2, 55.9, 56.2] },
    ],
  },
  {
    id: 'table6',
    title: 'Table 6: Video VQA',
    caption: 'Zero-shot top-1 accuracy (%) with the Video-ChatGPT judge protocol.',
    matches: (run) => run.task.kind === 'video-qa',
    columns: videoColumns.map(([header, name]) => ({ header, read: byName(name, 'accuracy') })),
    reference: [
      { method: 'Video-ChatGPT', values: [35.2, 49.3, 64.9, 51.4] },
      { method: 'LocVLM-Vid-B (paper)', values: [37.4, 51.2, 66.1, 51.8] },
    ],
  },
  {
    id: 'table8',
    title: 'Table 8: Hallucination',
    caption: 'Top-1 accuracy (%) on object-presence questions, two present and two absent objects per sample.',
    matches: (run) => run.task.kind === 'hallucination',
    columns: [
      { header: 'Hal-COCO', read: byName('hal-coco', 'accuracy') },
      { header: 'Hal-ADE', read: byName('hal-ade', 'accuracy') },
      { header: 'Hal-Act', read: byName('hal-act', 'accuracy') },
    ],
    reference: [
      { method: 'Shikra', values: [86.2, 58.7, null] },
      { method: 'LLaVA', values: [61.9, 53.8, null] },
      { method: 'LocVLM-B (paper)', values: [88.3, 75.2, null] },
      { method: 'Video-ChatGPT', values: [null, null, 50.6] },
      { method: 'LocVLM-Vid-B (paper)', values: [null, null, 68.7] },
      { method: 'LocVLM-Vid-B+ (paper)', values: [null, null, 72.4] },
    ],
  },
  {
    id: 'table9',
    title: 'Table 9: POPE',
    caption: 'Accuracy, precision, recall, F1 (%) and yes-ratio (%) on the random, popular and adversarial splits.',
    matches: (run) => run.task.kind === 'pope',
    columns: popeSplits.flatMap((split) => popeMetrics.map(([h, n]) => popeColumn(split, h, n))),
    reference: Object.entries(popeReference).map(([method, values]) => ({ method, values })),
  },
  {
    id: 'table10',
    title: 'Table 10: Region description',
    caption: 'METEOR (x100). RefCOCO and RefCOCO+ on testB, RefCOCOg on val and test.',
    matches: (run) => run.task.kind === 'region-description',
    columns: [
      regionColumn('RefCOCO', 'refcoco', ['testB']),
      regionColumn('RefCOCO+', 'refcoco+', ['testB']),
      regionColumn('RefCOCOg val', 'refcocog', ['val']),
      regionColumn('RefCOCOg test', 'refcocog', ['test']),
    ],
    reference: [
      { method: 'Kosmos-2', setting: 'fine-tuned', values: [8.67, 8.82, 14.3, 14.1] },
      { method: 'Shikra', setting: 'fine-tuned', values: [10.4, 11.1, 19.7, 19.5] },
      { method: 'LLaVA', setting: 'fine-tuned', values: [8.43, 8.73, 13.5, 13.5] },
      { method: 'LocVLM-B (paper)', setting: 'fine-tuned', values: [14.6, 15.2, 26.0, 26.2] },
      { method: 'Kosmos-2', setting: 'zero-shot', values: [6.34, 8.25, 12.4, 12.2] },
      { method: 'LLaVA', setting: 'zero-shot', values: [4.23, 7.26, 10.6, 10.3] },
      { method: 'LocVLM-B (paper)', setting: 'zero-shot', values: [11.0, 11.1, 20.6, 20.7] },
    ],
  },
  {
    id: 'table11',
    title: 'Table 11: Ablations (LocVLM-B)',
    caption: 'GQA accuracy (%), region-description METEOR (x100) on RefCOCOg test, ActivityNet-QA accuracy (%).',
    matches: (run) =>
      run.task.name === 'gqa' ||
      run.task.name === 'activitynet-qa' ||
      (run.task.kind === 'region-description' &&
        config(run, 'dataset') === 'refcocog' &&
        config(run, 'split') === 'test'),
    columns: [
      { header: 'GQA', read: byName('gqa', 'accuracy') },
      regionColumn('RD', 'refcocog', ['test']),
      { header: 'A-QA', read: byName('activitynet-qa', 'accuracy') },
    ],
    reference: [
      { method: 'no IFT objective', values: [44.7, 10.3, 35.2] },
      { method: 'LocPred', values: [45.2, 12.2, 35.8] },
      { method: 'LocPred + NegPred', values: [46.9, 12.5, 37.2] },
      { method: 'LocPred + NegPred + RevLoc', values: [47.3, 20.7, 37.4] },
      { method: 'point locations', setting: 'with pseudo-data', values: [47.3, 20.6, 37.4] },
      { method: 'box locations', setting: 'with pseudo-data', values: [47.3, 20.7, 37.4] },
      { method: 'box locations', setting: 'without pseudo-data', values: [46.5, 11.6, 37.1] },
    ],
  },
];

/** Report tables for tasks the paper has no table for (grounding, or any task): its headline metrics. */
export function headlineMetricNames(score: TaskScore): string[] {
  return Object.keys(score.metrics);
}
