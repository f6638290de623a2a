// The ablation's results table (Markdown) and HTML report, from the metrics of each arm.
import { markdownTable } from 'markdown-table';
import type { ShapesMetrics } from './evaluate.js';

export interface AblationArm {
  /** "none", "+LocPred", ... */
  name: string;
  metrics: ShapesMetrics;
  /** Free text: steps, time, data size. */
  note?: string;
}

const COLUMNS: [keyof ShapesMetrics, string][] = [
  ['leftRightAccuracy', 'left/right %'],
  ['aboveBelowAccuracy', 'above/below %'],
  ['hallucinationAccuracy', 'hallucination %'],
  ['regionMeteor', 'RD METEOR'],
  ['locpredAccuracy', 'LocPred acc@0.5 %'],
  ['negpredAccuracy', "NegPred 'no such object' %"],
];

const cell = (v: unknown) => (typeof v === 'number' ? String(v) : '–');

/** A GitHub table, padded and aligned (numbers right) the way the repository's formatter leaves Markdown. */
export function ablationMarkdown(arms: readonly AblationArm[]): string {
  const head = ['objectives', ...COLUMNS.map(([, t]) => t), 'note'];
  const rows = arms.map((a) => [a.name, ...COLUMNS.map(([k]) => cell(a.metrics[k])), a.note ?? '']);
  return markdownTable([head, ...rows], { align: ['', ...COLUMNS.map(() => 'r'), ''] });
}

const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function ablationHtml(arms: readonly AblationArm[], title: string, intro: string): string {
  const th = ['objectives', ...COLUMNS.map(([, t]) => t), 'note'].map((t) => `<th>${escapeHtml(t)}</th>`).join('');
  const rows = arms
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.name)}</td>${COLUMNS.map(([k]) => `<td class="n">${cell(a.metrics[k])}</td>`).join('')}<td>${escapeHtml(a.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3rem .6rem}td.n{text-align:right}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(intro)}</p>
<table><thead><tr>${th}</tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
