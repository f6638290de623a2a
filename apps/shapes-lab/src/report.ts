// The ablation's table (Markdown) and its HTML report with per-metric bars, from the metrics of each arm. An arm
// holds one measurement per seed: with one seed the table and the bars show its values, with several their mean,
// and the range (min-max) beside the numbers and as whiskers on the bars.
import { type BarMetric, renderMetricBars, type SpreadValue, spreadOf } from '@locvlm/eval';
import { markdownTable } from 'markdown-table';
import type { ShapesMetrics } from './evaluate.js';

/** One measurement of an arm: the metrics of one trained seed, and how many questions they are over. */
export interface AblationSeed {
  metrics: ShapesMetrics;
  /** Questions answered (all kinds). */
  questions?: number;
  /** The trainer's seed, when known. */
  seed?: number;
}

/** One arm of the ablation: its name ("none", "+LocPred", ...) and one measurement per seed, in seed order. */
export interface AblationArm {
  name: string;
  seeds: AblationSeed[];
  /** Free text for the table's note column; default: the questions (and seeds) measured. */
  note?: string;
}

/** The columns of the table and the panels of the chart, in order, with each one's axis. */
const COLUMNS: [keyof ShapesMetrics, string, number][] = [
  ['leftRightAccuracy', 'left/right %', 100],
  ['aboveBelowAccuracy', 'above/below %', 100],
  ['hallucinationAccuracy', 'hallucination %', 100],
  ['regionMeteor', 'RD METEOR', 1],
  ['locpredAccuracy', 'LocPred acc@0.5 %', 100],
  ['negpredAccuracy', "NegPred 'no such object' %", 100],
];

/** An arm's value of one metric over its seeds: the mean, min, max and how many seeds measured it. */
export function armValue(arm: AblationArm, metric: keyof ShapesMetrics): SpreadValue | null {
  return spreadOf(arm.seeds.flatMap((s) => (typeof s.metrics[metric] === 'number' ? [s.metrics[metric]] : [])));
}

/** Up to 3 decimals, trailing zeros dropped (100, 99.5, 0.119). */
const number = (v: number) => String(Math.round(v * 1000) / 1000);

function cell(value: SpreadValue | null): string {
  if (!value) return '–';
  return value.n > 1 ? `${number(value.mean)} (${number(value.min)}–${number(value.max)})` : number(value.mean);
}

function note(arm: AblationArm): string {
  if (arm.note !== undefined) return arm.note;
  const questions = [...new Set(arm.seeds.map((s) => s.questions ?? '?'))].join('/');
  return arm.seeds.length > 1 ? `${arm.seeds.length} seeds × ${questions} questions` : `${questions} questions`;
}

/**
 * A GitHub table, padded and aligned (numbers right) the way the repository's formatter leaves Markdown. An arm
 * with several seeds shows each metric's mean and its range: `97.3 (95–99.5)`.
 */
export function ablationMarkdown(arms: readonly AblationArm[]): string {
  const head = ['objectives', ...COLUMNS.map(([, t]) => t), 'note'];
  const rows = arms.map((a) => [a.name, ...COLUMNS.map(([k]) => cell(armValue(a, k))), note(a)]);
  return markdownTable([head, ...rows], { align: ['', ...COLUMNS.map(() => 'r'), ''] });
}

/** The per-metric bars of the arms (inline SVG from @locvlm/eval's `renderMetricBars`). */
export function ablationChart(arms: readonly AblationArm[], title: string): string {
  const metrics: BarMetric[] = COLUMNS.map(([, name, max]) => ({ name, max }));
  return renderMetricBars({
    title,
    metrics,
    series: arms.map((arm) => ({ label: arm.name, values: COLUMNS.map(([key]) => armValue(arm, key)) })),
  });
}

const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The HTML report: title, note, the per-metric bars, then the table. One self-contained file, no network. */
export function ablationHtml(arms: readonly AblationArm[], title: string, intro: string): string {
  const th = ['objectives', ...COLUMNS.map(([, t]) => t), 'note'].map((t) => `<th>${escapeHtml(t)}</th>`).join('');
  const rows = arms
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.name)}</td>${COLUMNS.map(([k]) => `<td class="n">${escapeHtml(cell(armValue(a, k)))}</td>`).join('')}<td>${escapeHtml(note(a))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3rem .6rem}td.n{text-align:right}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(intro)}</p>
${ablationChart(arms, title)}
<table><thead><tr>${th}</tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
