import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCocoSpatialPaper, scoreCocoSpatial } from '../tasks/coco-spatial.js';
import { buildHalCoco, scorePresence } from '../tasks/hallucination.js';
import { popeTask, scorePope } from '../tasks/pope.js';
import { cocoFixture } from '../testing/fixtures.js';
import { renderHtmlReport } from './html.js';
import type { ReportRun } from './paper-tables.js';
import { buildReport } from './report.js';

// 1x1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

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

describe('HTML report', { timeout: 30_000 }, () => {
  it('is self-contained, embeds images, draws boxes and escapes every data string', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const images = join(dir, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'img1.jpg'), PNG);
    const evil = '<script>alert("x")</script> & \'quotes\'';
    const runs = [spatialRun('base"line<', () => evil, images), spatialRun('locvlm', () => 'left', images)];
    const html = renderHtmlReport(buildReport(runs), runs, { outDir: join(dir, 'out') });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    expect(html).toContain('base&quot;line&lt;');
    expect(html).not.toMatch(/<(link|script)[^>]+(src|href)=["']?https?:/);
    // Both questions are about img1: its bytes are embedded once and referenced by each sample.
    expect(html.match(/data:image\/jpeg;base64,/g)).toHaveLength(1);
    expect(html.match(/<use href="#img0"/g)).toHaveLength(2);
    const budget = renderHtmlReport(buildReport(runs), runs, { outDir: join(dir, 'out'), maxEmbedTotalBytes: 10 });
    expect(budget).not.toContain('data:image');
    expect(budget).toContain('href="../images/img1.jpg"');
    expect(html).toMatch(/<svg class="visual" viewBox="0 0 640 480"/);
    // Ground-truth dog box (80,220)-(120,260) drawn in green.
    expect(html).toContain('<rect x="80" y="220" width="40" height="40" fill="none" stroke="#2ca02c"');
    expect(html).toContain('<svg class="chart"');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('links images relative to the report folder when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const runs = [spatialRun('a', () => 'left', join(dir, 'coco'))];
    const html = renderHtmlReport(buildReport(runs), runs, { outDir: join(dir, 'out'), images: 'link' });
    expect(html).toContain('href="../coco/img1.jpg"');
    const none = renderHtmlReport(buildReport(runs), runs, { outDir: dir, images: 'none' });
    expect(none).not.toContain('img1.jpg"');
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
