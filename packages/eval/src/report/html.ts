// A self-contained HTML report: inline CSS, inline SVG charts, a few lines of inline JS for filtering; no network.
// Every piece of text that comes from data (answers, prompts, labels, paths) goes through `escape`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { escape as escapeHtml } from 'html-escaper';
import type { Box, EvalSample, LabelledBox, SampleScore } from '../tasks/types.js';
import type { ReportRun } from './paper-tables.js';
import type { EvalReport, ReportTable } from './report.js';

/** Options of the HTML report: where it is written and how images are included. */
export interface HtmlReportOptions {
  /** Folder the HTML file will be written to (relative image links are computed from it). */
  outDir: string;
  /** `embed` inlines images as data URLs (up to maxEmbedBytes each), `link` references them, `none` omits them. */
  images?: 'embed' | 'link' | 'none';
  maxEmbedBytes?: number;
  /** Stop embedding (and link instead) once this many image bytes are inlined (default 100 MB). */
  maxEmbedTotalBytes?: number;
  /** Samples shown per task in the browser (the JSON report always has the metrics of all of them). */
  maxSamplesPerTask?: number;
  title?: string;
}

const RUN_COLOURS = ['#1f77b4', '#d62728', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const PAPER_COLOUR = '#b8b8b8';
const TARGET_COLOUR = '#2ca02c';

const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

function fmt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(3);
}

type ImageOptions = Required<Pick<HtmlReportOptions, 'outDir' | 'images' | 'maxEmbedBytes' | 'maxEmbedTotalBytes'>>;

/**
 * Image sources for the page: data URLs while the embedding budget lasts, else links relative to the report.
 * An embedded picture drawn at a known size is defined once (SVG <defs>) and referenced by every sample using it.
 */
class ImageStore {
  private embeddedBytes = 0;
  private readonly hrefs = new Map<string, string | undefined>();
  private readonly defs = new Map<string, { id: string; href: string; width: number; height: number }>();
  constructor(private readonly options: ImageOptions) {}

  href(path: string, baseDir: string | undefined): string | undefined {
    if (this.options.images === 'none') return undefined;
    if (/^(https?|data):/i.test(path)) return path;
    const absolute = isAbsolute(path) ? path : resolve(baseDir ?? process.cwd(), path);
    if (this.hrefs.has(absolute)) return this.hrefs.get(absolute);
    let href: string | undefined;
    if (this.options.images === 'embed' && existsSync(absolute)) {
      const mime = MIME[extname(absolute).toLowerCase()];
      const size = statSync(absolute).size;
      if (mime && size <= this.options.maxEmbedBytes && this.embeddedBytes + size <= this.options.maxEmbedTotalBytes) {
        this.embeddedBytes += size;
        href = `data:${mime};base64,${readFileSync(absolute).toString('base64')}`;
      }
    }
    href ??= relative(resolve(this.options.outDir), absolute).split('\\').join('/');
    this.hrefs.set(absolute, href);
    return href;
  }

  /** An <image> (or a <use> of a shared definition for embedded data) filling a width x height viewBox. */
  svgImage(
    path: string,
    baseDir: string | undefined,
    width: number,
    height: number,
    transform: string,
  ): string | undefined {
    const href = this.href(path, baseDir);
    if (!href) return undefined;
    if (!href.startsWith('data:')) {
      return `<image href="${escapeHtml(href)}" x="0" y="0" width="${width}" height="${height}"${transform}/>`;
    }
    const key = `${href.length}:${width}x${height}:${path}`;
    let def = this.defs.get(key);
    if (!def) {
      def = { id: `img${this.defs.size}`, href, width, height };
      this.defs.set(key, def);
    }
    return `<use href="#${def.id}"${transform}/>`;
  }

  renderDefs(): string {
    if (this.defs.size === 0) return '';
    const images = [...this.defs.values()]
      .map(
        (d) => `<image id="${d.id}" href="${escapeHtml(d.href)}" x="0" y="0" width="${d.width}" height="${d.height}"/>`,
      )
      .join('');
    return `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>${images}</defs></svg>`;
  }
}

function renderTable(table: ReportTable, labelColour: Map<string, string>): string {
  const head = `<tr><th>Method</th>${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = table.rows
    .map((row) => {
      const colour = row.source === 'run' ? labelColour.get(row.method) : undefined;
      const name = `${escapeHtml(row.method)}${row.setting ? ` <span class="setting">${escapeHtml(row.setting)}</span>` : ''}`;
      const swatch = colour ? `<span class="swatch" style="background:${colour}"></span>` : '';
      return `<tr class="${row.source}"><td>${swatch}${name}</td>${row.values.map((v) => `<td>${fmt(v)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** Grouped bars: one group per column, one bar per row with a value (paper rows grey, runs in their colour). */
export function renderBarChart(table: ReportTable, labelColour: Map<string, string>): string {
  const rows = table.rows.filter((r) => r.values.some((v) => v !== null));
  const values = rows.flatMap((r) => r.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (values.length === 0) return '';
  const max = Math.max(...values, 0) > 100 ? Math.max(...values) : 100;
  const barWidth = 10;
  const gap = 14;
  const chartHeight = 160;
  const top = 12;
  const groups = table.columns.map((column, c) => ({
    column,
    bars: rows
      .map((row) => ({ row, value: row.values[c] ?? null }))
      .filter((b): b is { row: (typeof rows)[number]; value: number } => b.value !== null && Number.isFinite(b.value)),
  }));
  let x = 40;
  const parts: string[] = [];
  for (const group of groups) {
    const start = x;
    for (const { row, value } of group.bars) {
      const h = (Math.max(0, value) / max) * chartHeight;
      const fill = row.source === 'paper' ? PAPER_COLOUR : (labelColour.get(row.method) ?? RUN_COLOURS[0]!);
      parts.push(
        `<rect x="${x}" y="${(top + chartHeight - h).toFixed(1)}" width="${barWidth}" height="${h.toFixed(1)}" fill="${fill}"><title>${escapeHtml(`${row.method}${row.setting ? ` (${row.setting})` : ''}: ${fmt(value)}`)}</title></rect>`,
      );
      x += barWidth + 1;
    }
    if (group.bars.length === 0) x += barWidth;
    const centre = (start + x) / 2;
    parts.push(
      `<text x="${centre.toFixed(1)}" y="${top + chartHeight + 14}" text-anchor="middle" class="axis">${escapeHtml(group.column)}</text>`,
    );
    x += gap;
  }
  const width = x + 10;
  const axis = [0, 0.5, 1]
    .map((f) => {
      const y = top + chartHeight - f * chartHeight;
      return `<line x1="36" x2="${width}" y1="${y}" y2="${y}" class="grid"/><text x="32" y="${y + 4}" text-anchor="end" class="axis">${fmt(f * max)}</text>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="${escapeHtml(table.title)}" viewBox="0 0 ${width} ${top + chartHeight + 24}" width="${width}" height="${top + chartHeight + 24}">${axis}${parts.join('')}</svg>`;
}

function boxRect(box: Box, colour: string, label: string, dashed: boolean, strokeWidth: number): string {
  const [x1, y1, x2, y2] = box;
  return `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${colour}" stroke-width="${strokeWidth}"${dashed ? ` stroke-dasharray="${strokeWidth * 3}"` : ''}><title>${escapeHtml(label)}</title></rect>`;
}

function renderVisual(
  sample: EvalSample,
  predicted: { colour: string; label: string; boxes: Box[] }[],
  baseDir: string | undefined,
  store: ImageStore,
): string {
  const { view } = sample;
  if (view.frames && view.frames.length > 0) {
    const shown = view.frames.slice(0, 4);
    return `<div class="frames">${shown
      .map((f) => {
        const href = store.href(f, baseDir);
        return href
          ? `<img loading="lazy" src="${escapeHtml(href)}" alt="${escapeHtml(f)}">`
          : `<code>${escapeHtml(f)}</code>`;
      })
      .join(
        '',
      )}${view.frames.length > shown.length ? `<span class="more">+${view.frames.length - shown.length} frames</span>` : ''}</div>`;
  }
  if (view.video) return `<code class="path">${escapeHtml(view.video)}</code>`;
  if (!view.image) return '';
  const mirror = sample.mirror ? ` style="transform:scale(${sample.mirror === 'horizontal' ? '-1,1' : '1,-1'})"` : '';
  if (!view.imageSize) {
    const href = store.href(view.image, baseDir);
    if (!href) return `<code class="path">${escapeHtml(view.image)}</code>`;
    return `<img class="solo" loading="lazy" src="${escapeHtml(href)}" alt="${escapeHtml(view.image)}"${mirror}>`;
  }
  const { width, height } = view.imageSize;
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 200));
  const boxes: string[] = (view.boxes ?? []).map((b: LabelledBox) =>
    boxRect(
      b.box,
      b.role === 'target' ? TARGET_COLOUR : '#ffbf00',
      `${b.role}: ${b.label}`,
      b.role === 'context',
      stroke,
    ),
  );
  for (const p of predicted)
    for (const box of p.boxes) boxes.push(boxRect(box, p.colour, `${p.label}: predicted`, false, stroke));
  // The mirrored variant's boxes are already in mirrored coordinates, so only the picture is flipped.
  const imageTransform = sample.mirror
    ? ` transform="${sample.mirror === 'horizontal' ? `translate(${width},0) scale(-1,1)` : `translate(0,${height}) scale(1,-1)`}"`
    : '';
  const picture = store.svgImage(view.image, baseDir, width, height, imageTransform);
  if (!picture) return `<code class="path">${escapeHtml(view.image)}</code>`;
  return `<svg class="visual" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMidYMid meet">${picture}${boxes.join('')}</svg>`;
}

function verdict(score: SampleScore | undefined): string {
  if (!score || score.answer === undefined) return '<span class="verdict missing">no answer</span>';
  const parts: string[] = [];
  if (score.correct !== undefined) {
    parts.push(score.correct ? '<span class="verdict ok">✓</span>' : '<span class="verdict bad">✗</span>');
  }
  if (score.score !== undefined) parts.push(`<span class="num">${fmt(score.score)}</span>`);
  if (score.parsed !== undefined) parts.push(`<span class="parsed">read as ${escapeHtml(score.parsed)}</span>`);
  return parts.join(' ');
}

function renderSampleBrowser(
  runs: readonly ReportRun[],
  labelColour: Map<string, string>,
  maxSamplesPerTask: number,
  store: ImageStore,
): string {
  const sections: string[] = [];
  for (const taskName of [...new Set(runs.map((r) => r.task.name))]) {
    const own = runs.filter((r) => r.task.name === taskName);
    const first = own[0]!;
    const scoreMaps = own.map((r) => new Map(r.score.samples.map((s) => [s.id, s])));
    const cards: string[] = [];
    for (const sample of first.task.samples.slice(0, maxSamplesPerTask)) {
      const perRun = own.map((run, i) => ({ run, score: scoreMaps[i]!.get(sample.id) }));
      const wrong = perRun.some((p) => p.score?.correct === false || p.score?.answer === undefined);
      const verdicts = new Set(perRun.map((p) => String(p.score?.correct)));
      const predicted = perRun.map((p) => ({
        colour: labelColour.get(p.run.label) ?? RUN_COLOURS[0]!,
        label: p.run.label,
        boxes: p.score?.predicted ?? [],
      }));
      const answers = perRun
        .map(
          ({ run, score }) =>
            `<div class="answer"><div class="who"><span class="swatch" style="background:${labelColour.get(run.label) ?? RUN_COLOURS[0]}"></span>${escapeHtml(run.label)} ${verdict(score)}</div><div class="text">${escapeHtml(score?.answer ?? '')}</div></div>`,
        )
        .join('');
      cards.push(
        `<article class="card" data-wrong="${wrong ? 1 : 0}" data-disagree="${verdicts.size > 1 ? 1 : 0}"><div class="media">${renderVisual(sample, predicted, first.dir, store)}</div><div class="body"><div class="id">${escapeHtml(sample.id)}${sample.group ? ` · ${escapeHtml(sample.group)}` : ''}</div><div class="prompt">${escapeHtml(sample.view.prompt)}</div><div class="reference">expected: ${escapeHtml(sample.view.reference)}</div>${answers}</div></article>`,
      );
    }
    const hidden = first.task.samples.length - cards.length;
    sections.push(
      `<section class="browser"><h3>${escapeHtml(taskName)} <small>${first.task.samples.length} samples${hidden > 0 ? `, first ${cards.length} shown` : ''}</small></h3><div class="controls"><label><input type="radio" name="f-${escapeHtml(taskName)}" value="all" checked> all</label><label><input type="radio" name="f-${escapeHtml(taskName)}" value="wrong"> any wrong</label><label><input type="radio" name="f-${escapeHtml(taskName)}" value="disagree"> runs disagree</label><input type="search" placeholder="search text"></div><div class="cards">${cards.join('')}</div></section>`,
    );
  }
  return sections.join('');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header,main{max-width:1200px;margin:0 auto;padding:12px 20px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}h3 small{font-weight:normal;color:#666}
table{border-collapse:collapse;margin:8px 0;background:#fff}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}tr.paper td{color:#666}tr.run td{font-weight:600}
.setting{color:#888;font-weight:normal;font-size:12px}.caption{color:#555;margin:2px 0 6px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
.chart{display:block;margin:6px 0 14px}.chart .axis{font-size:10px;fill:#555}.chart .grid{stroke:#e4e4e4}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;display:flex;flex-direction:column;gap:6px}
.card.hide{display:none}.media svg.visual,.media img.solo{width:100%;max-height:260px;background:#eee}
.frames{display:flex;gap:3px;flex-wrap:wrap}.frames img{width:70px;height:52px;object-fit:cover}
.id{color:#888;font-size:12px}.prompt{white-space:pre-wrap}.reference{color:#2c7a2c}
.answer{border-top:1px dashed #eee;padding-top:4px}.answer .text{white-space:pre-wrap;color:#333}
.verdict.ok{color:#2ca02c}.verdict.bad{color:#d62728}.verdict.missing{color:#999}.parsed{color:#888;font-size:12px}
.controls{display:flex;gap:12px;align-items:center;margin:4px 0 8px}code.path{font-size:11px;word-break:break-all}
`;

const SCRIPT = `
document.querySelectorAll('section.browser').forEach(function(section){
  var cards=[].slice.call(section.querySelectorAll('.card'));
  var search=section.querySelector('input[type=search]');
  function apply(){
    var mode=(section.querySelector('input[type=radio]:checked')||{}).value||'all';
    var q=(search.value||'').toLowerCase();
    cards.forEach(function(c){
      var ok=mode==='all'||(mode==='wrong'&&c.dataset.wrong==='1')||(mode==='disagree'&&c.dataset.disagree==='1');
      if(ok&&q)ok=c.textContent.toLowerCase().indexOf(q)>=0;
      c.classList.toggle('hide',!ok);
    });
  }
  section.querySelectorAll('input').forEach(function(i){i.addEventListener('input',apply)});
});
`;

/** Render the report and the runs' samples as one self-contained HTML page. */
export function renderHtmlReport(report: EvalReport, runs: readonly ReportRun[], options: HtmlReportOptions): string {
  const resolved = {
    outDir: options.outDir,
    images: options.images ?? 'embed',
    maxEmbedBytes: options.maxEmbedBytes ?? 2_000_000,
    maxEmbedTotalBytes: options.maxEmbedTotalBytes ?? 100_000_000,
    maxSamplesPerTask: options.maxSamplesPerTask ?? 300,
  };
  const labels = [...new Set(runs.map((r) => r.label))];
  const labelColour = new Map(labels.map((l, i) => [l, RUN_COLOURS[i % RUN_COLOURS.length]!]));
  const store = new ImageStore(resolved);
  const browser = renderSampleBrowser(runs, labelColour, resolved.maxSamplesPerTask, store);
  const title = options.title ?? 'LocVLM evaluation report';
  const runList = report.runs
    .map(
      (r) =>
        `<li><span class="swatch" style="background:${labelColour.get(r.label)}"></span><b>${escapeHtml(r.label)}</b> · ${escapeHtml(r.task)} · model <code>${escapeHtml(r.model)}</code> · ${r.counts.answered}/${r.counts.samples} answered</li>`,
    )
    .join('');
  const paper = report.tables
    .map(
      (t) =>
        `<h3>${escapeHtml(t.title)}</h3><p class="caption">${escapeHtml(t.caption)} Grey rows: published in the paper; bold rows: measured here.</p>${renderTable(t, labelColour)}${renderBarChart(t, labelColour)}`,
    )
    .join('');
  const perTask = report.taskTables
    .map(
      (t) =>
        `<h3>${escapeHtml(t.title)}</h3><p class="caption">${escapeHtml(t.caption)}</p>${renderTable(t, labelColour)}`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>Created ${escapeHtml(report.createdAt)}</p><ul>${runList}</ul></header>
<main>${paper ? `<h2>Paper tables</h2>${paper}` : ''}<h2>Metrics per task</h2>${perTask}
<h2>Samples</h2><p class="caption">Green: ground truth; coloured: boxes predicted by each run; dashed amber: other annotated objects.</p>${browser}</main>${store.renderDefs()}
<script>${SCRIPT}</script></body></html>
`;
}
