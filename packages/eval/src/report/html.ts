// A self-contained HTML report: inline CSS, inline SVG charts, a few lines of inline JS for filtering; no network.
// Sample pictures are found from what each run recorded and embedded as small thumbnails, so the page is one file
// that opens anywhere; a picture that cannot be shown is a labelled placeholder, counted in the header.
// Every piece of text that comes from data (answers, prompts, labels, paths) goes through `escape`.
import { relative, resolve, sep } from 'node:path';
import { escape as escapeHtml } from 'html-escaper';
import type { Box, EvalSample, LabelledBox, SampleScore, SampleView } from '../tasks/types.js';
import { formatNumber as fmt, RUN_COLOURS, renderMetricBars } from './charts.js';
import { isUrl, type PictureRef, type PreparedPicture, pictureCandidates, preparePictures } from './images.js';
import type { ReportRun } from './paper-tables.js';
import type { EvalReport, ReportTable } from './report.js';

/** Options of the HTML report: where it is written and how sample pictures are included. */
export interface HtmlReportOptions {
  /** Folder the HTML file will be written to (`link` mode makes picture links relative to it). */
  outDir: string;
  /**
   * `embed` (default) inlines each sample picture as a WebP thumbnail, so the page opens anywhere; `link`
   * references the picture files relative to the report; `none` shows no pictures.
   */
  images?: 'embed' | 'link' | 'none';
  /** Longer side of an embedded picture in pixels (default 320; video frames at most 160). Never enlarged. */
  thumbnailSize?: number;
  /** Bytes one embedded picture may add to the page (default 40 000); a larger one is encoded again smaller. */
  maxEmbedBytes?: number;
  /** Bytes all embedded pictures may add (default 20 MB); pictures past it are placeholders that say so. */
  maxEmbedTotalBytes?: number;
  /** Samples shown per task in the browser (the JSON report always has the metrics of all of them). */
  maxSamplesPerTask?: number;
  title?: string;
  /** The folder relative picture paths are also looked up in (default the process's working directory). */
  cwd?: string;
  /** Called as pictures are found and thumbnailed. */
  onProgress?: (progress: { stage: 'pictures'; done: number; total: number }) => void;
}

/** How the report's sample pictures came out: counts per outcome (each picture on the page counts once). */
export interface ReportPictureSummary {
  mode: 'embed' | 'link' | 'none';
  /** Embedded as thumbnails. */
  embedded: number;
  /** Linked: files (relative to the report) or URLs given in the data. */
  linked: number;
  /** Not found anywhere: drawn as placeholders. */
  missing: number;
  /** Found but not decodable: drawn as placeholders. */
  unreadable: number;
  /** Not embedded because the report's byte budget was used up: drawn as placeholders. */
  overBudget: number;
  /** Bytes the embedded pictures add to the page. */
  embeddedBytes: number;
  /** The caps the thumbnails were made with. */
  limits: { thumbnailSize: number; maxEmbedBytes: number; maxEmbedTotalBytes: number };
  /** The pictures not found, as the data gave them (each once). */
  missingPictures: string[];
}

/** The HTML of a report and how its pictures came out. */
export interface RenderedHtmlReport {
  html: string;
  pictures: ReportPictureSummary;
}

const PAPER_COLOUR = '#b8b8b8';
const TARGET_COLOUR = '#2ca02c';
const FRAME_SIDE = 160;
const FRAMES_SHOWN = 4;
const COUNT_COLUMNS = new Set(['answered', 'missing']);

function renderTable(table: ReportTable, labelColour: Map<string, string>): string {
  const head = `<tr><th>Method</th>${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = table.rows
    .map((row) => {
      const colour = row.source === 'run' ? labelColour.get(row.method) : undefined;
      const name = `${escapeHtml(row.method)}${row.setting ? ` <span class="setting">${escapeHtml(row.setting)}</span>` : ''}`;
      const swatch = colour ? `<span class="swatch" style="background:${colour}"></span>` : '';
      const cells = row.values.map((v, c) => {
        const spread = row.spread?.[c];
        const range =
          spread && spread.n > 1
            ? ` <span class="range" title="mean of ${spread.n} runs">${fmt(spread.min)}–${fmt(spread.max)}</span>`
            : '';
        return `<td>${fmt(v)}${range}</td>`;
      });
      return `<tr class="${row.source}"><td>${swatch}${name}</td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/**
 * Grouped bars: one group per column, one bar per row with a value (paper rows grey, runs in their colour). A row
 * whose value is the mean of several runs (`spread`) gets a whisker from their min to their max.
 */
export function renderBarChart(table: ReportTable, labelColour: Map<string, string>): string {
  const rows = table.rows.filter((r) => r.values.some((v) => v !== null));
  const values = rows.flatMap((r, i) =>
    r.values.flatMap((v, c) => {
      const spread = rows[i]!.spread?.[c];
      return [v, spread ? spread.max : null].filter((x): x is number => x !== null && Number.isFinite(x));
    }),
  );
  if (values.length === 0) return '';
  const max = Math.max(...values, 0) > 100 ? Math.max(...values) : 100;
  const barWidth = 10;
  const gap = 14;
  const chartHeight = 160;
  const top = 12;
  const y = (v: number) => top + chartHeight - (Math.max(0, v) / max) * chartHeight;
  let x = 40;
  const parts: string[] = [];
  table.columns.forEach((column, c) => {
    const start = x;
    let drawn = 0;
    for (const row of rows) {
      const value = row.values[c] ?? null;
      if (value === null || !Number.isFinite(value)) continue;
      const spread = row.spread?.[c];
      const fill = row.source === 'paper' ? PAPER_COLOUR : (labelColour.get(row.method) ?? RUN_COLOURS[0]!);
      const name = `${row.method}${row.setting ? ` (${row.setting})` : ''}`;
      const tip =
        spread && spread.n > 1
          ? `${name}: ${fmt(value)} (mean of ${spread.n}; min ${fmt(spread.min)}, max ${fmt(spread.max)})`
          : `${name}: ${fmt(value)}`;
      parts.push(
        `<rect x="${x}" y="${y(value).toFixed(1)}" width="${barWidth}" height="${(top + chartHeight - y(value)).toFixed(1)}" fill="${fill}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      if (spread && spread.n > 1) {
        const centre = x + barWidth / 2;
        parts.push(
          `<g class="spread" stroke="#222"><line x1="${centre}" x2="${centre}" y1="${y(spread.max).toFixed(1)}" y2="${y(spread.min).toFixed(1)}"/><line x1="${centre - 3}" x2="${centre + 3}" y1="${y(spread.max).toFixed(1)}" y2="${y(spread.max).toFixed(1)}"/><line x1="${centre - 3}" x2="${centre + 3}" y1="${y(spread.min).toFixed(1)}" y2="${y(spread.min).toFixed(1)}"/></g>`,
        );
      }
      x += barWidth + 1;
      drawn++;
    }
    if (drawn === 0) x += barWidth;
    parts.push(
      `<text x="${((start + x) / 2).toFixed(1)}" y="${top + chartHeight + 14}" text-anchor="middle" class="axis">${escapeHtml(column)}</text>`,
    );
    x += gap;
  });
  const width = x + 10;
  const axis = [0, 0.5, 1]
    .map((f) => {
      const at = top + chartHeight - f * chartHeight;
      return `<line x1="36" x2="${width}" y1="${at}" y2="${at}" class="grid"/><text x="32" y="${at + 4}" text-anchor="end" class="axis">${fmt(f * max)}</text>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="${escapeHtml(table.title)}" viewBox="0 0 ${width} ${top + chartHeight + 24}" width="${width}" height="${top + chartHeight + 24}">${axis}${parts.join('')}</svg>`;
}

/** The cross-run view of a task: a panel of bars per metric (counts left out), one bar per run label. */
function renderTaskChart(table: ReportTable, labelColour: Map<string, string>): string {
  const columns = table.columns.map((name, index) => ({ name, index })).filter((c) => !COUNT_COLUMNS.has(c.name));
  return renderMetricBars({
    title: table.title,
    metrics: columns.map((c) => ({ name: c.name })),
    series: table.rows.map((row) => ({
      label: row.method,
      ...(labelColour.get(row.method) ? { colour: labelColour.get(row.method)! } : {}),
      values: columns.map((c) => {
        const value = row.values[c.index] ?? null;
        const spread = row.spread?.[c.index];
        return spread && spread.n > 1 ? spread : value;
      }),
    })),
  });
}

/** A box in image pixels, its outline 2 screen pixels wide whatever the picture's scale. */
function boxRect(box: Box, colour: string, label: string, dashed: boolean): string {
  const [x1, y1, x2, y2] = box;
  return `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${colour}" stroke-width="2" vector-effect="non-scaling-stroke"${dashed ? ' stroke-dasharray="6"' : ''}><title>${escapeHtml(label)}</title></rect>`;
}

/** One sample as shown: the sample of the first run, and each run of the task with its own copy and score. */
interface ShownSample {
  sample: EvalSample;
  perRun: { run: ReportRun; view: SampleView | undefined; score: SampleScore | undefined }[];
}

/** One task's section: its runs and the samples shown. */
interface ShownTask {
  name: string;
  runs: ReportRun[];
  total: number;
  samples: ShownSample[];
}

function shownTasks(runs: readonly ReportRun[], maxSamplesPerTask: number): ShownTask[] {
  return [...new Set(runs.map((r) => r.task.name))].map((name) => {
    const own = runs.filter((r) => r.task.name === name);
    const first = own[0]!;
    const scoreMaps = own.map((r) => new Map(r.score.samples.map((s) => [s.id, s])));
    const viewMaps = own.map((r) => new Map(r.task.samples.map((s) => [s.id, s.view])));
    return {
      name,
      runs: own,
      total: first.task.samples.length,
      samples: first.task.samples.slice(0, maxSamplesPerTask).map((sample) => ({
        sample,
        perRun: own.map((run, i) => ({
          run,
          view: viewMaps[i]!.get(sample.id),
          score: scoreMaps[i]!.get(sample.id),
        })),
      })),
    };
  });
}

/** A picture of a sample: what the data named it, and every run's record of where it was. */
interface PictureUse {
  given: string;
  refs: PictureRef[];
  maxSide: number;
}

function pictureUses(shown: ShownSample, thumbnailSize: number): { image?: PictureUse; frames: PictureUse[] } {
  const { view } = shown.sample;
  const context = (run: ReportRun) => ({
    ...(run.dir !== undefined ? { runDir: run.dir } : {}),
    ...(run.task.runPaths ? { runPaths: run.task.runPaths } : {}),
  });
  const refsOf = (pick: (v: SampleView) => { given?: string; resolved?: string }) =>
    shown.perRun.flatMap(({ run, view: own }) => {
      const { given, resolved } = pick(own ?? view);
      return given === undefined
        ? []
        : [{ given, ...(resolved !== undefined ? { resolved } : {}), context: context(run) }];
    });
  const frames = (view.frames ?? []).slice(0, FRAMES_SHOWN).map((given, i) => ({
    given,
    refs: refsOf((v) => ({ given: v.frames?.[i], resolved: v.framesResolved?.[i] })),
    maxSide: Math.min(FRAME_SIDE, thumbnailSize),
  }));
  if (frames.length > 0 || !view.image) return { frames };
  return {
    image: {
      given: view.image,
      refs: refsOf((v) => ({ given: v.image, resolved: v.imageResolved })),
      maxSide: thumbnailSize,
    },
    frames,
  };
}

type PictureOutcome =
  | { kind: 'img'; src: string; small: boolean }
  | { kind: 'placeholder'; headline: string; detail: string; title: string };

/** Finds the pictures, then hands out each one's source or placeholder while keeping the counts and byte budget. */
class PictureBook {
  private prepared = new Map<string, PreparedPicture>();
  private readonly requests = new Map<string, { candidates: string[]; maxSide: number }>();
  private readonly missingGiven = new Set<string>();
  readonly summary: ReportPictureSummary;

  constructor(
    private readonly mode: 'embed' | 'link' | 'none',
    private readonly outDir: string,
    private readonly cwd: string,
    limits: ReportPictureSummary['limits'],
  ) {
    this.summary = {
      mode,
      embedded: 0,
      linked: 0,
      missing: 0,
      unreadable: 0,
      overBudget: 0,
      embeddedBytes: 0,
      limits,
      missingPictures: [],
    };
  }

  private key(use: PictureUse): string | undefined {
    if (this.mode === 'none' || isUrl(use.given)) return undefined;
    const candidates = pictureCandidates(use.refs, this.cwd);
    return `${use.maxSide}\n${candidates.join('\n')}`;
  }

  request(use: PictureUse): void {
    const key = this.key(use);
    if (key !== undefined && !this.requests.has(key)) {
      this.requests.set(key, { candidates: pictureCandidates(use.refs, this.cwd), maxSide: use.maxSide });
    }
  }

  async prepare(onProgress?: HtmlReportOptions['onProgress']): Promise<void> {
    this.prepared = await preparePictures(
      this.requests,
      this.mode === 'embed' ? this.summary.limits.maxEmbedBytes : undefined,
      onProgress ? (done, total) => onProgress({ stage: 'pictures', done, total }) : undefined,
    );
  }

  /** The source of a picture shown once more, or the placeholder to draw instead (counted either way). */
  show(use: PictureUse): PictureOutcome | undefined {
    if (this.mode === 'none') return undefined;
    if (isUrl(use.given)) {
      this.summary.linked++;
      return { kind: 'img', src: use.given, small: false };
    }
    const prepared = this.prepared.get(this.key(use)!);
    if (!prepared || prepared.status === 'missing') {
      this.summary.missing++;
      if (!this.missingGiven.has(use.given)) {
        this.missingGiven.add(use.given);
        this.summary.missingPictures.push(use.given);
      }
      return {
        kind: 'placeholder',
        headline: 'picture not found',
        detail: use.given,
        title: `looked for ${use.given} at:\n${(prepared?.status === 'missing' ? prepared.tried : []).join('\n')}`,
      };
    }
    if (prepared.status === 'unreadable') {
      this.summary.unreadable++;
      return { kind: 'placeholder', headline: 'picture not readable', detail: use.given, title: prepared.reason };
    }
    if (this.mode === 'link' || !prepared.thumbnail) {
      this.summary.linked++;
      const href = relative(resolve(this.outDir), prepared.file)
        .split(sep)
        .map((part) => encodeURIComponent(part))
        .join('/');
      return { kind: 'img', src: href, small: false };
    }
    const { thumbnail } = prepared;
    const { maxEmbedTotalBytes } = this.summary.limits;
    if (this.summary.embeddedBytes + thumbnail.bytes > maxEmbedTotalBytes) {
      this.summary.overBudget++;
      return {
        kind: 'placeholder',
        headline: `not embedded: the report's ${megabytes(maxEmbedTotalBytes)} for pictures is used up`,
        detail: use.given,
        title: prepared.file,
      };
    }
    this.summary.embedded++;
    this.summary.embeddedBytes += thumbnail.bytes;
    return { kind: 'img', src: thumbnail.dataUrl, small: Math.max(thumbnail.width, thumbnail.height) < 200 };
  }
}

const megabytes = (bytes: number) =>
  bytes >= 1_000_000 ? `${fmt(Math.round(bytes / 100_000) / 10)} MB` : `${Math.round(bytes / 1000)} KB`;

function placeholder(outcome: Extract<PictureOutcome, { kind: 'placeholder' }>, extraClass = ''): string {
  return `<div class="ph${extraClass}" role="img" aria-label="${escapeHtml(`${outcome.headline}: ${outcome.detail}`)}" title="${escapeHtml(outcome.title)}"><b>${escapeHtml(outcome.headline)}</b><code>${escapeHtml(outcome.detail)}</code></div>`;
}

function renderVisual(
  shown: ShownSample,
  predicted: { colour: string; label: string; boxes: Box[] }[],
  book: PictureBook,
  thumbnailSize: number,
): string {
  const { sample } = shown;
  const { view } = sample;
  const uses = pictureUses(shown, thumbnailSize);
  if (uses.frames.length > 0) {
    const frames = uses.frames.map((use) => {
      const outcome = book.show(use);
      if (!outcome) return `<code>${escapeHtml(use.given)}</code>`;
      return outcome.kind === 'img'
        ? `<img class="sample-picture" src="${escapeHtml(outcome.src)}" alt="${escapeHtml(use.given)}">`
        : placeholder(outcome, ' frame');
    });
    const more = (view.frames?.length ?? 0) - uses.frames.length;
    return `<div class="frames">${frames.join('')}${more > 0 ? `<span class="more">+${more} frames</span>` : ''}</div>`;
  }
  if (view.video) return `<code class="path">${escapeHtml(view.video)}</code>`;
  if (!uses.image) return '';
  const outcome = book.show(uses.image);
  if (!outcome) return `<code class="path">${escapeHtml(uses.image.given)}</code>`;
  const flip = sample.mirror
    ? ` style="transform:${sample.mirror === 'horizontal' ? 'scaleX(-1)' : 'scaleY(-1)'}"`
    : '';
  const picture = (cls: string) =>
    outcome.kind === 'img'
      ? `<img class="sample-picture${cls}${outcome.small ? ' pixelated' : ''}" src="${escapeHtml(outcome.src)}" alt="${escapeHtml(uses.image!.given)}"${flip}>`
      : placeholder(outcome, cls);
  if (!view.imageSize) return picture(' solo');
  const { width, height } = view.imageSize;
  const boxes: string[] = (view.boxes ?? []).map((b: LabelledBox) =>
    boxRect(b.box, b.role === 'target' ? TARGET_COLOUR : '#ffbf00', `${b.role}: ${b.label}`, b.role === 'context'),
  );
  for (const p of predicted)
    for (const box of p.boxes) boxes.push(boxRect(box, p.colour, `${p.label}: predicted`, false));
  // The mirrored variant's boxes are already in mirrored coordinates, so only the picture is flipped.
  return `<div class="visual" style="aspect-ratio:${width}/${height};max-width:${Math.round((260 * width) / height)}px">${picture('')}<svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${boxes.join('')}</svg></div>`;
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
  tasks: readonly ShownTask[],
  labelColour: Map<string, string>,
  book: PictureBook,
  thumbnailSize: number,
): string {
  const sections: string[] = [];
  for (const task of tasks) {
    const cards: string[] = [];
    for (const shown of task.samples) {
      const { sample, perRun } = shown;
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
        `<article class="card" data-wrong="${wrong ? 1 : 0}" data-disagree="${verdicts.size > 1 ? 1 : 0}"><div class="media">${renderVisual(shown, predicted, book, thumbnailSize)}</div><div class="body"><div class="id">${escapeHtml(sample.id)}${sample.group ? ` · ${escapeHtml(sample.group)}` : ''}</div><div class="prompt">${escapeHtml(sample.view.prompt)}</div><div class="reference">expected: ${escapeHtml(sample.view.reference)}</div>${answers}</div></article>`,
      );
    }
    const hidden = task.total - cards.length;
    const name = escapeHtml(task.name);
    sections.push(
      `<section class="browser"><h3>${name} <small>${task.total} samples${hidden > 0 ? `, first ${cards.length} shown` : ''}</small></h3><div class="controls"><label><input type="radio" name="f-${name}" value="all" checked> all</label><label><input type="radio" name="f-${name}" value="wrong"> any wrong</label><label><input type="radio" name="f-${name}" value="disagree"> runs disagree</label><input type="search" placeholder="search text"></div><div class="cards">${cards.join('')}</div></section>`,
    );
  }
  return sections.join('');
}

function renderPictureSummary(summary: ReportPictureSummary): string {
  const { limits } = summary;
  const attrs = `data-embedded="${summary.embedded}" data-linked="${summary.linked}" data-missing="${summary.missing}" data-unreadable="${summary.unreadable}" data-over-budget="${summary.overBudget}"`;
  if (summary.mode === 'none') return `<p class="pictures" ${attrs}>Sample pictures: not included.</p>`;
  const parts: string[] = [];
  if (summary.mode === 'embed') {
    parts.push(
      `${summary.embedded} embedded as thumbnails (WebP, at most ${limits.thumbnailSize} px on the longer side and ${megabytes(limits.maxEmbedBytes)} each, ${megabytes(limits.maxEmbedTotalBytes)} for the whole report; ${megabytes(summary.embeddedBytes)} used)`,
    );
  }
  if (summary.linked > 0 || summary.mode === 'link') {
    parts.push(`${summary.linked} linked (shown only where those files are)`);
  }
  const problems: string[] = [];
  if (summary.missing > 0) {
    const names = summary.missingPictures.slice(0, 8).map((p) => `<code>${escapeHtml(p)}</code>`);
    const more = summary.missingPictures.length - names.length;
    problems.push(
      `<span class="problem">${summary.missing} not found</span> (${names.join(', ')}${more > 0 ? ` and ${more} more` : ''})`,
    );
  }
  if (summary.unreadable > 0) problems.push(`<span class="problem">${summary.unreadable} not readable</span>`);
  if (summary.overBudget > 0) {
    problems.push(`<span class="problem">${summary.overBudget} past the report's picture budget</span>`);
  }
  const drawn = problems.length > 0 ? `; ${problems.join('; ')}: drawn as grey placeholders` : '';
  return `<p class="pictures" ${attrs}>Sample pictures: ${parts.join('; ')}${drawn}.</p>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header,main{max-width:1200px;margin:0 auto;padding:12px 20px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}h3 small{font-weight:normal;color:#666}
table{border-collapse:collapse;margin:8px 0;background:#fff}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}tr.paper td{color:#666}tr.run td{font-weight:600}
.range{color:#888;font-weight:normal;font-size:11px}
.setting{color:#888;font-weight:normal;font-size:12px}.caption{color:#555;margin:2px 0 6px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
.chart{display:block;margin:6px 0 14px}.chart .axis{font-size:10px;fill:#555}.chart .grid{stroke:#e4e4e4}
.pictures{color:#555}.pictures .problem{color:#b00;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;display:flex;flex-direction:column;gap:6px}
.card.hide{display:none}
.visual{position:relative;width:100%;margin:0 auto;background:#eee;overflow:hidden}
.visual>img,.visual>svg,.visual>.ph{position:absolute;left:0;top:0;width:100%;height:100%}
img.solo{display:block;max-width:100%;max-height:260px;margin:0 auto}img.pixelated{image-rendering:pixelated}
.ph{display:flex;flex-direction:column;align-items:center;justify-content:center;gap:4px;box-sizing:border-box;
padding:6px;text-align:center;color:#555;font-size:12px;background:repeating-linear-gradient(45deg,#e4e4e4 0 8px,#efefef 8px 16px)}
.ph code{font-size:11px;word-break:break-all}.ph.solo{aspect-ratio:4/3;max-height:260px}
.frames{display:flex;gap:3px;flex-wrap:wrap}.frames img,.ph.frame{width:70px;height:52px;object-fit:cover}
.ph.frame code{display:none}
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

/**
 * Render the report and the runs' samples as one self-contained HTML page, and say how its pictures came out.
 * Pictures are looked for where each run recorded them (see `pictureCandidates`): as given, at the absolute path
 * they resolved to when the run was made, at the same place relative to the run folder, relative to the run folder
 * and relative to `cwd`.
 */
export async function renderHtmlReportWithPictures(
  report: EvalReport,
  runs: readonly ReportRun[],
  options: HtmlReportOptions,
): Promise<RenderedHtmlReport> {
  const mode = options.images ?? 'embed';
  const limits = {
    thumbnailSize: options.thumbnailSize ?? 320,
    maxEmbedBytes: options.maxEmbedBytes ?? 40_000,
    maxEmbedTotalBytes: options.maxEmbedTotalBytes ?? 20_000_000,
  };
  const labels = [...new Set(runs.map((r) => r.label))];
  const labelColour = new Map(labels.map((l, i) => [l, RUN_COLOURS[i % RUN_COLOURS.length]!]));
  const tasks = shownTasks(runs, options.maxSamplesPerTask ?? 300);
  const book = new PictureBook(mode, options.outDir, options.cwd ?? process.cwd(), limits);
  for (const task of tasks) {
    for (const shown of task.samples) {
      const uses = pictureUses(shown, limits.thumbnailSize);
      if (uses.image) book.request(uses.image);
      for (const frame of uses.frames) book.request(frame);
    }
  }
  await book.prepare(options.onProgress);
  const browser = renderSampleBrowser(tasks, labelColour, book, limits.thumbnailSize);
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
        `<h3>${escapeHtml(t.title)}</h3><p class="caption">${escapeHtml(t.caption)}</p>${renderTable(t, labelColour)}${renderTaskChart(t, labelColour)}`,
    )
    .join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>Created ${escapeHtml(report.createdAt)}</p><ul>${runList}</ul>${renderPictureSummary(book.summary)}</header>
<main>${paper ? `<h2>Paper tables</h2>${paper}` : ''}<h2>Metrics per task</h2>${perTask}
<h2>Samples</h2><p class="caption">Green: ground truth; coloured: boxes predicted by each run; dashed amber: other annotated objects.</p>${browser}</main>
<script>${SCRIPT}</script></body></html>
`;
  return { html, pictures: book.summary };
}

/** Render the report and the runs' samples as one self-contained HTML page (see `renderHtmlReportWithPictures`). */
export async function renderHtmlReport(
  report: EvalReport,
  runs: readonly ReportRun[],
  options: HtmlReportOptions,
): Promise<string> {
  return (await renderHtmlReportWithPictures(report, runs, options)).html;
}
