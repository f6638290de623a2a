// Inline SVG charts for reports (no script, no network): per-metric panels of bars, one bar per run or arm, with
// the min-max range drawn as a whisker when a bar is the mean of several runs (seeds).
import { escape as escapeHtml } from 'html-escaper';

/** A value measured over several runs (seeds): their mean and range. */
export interface SpreadValue {
  mean: number;
  min: number;
  max: number;
  /** How many runs the mean is over. */
  n: number;
}

/** The mean and min-max range of several runs' values (non-finite ones left out); null when none is left. */
export function spreadOf(values: readonly number[]): SpreadValue | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return {
    mean: finite.reduce((a, b) => a + b, 0) / finite.length,
    min: Math.min(...finite),
    max: Math.max(...finite),
    n: finite.length,
  };
}

/** One bar series: a run or arm label, its colour and one value per metric (a number, a spread, or none). */
export interface BarSeries {
  label: string;
  /** CSS colour; default one of the report's run colours by position. */
  colour?: string;
  values: (number | SpreadValue | null)[];
}

/** One metric panel: its name and, optionally, the top of its axis. */
export interface BarMetric {
  name: string;
  /** Top of the axis; default 1 when every value is a fraction, 100 when every value is at most 100, else rounded up. */
  max?: number;
}

/** What `renderMetricBars` draws: one panel per metric, one bar per series. */
export interface MetricBarsInput {
  /** Accessible name of the figure. */
  title: string;
  metrics: BarMetric[];
  series: BarSeries[];
}

/** Colours of runs in reports and charts, in order. */
export const RUN_COLOURS = ['#1f77b4', '#d62728', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#2ca02c'];

/** A number as reports print it: integers whole, else 3 decimals below 1, 1 decimal below 100, none above. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(3);
}

const asSpread = (v: number | SpreadValue | null | undefined): SpreadValue | null =>
  v === null || v === undefined
    ? null
    : typeof v === 'number'
      ? Number.isFinite(v)
        ? { mean: v, min: v, max: v, n: 1 }
        : null
      : v;

/** The top of an axis for these values: 1 for fractions, 100 for percentages, else 1, 2 or 5 times a power of 10. */
export function axisMax(values: readonly number[]): number {
  const top = Math.max(0, ...values.filter((v) => Number.isFinite(v)));
  if (top <= 1) return 1;
  if (top <= 100) return 100;
  const power = 10 ** Math.floor(Math.log10(top));
  for (const step of [1, 2, 5, 10]) if (step * power >= top) return step * power;
  return 10 * power;
}

const BAR = 20;
const GAP = 8;
const PLOT = 120;
const TOP = 34;
const LEFT = 34;

function panel(metric: BarMetric, index: number, series: BarSeries[], colours: string[]): string {
  const values = series.map((s) => asSpread(s.values[index]));
  const max = metric.max ?? axisMax(values.flatMap((v) => (v ? [v.mean, v.max] : [])));
  const barsWidth = series.length * (BAR + GAP);
  const width = Math.max(LEFT + barsWidth + 8, Math.ceil(metric.name.length * 6.4) + 12);
  const height = TOP + PLOT + 8;
  const y = (v: number) => TOP + PLOT - (Math.max(0, Math.min(v, max)) / max) * PLOT;
  const parts: string[] = [
    `<text x="${width / 2}" y="13" text-anchor="middle" font-size="11" font-weight="600" fill="#333">${escapeHtml(metric.name)}</text>`,
  ];
  for (const f of [0, 0.5, 1]) {
    const at = y(f * max);
    parts.push(
      `<line x1="${LEFT - 3}" x2="${width - 4}" y1="${at}" y2="${at}" stroke="${f === 0 ? '#999' : '#e4e4e4'}"/>`,
      `<text x="${LEFT - 5}" y="${at + 3}" text-anchor="end" font-size="9" fill="#666">${String(Number((f * max).toFixed(3)))}</text>`,
    );
  }
  values.forEach((value, i) => {
    const x = LEFT + GAP / 2 + i * (BAR + GAP);
    const centre = x + BAR / 2;
    const label = series[i]!.label;
    if (!value) {
      parts.push(
        `<text x="${centre}" y="${TOP + PLOT - 3}" text-anchor="middle" font-size="9" fill="#999"><title>${escapeHtml(`${label}: not measured`)}</title>–</text>`,
      );
      return;
    }
    const top = y(value.mean);
    const tip =
      value.n > 1
        ? `${label}: ${formatNumber(value.mean)} (mean of ${value.n}; min ${formatNumber(value.min)}, max ${formatNumber(value.max)})`
        : `${label}: ${formatNumber(value.mean)}`;
    parts.push(
      `<rect x="${x}" y="${top.toFixed(1)}" width="${BAR}" height="${(TOP + PLOT - top).toFixed(1)}" fill="${colours[i]}"><title>${escapeHtml(tip)}</title></rect>`,
    );
    let labelAt = top - 3;
    if (value.n > 1) {
      const [lo, hi] = [y(value.min), y(value.max)];
      parts.push(
        `<g stroke="#222" stroke-width="1.2" class="spread"><line x1="${centre}" x2="${centre}" y1="${hi.toFixed(1)}" y2="${lo.toFixed(1)}"/><line x1="${centre - 4}" x2="${centre + 4}" y1="${hi.toFixed(1)}" y2="${hi.toFixed(1)}"/><line x1="${centre - 4}" x2="${centre + 4}" y1="${lo.toFixed(1)}" y2="${lo.toFixed(1)}"/></g>`,
      );
      labelAt = Math.min(labelAt, hi - 3);
    }
    parts.push(
      `<text x="${centre}" y="${Math.max(TOP - 8, labelAt).toFixed(1)}" text-anchor="middle" font-size="8.5" fill="#222">${formatNumber(value.mean)}</text>`,
    );
  });
  return `<svg class="metric-panel" role="img" aria-label="${escapeHtml(metric.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui,sans-serif">${parts.join('')}</svg>`;
}

/**
 * Per-metric grouped bars as inline SVG: one panel per metric (each with its own axis, so percentages and METEOR
 * scores can sit side by side), one bar per series in the series' colour, its value written above it. A series
 * value that is the mean of several runs (a `SpreadValue` with n > 1, e.g. seeds) gets a whisker from its min to its
 * max; a single value is drawn alone. Returns an HTML fragment (a legend and the panels), or '' with nothing to draw.
 */
export function renderMetricBars(input: MetricBarsInput): string {
  const { metrics, series } = input;
  if (metrics.length === 0 || series.length === 0) return '';
  const colours = series.map((s, i) => s.colour ?? RUN_COLOURS[i % RUN_COLOURS.length]!);
  const any = series.some((s) => s.values.some((v) => asSpread(v) !== null));
  if (!any) return '';
  const spreads = series.some((s) => s.values.some((v) => (asSpread(v)?.n ?? 1) > 1));
  const legend = series
    .map(
      (s, i) =>
        `<span style="display:inline-flex;align-items:center;gap:4px;margin-right:12px"><span style="display:inline-block;width:10px;height:10px;border-radius:2px;background:${colours[i]}"></span>${escapeHtml(s.label)}</span>`,
    )
    .join('');
  const note = spreads
    ? 'Bars: mean over the runs with the same label (seeds); whiskers: their min–max range.'
    : 'One run per bar.';
  return `<figure class="metric-bars" role="group" aria-label="${escapeHtml(input.title)}" style="margin:8px 0 16px"><figcaption style="font-size:12px;color:#555;margin-bottom:4px">${legend}<span style="color:#777">${note}</span></figcaption><div style="display:flex;flex-wrap:wrap;gap:10px">${metrics.map((m, i) => panel(m, i, series, colours)).join('')}</div></figure>`;
}
