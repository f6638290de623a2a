import { appendFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { buildCocoSpatialPaper, loadCocoSpatialReleased } from '../tasks/coco-spatial.js';
import { buildHalCoco } from '../tasks/hallucination.js';
import { fakeModel, lastUserText } from '../testing/fake-model.js';
import { cocoFixture } from '../testing/fixtures.js';
import { loadRunFolder, RUN_FILES, rescoreRun, runEval } from './run-eval.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'run-'));

describe('runEval', { timeout: 30_000 }, () => {
  it('asks every sample once, caches answers and scores', async () => {
    const task = buildHalCoco(cocoFixture(), { seed: 2 });
    const model = fakeModel('fake', (request) =>
      /(dog|cat|chair|person|apple)/.test(lastUserText(request)) ? 'Yes.' : 'No.',
    );
    const out = tmp();
    const progress: number[] = [];
    const result = await runEval({
      task,
      model,
      outDir: out,
      concurrency: 3,
      onProgress: (p) => progress.push(p.done),
    });
    expect(model.calls).toHaveLength(task.samples.length);
    expect(model.calls[0]).toMatchObject({ maxNewTokens: 128, temperature: 0.2 });
    expect(progress.at(-1)).toBe(task.samples.length);
    const lines = readFileSync(join(out, RUN_FILES.predictions), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(task.samples.length + 1);
    expect(JSON.parse(lines[0]!).config).toMatchObject({ task: 'hal-coco', model: 'fake', samples: 12 });
    expect(JSON.parse(lines[1]!).key).toMatch(/^hal-coco:\d+:/);
    // Image 1's objects are all in the regex, so image 1 is perfect; images 2 and 3 have other objects.
    expect(result.score.counts).toEqual({ samples: 12, answered: 12, missing: 0 });
    expect(JSON.parse(readFileSync(join(out, RUN_FILES.score), 'utf8')).metrics.accuracy).toBe(
      result.score.metrics.accuracy,
    );

    // Running again asks nothing new.
    const again = fakeModel('fake', () => 'No.');
    const second = await runEval({ task, model: again, outDir: out });
    expect(again.calls).toHaveLength(0);
    expect(second.score.metrics).toEqual(result.score.metrics);
  });

  it('resumes an interrupted run without asking finished samples again', async () => {
    const task = buildCocoSpatialPaper(cocoFixture(), { axis: 'horizontal' });
    const many = { ...task, samples: [...task.samples, ...task.samples.map((s) => ({ ...s, id: `${s.id}:copy` }))] };
    const out = tmp();
    const controller = new AbortController();
    const first = fakeModel('m', (_r, call) => {
      if (call === 1) controller.abort(new Error('stop'));
      return 'left';
    });
    await expect(runEval({ task: many, model: first, outDir: out, signal: controller.signal })).rejects.toThrow();
    const asked = first.calls.length;
    expect(asked).toBeLessThan(many.samples.length);
    const second = fakeModel('m', () => 'left');
    const result = await runEval({ task: many, model: second, outDir: out });
    expect(second.calls.length).toBe(many.samples.length - 2);
    expect(result.score.metrics.accuracy).toBe(1);
  });

  it('refuses to resume with other settings or another model', async () => {
    const task = buildCocoSpatialPaper(cocoFixture());
    const out = tmp();
    await runEval({ task, model: fakeModel('a', () => 'left'), outDir: out });
    await expect(runEval({ task, model: fakeModel('b', () => 'left'), outDir: out })).rejects.toThrow(
      /config\.model: "a" before, "b" now/,
    );
    await expect(
      runEval({ task, model: fakeModel('a', () => 'left'), outDir: out, generation: { temperature: 0 } }),
    ).rejects.toThrow(EvaluationError);
    // The refused attempt left the folder as it was: task.json still matches the predictions.
    const other = buildCocoSpatialPaper(cocoFixture(), { prompt: 'icl' });
    await expect(runEval({ task: other, model: fakeModel('a', () => 'left'), outDir: out })).rejects.toThrow(
      /config\.taskConfig\.prompt: "direct" before, "icl" now/,
    );
    expect((await loadRunFolder(out)).task.config.prompt).toBe('direct');
  });

  it('wraps model failures with the sample key', async () => {
    const task = buildCocoSpatialPaper(cocoFixture());
    const model = fakeModel('broken', () => {
      throw new Error('connection refused');
    });
    await expect(runEval({ task, model, outDir: tmp() })).rejects.toThrow(
      /model broken failed on coco-spatial:1:100-102: connection refused/,
    );
  });

  it('re-scores from the run folder alone, including a torn last line', async () => {
    const task = buildCocoSpatialPaper(cocoFixture());
    const out = tmp();
    await runEval({ task, model: fakeModel('m', (_r, call) => (call === 0 ? 'left' : 'right')), outDir: out });
    appendFileSync(join(out, RUN_FILES.predictions), '{"key":"coco-spatial:1:100-1');
    const loaded = await loadRunFolder(out);
    expect(loaded.model).toBe('m');
    expect(loaded.answers.size).toBe(2);
    const rescored = await rescoreRun(out);
    expect(rescored.score.metrics.accuracy).toBe(0.5);
  });

  it('mirrors the image for mirrored samples', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'val2014'));
    // 2x1 image: left pixel red, right pixel blue.
    await sharp(Buffer.from([255, 0, 0, 0, 0, 255]), { raw: { width: 2, height: 1, channels: 3 } })
      .png()
      .toFile(join(dir, 'val2014', 'a.png'));
    const task = loadCocoSpatialReleased(
      {
        categories: [
          { id: 1, name: 'dog' },
          { id: 2, name: 'cat' },
        ],
        data: {
          '1': {
            file_name: 'a.png',
            annotations: [
              { category_id: 1, bbox: [0, 0, 1, 1] },
              { category_id: 2, bbox: [1.5, 0, 0.5, 1] },
            ],
            good_pairs: [[0, 1]],
          },
        },
      },
      { imageRoot: join(dir, 'val2014'), mirrored: true },
    );
    const seen: string[] = [];
    const model = fakeModel('m', async (request) => {
      const part = (
        request.messages[0]!.content as { type: string; image?: { path?: string; bytes?: Uint8Array } }[]
      )[0]!;
      const input = part.image!.bytes ? Buffer.from(part.image!.bytes) : part.image!.path!;
      const { data } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
      const leftIsRed = data[0] === 255;
      seen.push(leftIsRed ? 'original' : 'mirrored');
      return leftIsRed ? 'right' : 'left';
    });
    const result = await runEval({ task, model, outDir: join(dir, 'run') });
    expect(seen).toEqual(['original', 'mirrored']);
    expect(result.score.metrics).toEqual({ accuracy: 1, 'accuracy.right': 1, 'accuracy.left': 1 });
  });

  it('records each picture as given and the absolute path it resolved to, and where the run was made', async () => {
    const dir = tmp();
    // Relative to the working directory, as `--images coco` on the command line gives it.
    const task = buildHalCoco(cocoFixture(), { seed: 1, imageRoot: 'coco/val' });
    const remote = { ...task.samples[0]!, id: 'remote', view: { ...task.samples[0]!.view, image: 'https://x/a.jpg' } };
    const withRemote = { ...task, samples: [...task.samples, remote] };
    const out = join(dir, 'run');
    const result = await runEval({ task: withRemote, model: fakeModel('m', () => 'Yes'), outDir: out });
    const saved = JSON.parse(readFileSync(join(out, RUN_FILES.task), 'utf8'));
    expect(saved.runPaths).toEqual({ cwd: process.cwd(), dir: out });
    expect(saved.samples[0].view).toMatchObject({
      image: 'coco/val/img1.jpg',
      imageResolved: join(process.cwd(), 'coco/val/img1.jpg'),
    });
    expect(saved.samples.at(-1).view.image).toBe('https://x/a.jpg');
    expect(saved.samples.at(-1).view.imageResolved).toBeUndefined();
    // The request still names the picture as given (resuming from the same folder asks nothing again).
    expect(saved.samples[0].messages[0].content[0].image.path).toBe('coco/val/img1.jpg');
    expect(result.task.runPaths).toEqual(saved.runPaths);
    const loaded = await loadRunFolder(out);
    expect(loaded.task.runPaths).toEqual(saved.runPaths);
    expect(loaded.task.samples[0]!.view.imageResolved).toBe(join(process.cwd(), 'coco/val/img1.jpg'));
  });
});
