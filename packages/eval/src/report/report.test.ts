import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCocoSpatialPaper, scoreCocoSpatial } from '../tasks/coco-spatial.js';
import { buildHalAct, buildHalCoco, scorePresence } from '../tasks/hallucination.js';
import { popeTask, scorePope } from '../tasks/pope.js';
import { cocoFixture } from '../testing/fixtures.js';
import { renderHtmlReport, renderHtmlReportWithPictures } from './html.js';
import type { ReportRun } from './paper-tables.js';
import { buildReport } from './report.js';

function spatialRun(label: string, answer: (id: string) => string, imageRoot?: string): ReportRun {
  const task = buildCocoSpatialPaper(cocoFixture(), imageRoot ? { imageRoot } : {});
  const answers = new Map(task.samples.map((s) => [s.id, answer(s.id)]));
  return { label, model: `${label}-model`, task, score: scoreCocoSpatial(task, answers) };
}

describe('JSON report', () => {
  it('puts the paper rows and one row per run label into Table 4', () => {
    const runs = [
      spatialRun('baseline', () => 'It is on the right.'),
      spatialRun('locvlm', () => 'The dog is to the left.'),
    ];
    const report = buildReport(runs, new Date('2026-01-01T00:00:00Z'));
    const table4 = report.tables.find((t) => t.id === 'table4-direct')!;
    expect(table4.columns).toEqual(['All', 'Left', 'Right', 'All', 'Above', 'Below']);
    expect(table4.rows.map((r) => [r.method, r.source])).toEqual([
      ['BLIP-2', 'paper'],
      ['LLaVA', 'paper'],
      ['LocVLM-B (paper)', 'paper'],
      ['baseline', 'run'],
      ['locvlm', 'run'],
    ]);
    expect(table4.rows[2]!.values).toEqual([69.5, 79.7, 59.2, 65.4, 64.2, 65.9]);
    // Every fixture question expects "left": baseline 0%, locvlm 100%; no right or vertical questions measured.
    expect(table4.rows[3]!.values).toEqual([0, 0, null, null, null, null]);
    expect(table4.rows[4]!.values).toEqual([100, 100, null, null, null, null]);
    expect(report.tables.some((t) => t.id === 'table4-icl')).toBe(false);
    expect(report.taskTables[0]!.columns).toEqual(['accuracy', 'accuracy.left', 'answered', 'missing']);
  });

  it('fills Table 8 by task name and Table 9 by POPE split', () => {
    const hal = buildHalCoco(cocoFixture(), { seed: 1 });
    const halScore = scorePresence(hal, new Map(hal.samples.map((s) => [s.id, 'Yes'])));
    const pope = popeTask(
      [
        { question_id: 1, image: 'a.jpg', text: 'Is there a dog in the image?', label: 'yes' as const },
        { question_id: 2, image: 'a.jpg', text: 'Is there a cat in the image?', label: 'no' as const },
      ],
      { split: 'adversarial' },
    );
    const popeScore = scorePope(
      pope,
      new Map([
        ['adversarial:1', 'Yes'],
        ['adversarial:2', 'No'],
      ]),
    );
    const report = buildReport([
      { label: 'mine', model: 'm', task: hal, score: halScore },
      { label: 'mine', model: 'm', task: pope, score: popeScore },
    ]);
    const table8 = report.tables.find((t) => t.id === 'table8')!;
    expect(table8.rows.find((r) => r.method === 'LocVLM-Vid-B+ (paper)')!.values).toEqual([null, null, 72.4]);
    expect(table8.rows.find((r) => r.method === 'LocVLM-B (paper)')!.values).toEqual([88.3, 75.2, null]);
    expect(table8.rows.at(-1)!.values).toEqual([50, null, null]);
    const table9 = report.tables.find((t) => t.id === 'table9')!;
    const mine = table9.rows.at(-1)!;
    expect(mine.values.slice(0, 10)).toEqual(Array(10).fill(null));
    expect(mine.values.slice(10)).toEqual([100, 100, 100, 100, 50]);
  });
});

/** A 640x480 photo-like PNG (noise, so it does not compress to nothing). */
async function photo(seed = 1): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const pixels = Buffer.alloc(640 * 480 * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = (state >> 16) & 0xff;
  }
  return sharp(pixels, { raw: { width: 640, height: 480, channels: 3 } })
    .png()
    .toBuffer();
}

describe('HTML report', { timeout: 30_000 }, () => {
  it('is self-contained, embeds thumbnails within the caps, draws boxes and escapes every data string', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const images = join(dir, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'img1.jpg'), await photo());
    const evil = '<script>alert("x")</script> & \'quotes\'';
    const runs = [spatialRun('base"line<', () => evil, images), spatialRun('locvlm', () => 'left', images)];
    const { html, pictures } = await renderHtmlReportWithPictures(buildReport(runs), runs, {
      outDir: join(dir, 'out'),
      thumbnailSize: 200,
      maxEmbedBytes: 30_000,
    });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    expect(html).toContain('base&quot;line&lt;');
    expect(html).not.toMatch(/<(link|script|img)[^>]+(src|href)=["']?https?:/);
    // Both questions are about img1: a WebP thumbnail in each card, within the caps.
    const sources = [...html.matchAll(/<img class="sample-picture[^"]*" src="(data:image\/webp;base64,[^"]+)"/g)];
    expect(sources).toHaveLength(2);
    expect(pictures).toMatchObject({ mode: 'embed', embedded: 2, missing: 0, overBudget: 0 });
    const { default: sharp } = await import('sharp');
    const thumbnail = Buffer.from(sources[0]![1]!.split(',')[1]!, 'base64');
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: 200, height: 150 });
    expect(sources[0]![1]!.length).toBeLessThanOrEqual(30_000);
    expect(pictures.embeddedBytes).toBe(sources[0]![1]!.length * 2);
    expect(html).toContain('data-embedded="2"');
    expect(html).toContain('at most 200 px on the longer side and 30 KB each, 20 MB for the whole report');
    // Boxes are drawn over the picture in its own pixels: ground-truth dog box (80,220)-(120,260) in green.
    expect(html).toMatch(
      /<div class="visual" style="aspect-ratio:640\/480;[^"]*"><img [^>]+><svg viewBox="0 0 640 480"/,
    );
    expect(html).toContain('<rect x="80" y="220" width="40" height="40" fill="none" stroke="#2ca02c"');
    expect(html).toContain('<svg class="chart"');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('draws a placeholder, named and counted, for a picture it cannot find or embed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const images = join(dir, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'img1.jpg'), await photo());
    const hal = buildHalCoco(cocoFixture(), { seed: 1, imageRoot: images });
    const runs = [{ label: 'a', model: 'm', task: hal, score: scorePresence(hal, new Map()) }];
    // img2 and img3 do not exist; img1 has 4 questions.
    const { html, pictures } = await renderHtmlReportWithPictures(buildReport(runs), runs, { outDir: dir });
    expect(pictures).toMatchObject({ embedded: 4, missing: 8, unreadable: 0, overBudget: 0 });
    expect(pictures.missingPictures).toEqual([join(images, 'img2.jpg'), join(images, 'img3.jpg')]);
    expect(html.match(/<div class="ph" role="img" aria-label="picture not found: [^"]+img2\.jpg"/g)).toHaveLength(4);
    expect(html).toContain('<span class="problem">8 not found</span>');
    // A corrupt file is found but cannot be read.
    writeFileSync(join(images, 'img2.jpg'), 'not a picture');
    const corrupt = await renderHtmlReportWithPictures(buildReport(runs), runs, { outDir: dir });
    expect(corrupt.pictures).toMatchObject({ embedded: 4, missing: 4, unreadable: 4 });
    expect(corrupt.html).toContain('aria-label="picture not readable: ');
    // Past the report's budget: the first picture fits, the rest are placeholders saying why.
    writeFileSync(join(images, 'img2.jpg'), await photo(2));
    const first = (await renderHtmlReportWithPictures(buildReport(runs), runs, { outDir: dir })).pictures;
    const perPicture = first.embeddedBytes / first.embedded;
    const budget = await renderHtmlReportWithPictures(buildReport(runs), runs, {
      outDir: dir,
      maxEmbedTotalBytes: Math.ceil(perPicture * 1.5),
    });
    expect(budget.pictures).toMatchObject({ embedded: 1, overBudget: 7, missing: 4 });
    expect(budget.html).toContain('not embedded: the report&#39;s');
    expect(budget.html).not.toMatch(/<img [^>]*src=""/);
  });

  it('links pictures relative to the report folder when asked, wherever the run recorded them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    mkdirSync(join(dir, 'coco'));
    writeFileSync(join(dir, 'coco', 'img 1.jpg'), await photo());
    // The task names the image relative to the current folder (here: dir), as `--images coco` would.
    const task = buildCocoSpatialPaper(
      {
        ...cocoFixture(),
        images: cocoFixture().images.map((i) => ({ ...i, file_name: i.file_name.replace('img1', 'img 1') })),
      },
      { imageRoot: 'coco' },
    );
    const runs = [{ label: 'a', model: 'm', task, score: scoreCocoSpatial(task, new Map()) }];
    const linked = await renderHtmlReportWithPictures(buildReport(runs), runs, {
      outDir: join(dir, 'out'),
      images: 'link',
      cwd: dir,
    });
    expect(linked.html).toContain('src="../coco/img%201.jpg"');
    expect(linked.pictures).toMatchObject({ mode: 'link', linked: 2, embedded: 0, missing: 0 });
    // From another folder the relative path finds nothing: placeholders, not broken links.
    const elsewhere = await renderHtmlReportWithPictures(buildReport(runs), runs, {
      outDir: join(dir, 'out'),
      images: 'link',
      cwd: tmpdir(),
    });
    expect(elsewhere.pictures).toMatchObject({ linked: 0, missing: 2 });
    expect(elsewhere.html).not.toContain('src="../coco');
    const none = await renderHtmlReportWithPictures(buildReport(runs), runs, { outDir: dir, images: 'none' });
    expect(none.html).not.toContain('<img');
    expect(none.pictures).toMatchObject({ mode: 'none', embedded: 0, linked: 0, missing: 0 });
  });

  it('shows up to 4 video frames as small thumbnails, a missing frame as a placeholder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    mkdirSync(join(dir, 'frames', 'v1'), { recursive: true });
    for (const name of ['00.png', '01.png', '03.png', '04.png']) {
      writeFileSync(join(dir, 'frames', 'v1', name), await photo());
    }
    const frames = ['00.png', '01.png', '02.png', '03.png', '04.png'].map((f) => `v1/${f}`);
    const task = buildHalAct([{ video: 'v1', objects: ['dog', 'cat'], frames }], {
      framesRoot: join(dir, 'frames'),
      vocabulary: ['dog', 'cat', 'kite', 'boat'],
    });
    const runs = [{ label: 'a', model: 'm', task, score: scorePresence(task, new Map()) }];
    const { html, pictures } = await renderHtmlReportWithPictures(buildReport(runs), runs, { outDir: dir });
    // 4 questions, each showing the first 4 of 5 frames: 02.png is gone.
    expect(pictures).toMatchObject({ embedded: 12, missing: 4, missingPictures: [join(dir, 'frames', 'v1/02.png')] });
    expect(html.match(/<div class="ph frame" role="img"/g)).toHaveLength(4);
    expect(html.match(/<span class="more">\+1 frames<\/span>/g)).toHaveLength(4);
    const { default: sharp } = await import('sharp');
    const first = /<div class="frames"><img class="sample-picture" src="data:image\/webp;base64,([^"]+)"/.exec(html)!;
    expect(await sharp(Buffer.from(first[1]!, 'base64')).metadata()).toMatchObject({ width: 160, height: 120 });
  });

  it('shows runs sharing a label as one row of means with their range, and bars with whiskers', async () => {
    let asked = 0;
    const seeds = [
      spatialRun('locvlm', () => (asked++ === 0 ? 'left' : 'right')),
      spatialRun('locvlm', () => 'left'),
      spatialRun('baseline', () => 'right'),
    ];
    const report = buildReport(seeds);
    const table4 = report.tables.find((t) => t.id === 'table4-direct')!;
    const mine = table4.rows.find((r) => r.method === 'locvlm')!;
    const firstAccuracy = seeds[0]!.score.metrics.accuracy! * 100;
    expect(firstAccuracy).toBe(50);
    expect(mine.values[0]).toBeCloseTo((firstAccuracy + 100) / 2);
    expect(mine.spread![0]).toEqual({ mean: mine.values[0], min: firstAccuracy, max: 100, n: 2 });
    expect(table4.rows.find((r) => r.method === 'baseline')!.spread).toBeUndefined();
    const taskTable = report.taskTables[0]!;
    expect(taskTable.rows.map((r) => r.method)).toEqual(['locvlm', 'baseline']);
    expect(taskTable.rows[0]!.spread![0]).toMatchObject({ n: 2, max: 1 });
    const html = await renderHtmlReport(report, seeds, { outDir: tmpdir(), images: 'none' });
    // Table 4's chart and the task's panel each draw one whisker (the locvlm seeds' All column / accuracy).
    expect(html.match(/<g class="spread"/g)!.length).toBeGreaterThanOrEqual(2);
    expect(html).toContain('class="metric-bars"');
    expect(html).toContain('whiskers: their min–max range');
    expect(html).toMatch(/<span class="range" title="mean of 2 runs">/);
  });
});

describe('reports from run folders', { timeout: 30_000 }, () => {
  it('scores saved runs side by side without a model and writes both files', async () => {
    const { runEval } = await import('../runs/run-eval.js');
    const { fakeModel } = await import('../testing/fake-model.js');
    const { loadReportRuns, writeReport } = await import('./write.js');
    const { readFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const task = buildCocoSpatialPaper(cocoFixture());
    await runEval({ task, model: fakeModel('base', () => 'right'), outDir: join(dir, 'baseline') });
    await runEval({ task, model: fakeModel('loc', () => 'left'), outDir: join(dir, 'locvlm') });
    const runs = await loadReportRuns([join(dir, 'baseline'), { dir: join(dir, 'locvlm'), label: 'LocVLM here' }]);
    const { report, html } = await writeReport(join(dir, 'report'), runs, { images: 'link' });
    const table = report.tables.find((t) => t.id === 'table4-direct')!;
    expect(table.rows.slice(-2).map((r) => [r.method, r.values[0]])).toEqual([
      ['baseline', 0],
      ['LocVLM here', 100],
    ]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('LocVLM here');
    expect(JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')).runs).toHaveLength(2);
  });
});
