// End to end on synthetic scenes: tasks built from files, run through runEval against a model double that reads
// the pixels, scored, reported. A model that sees must score 100%; a blind one must not.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadReportRuns, writeReport } from './report/write.js';
import { runEval } from './runs/run-eval.js';
import type { CocoInstances } from './tasks/coco.js';
import { createLocationFormat, encodeBox } from './tasks/locations.js';
import { createTaskFromFiles } from './tasks/registry.js';
import { fakeModel } from './testing/fake-model.js';
import { sceneModel, writeSceneDataset } from './testing/scenes.js';

let dir: string;
let data: { instances: string; images: string; coco: CocoInstances };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  data = await writeSceneDataset(dir, { count: 5 });
});

/** The released file's construction: annotations sorted by x, pairs whose boxes do not overlap horizontally. */
function releasedFile(coco: CocoInstances): string {
  const out: Record<string, unknown> = {};
  for (const image of coco.images) {
    const annotations = coco.annotations.filter((a) => a.image_id === image.id).sort((a, b) => a.bbox[0] - b.bbox[0]);
    const pairs: [number, number][] = [];
    for (let i = 0; i < annotations.length; i++) {
      for (let j = i + 1; j < annotations.length; j++) {
        if (annotations[i]!.bbox[0] + annotations[i]!.bbox[2] < annotations[j]!.bbox[0]) pairs.push([i, j]);
      }
    }
    out[String(image.id)] = { ...image, annotations, good_pairs: pairs };
  }
  const file = join(dir, 'coco_spatial.json');
  writeFileSync(file, JSON.stringify({ categories: coco.categories, data: out }));
  return file;
}

describe('end to end on synthetic scenes', { timeout: 30_000 }, () => {
  it('a model that reads the pixels scores 100% on COCO-Spatial (paper, direct and ICL) and Hal-COCO', async () => {
    for (const [name, extra] of [
      ['coco-spatial', { prompt: 'direct' as const }],
      ['coco-spatial', { prompt: 'icl' as const }],
      ['hal-coco', {}],
    ] as const) {
      const task = createTaskFromFiles(name, { data: [data.instances], images: data.images, ...extra });
      expect(task.samples.length).toBeGreaterThan(4);
      const result = await runEval({
        task,
        model: sceneModel(),
        outDir: join(dir, `${name}-${JSON.stringify(extra)}`),
      });
      expect(result.score.metrics.accuracy).toBe(1);
    }
  });

  it('grounding: boxes written in the LLaVA frame come back to original pixels (IoU >= 0.5 everywhere)', async () => {
    const format = createLocationFormat({ codec: { kind: 'ivb', bins: 224 }, frame: 'llava-224' });
    const task = createTaskFromFiles('grounding-coco', { data: [data.instances], images: data.images, format });
    const model = sceneModel((box, size) => encodeBox(format, box, size));
    const result = await runEval({ task, model, outDir: join(dir, 'grounding') });
    expect(result.score.metrics.accuracy).toBe(1);
    expect(result.score.metrics.meanIou).toBeGreaterThan(0.8);
    // Re-scoring from the folder rebuilds the codec and frame from task.json.
    const { rescoreRun } = await import('./runs/run-eval.js');
    expect((await rescoreRun(join(dir, 'grounding'))).score.metrics).toEqual(result.score.metrics);
    const blind = await runEval({
      task,
      model: fakeModel('blind', () => 'It is located at (0, 0, 10, 10)'),
      outDir: join(dir, 'grounding-blind'),
    });
    expect(blind.score.metrics.accuracy).toBe(0);
  });

  it('the released protocol with mirrored images: the seeing model still scores 100%, a fixed answer 50%', async () => {
    const task = createTaskFromFiles('coco-spatial-released', {
      data: [releasedFile(data.coco)],
      images: data.images,
      mirrored: true,
    });
    const seeing = await runEval({ task, model: sceneModel(), outDir: join(dir, 'released-seeing') });
    expect(seeing.score.metrics).toMatchObject({ accuracy: 1, 'accuracy.right': 1, 'accuracy.left': 1 });
    const blind = await runEval({
      task,
      model: fakeModel('blind', () => 'right'),
      outDir: join(dir, 'released-blind'),
    });
    expect(blind.score.metrics).toMatchObject({ accuracy: 0.5, 'accuracy.right': 1, 'accuracy.left': 0 });

    const runs = await loadReportRuns([
      { dir: join(dir, 'released-blind'), label: 'blind' },
      { dir: join(dir, 'released-seeing'), label: 'seeing' },
    ]);
    const { report, html } = await writeReport(join(dir, 'report'), runs);
    const table = report.tables.find((t) => t.id === 'table4-direct')!;
    expect(table.rows.slice(-2).map((r) => r.values.slice(0, 3))).toEqual([
      [50, 0, 100],
      [100, 100, 100],
    ]);
    const page = readFileSync(html, 'utf8');
    // Thumbnails embedded; the mirrored question's picture is flipped on the page (its boxes are already mirrored).
    expect(page).toContain('data:image/webp;base64,');
    expect(page).toContain('style="transform:scaleX(-1)"');
  });
});
