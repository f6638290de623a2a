import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_TASK_LABELS,
  DEMO_TASKS,
  type DemoAnswer,
  loadDemoScenes,
  planScene,
  REPOSITORY_SCENES_DIR,
  scoreDemo,
} from '../demo-run.js';
import { locvlm, shapesLabModelDir } from '../test-helpers.js';
import { codecSpec, type DemoOutput, formatDemoTable } from './demo.js';

const work = mkdtempSync(join(tmpdir(), 'locvlm-demo-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the sample scenes', () => {
  it('load from the COCO-style scenes.json and plan every task', async () => {
    const scenes = await loadDemoScenes(REPOSITORY_SCENES_DIR);
    expect(scenes).toHaveLength(4);
    for (const scene of scenes) {
      const plan = planScene(scene);
      expect(plan.locate.length).toBeGreaterThan(0);
      expect(plan.locate.every((o) => scene.objects.filter((p) => p.category === o.category).length === 1)).toBe(true);
      expect(plan.describe).toBe(plan.locate[0]);
      // The left/right pair really is side by side: the subject's box ends before (left) or starts after (right).
      const { reference, subject, side } = plan.leftRight!;
      if (side === 'left') expect(subject.box[2]).toBeLessThanOrEqual(reference.box[0]);
      else expect(subject.box[0]).toBeGreaterThanOrEqual(reference.box[2]);
      const [present, absent] = plan.presence;
      expect(present?.label).toBe('yes');
      expect(scene.objects.some((o) => o.category === present?.category)).toBe(true);
      expect(absent?.label).toBe('no');
      expect(scene.objects.some((o) => o.category === absent?.category)).toBe(false);
    }
  });

  it('refuses a scenes.json naming the file and the JSON path', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const good = JSON.parse(readFileSync(join(REPOSITORY_SCENES_DIR, 'scenes.json'), 'utf8'));
    good.annotations[2].bbox = [1, 2, -3, 4];
    writeFileSync(join(dir, 'scenes.json'), JSON.stringify(good));
    await expect(loadDemoScenes(dir)).rejects.toThrow(`${join(dir, 'scenes.json')} at annotations.2.bbox.2:`);
  });
});

describe('scoring', () => {
  it('marks boxes by IoU >= 0.5, descriptions and sides by keyword, presence by POPE parsing', () => {
    const base = { imageId: 1, question: 'q', correct: false };
    const answers: DemoAnswer[] = [
      { ...base, task: 'locate', answer: '', expected: 'a', predictedBox: [0, 0, 10, 10], targetBox: [0, 0, 10, 20] },
      { ...base, task: 'locate', answer: '', expected: 'b', predictedBox: [0, 0, 10, 9], targetBox: [0, 0, 10, 20] },
      { ...base, task: 'locate', answer: '', expected: 'c', predictedBox: null, targetBox: [0, 0, 10, 20] },
      { ...base, task: 'describe', answer: 'There is a large red circle.', expected: 'red circle' },
      { ...base, task: 'describe', answer: 'There is a red square.', expected: 'red circle' },
      { ...base, task: 'left-right', answer: 'It is on the left side.', expected: 'left' },
      { ...base, task: 'presence', answer: 'No, there is no red circle.', expected: 'no' },
      { ...base, task: 'presence', answer: 'Yes, there is a blue square.', expected: 'no' },
    ];
    const tasks = scoreDemo(answers);
    expect(tasks.map((t) => [t.task, t.n, t.correct])).toEqual([
      ['locate', 3, 1],
      ['describe', 2, 1],
      ['left-right', 1, 1],
      ['presence', 2, 1],
    ]);
    expect(answers.map((a) => a.correct)).toEqual([true, false, false, true, false, true, true, false]);
    expect(answers[0]?.iou).toBe(0.5);
    expect(tasks[0]?.accuracy).toBeCloseTo(1 / 3, 9);
    expect(
      scoreDemo(answers.filter((a) => a.task !== 'left-right')).find((t) => t.task === 'left-right'),
    ).toMatchObject({ n: 0, correct: 0, accuracy: null });
    expect(formatDemoTable(tasks).split('\n')).toEqual([
      'task                            n  correct  accuracy',
      'locate (LocPred, IoU >= 0.5)    3        1     33.3%',
      'describe region (RevLoc)        2        1     50.0%',
      'left/right (COCO-Spatial)       1        1    100.0%',
      'presence (POPE)                 2        1     50.0%',
    ]);
    expect(codecSpec({ kind: 'ivb', bins: 32 })).toBe('ivb:bins=32');
  });
});

describe('locvlm demo', () => {
  it('runs end to end on the shapes-lab model: table, JSON, results.json and the picture', async () => {
    const scenes = await loadDemoScenes(REPOSITORY_SCENES_DIR);
    const plans = scenes.map(planScene);
    const expectedN = {
      locate: plans.reduce((n, p) => n + p.locate.length, 0),
      describe: scenes.length,
      'left-right': scenes.length,
      presence: 2 * scenes.length,
    };
    const flags = ['--model', shapesLabModelDir, '--scenes', REPOSITORY_SCENES_DIR];

    const out = join(work, 'text');
    const text = await locvlm('demo', ...flags, '--out', out);
    expect(text.code, text.err).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^locvlm demo: .+, ${scenes.length} held-out scenes, [\\d.]+ s$`));
    expect(lines[2]).toMatch(/^task\s+n\s+correct\s+accuracy$/);
    DEMO_TASKS.forEach((task, i) => {
      const row = lines[3 + i]!;
      expect(row.startsWith(DEMO_TASK_LABELS[task])).toBe(true);
      const [n, correct, accuracy] = row.slice(DEMO_TASK_LABELS[task].length).trim().split(/\s+/);
      expect(Number(n)).toBe(expectedN[task]);
      expect(Number(correct)).toBeLessThanOrEqual(Number(n));
      expect(accuracy).toBe(`${((100 * Number(correct)) / Number(n)).toFixed(1)}%`);
    });
    expect(text.out).toContain(`picture: ${join(out, 'demo.png')}`);
    // Progress goes to stderr, one line per scene.
    expect(text.err.split('\n').filter((l) => /^\[\d\/4\] scene \d+: \d+ questions answered$/.test(l))).toHaveLength(4);

    const jsonOut = join(work, 'json');
    const json = await locvlm('demo', ...flags, '--out', jsonOut, '--json');
    expect(json.code, json.err).toBe(0);
    const report = JSON.parse(json.out) as DemoOutput;
    expect(report.codec).toMatchObject({ kind: 'ivb', bins: 32 });
    expect(report.tasks.map((t) => [t.task, t.n])).toEqual(Object.entries(expectedN));
    expect(report.answers).toHaveLength(Object.values(expectedN).reduce((a, b) => a + b, 0));
    for (const a of report.answers) {
      expect(typeof a.question).toBe('string');
      expect(typeof a.answer).toBe('string');
      expect(typeof a.correct).toBe('boolean');
    }
    // Every located answer carries the IoU it was scored with; presence asks one present and one absent category.
    expect(report.answers.filter((a) => a.task === 'locate').every((a) => typeof a.iou === 'number')).toBe(true);
    expect(report.answers.filter((a) => a.task === 'presence').map((a) => a.expected)).toEqual(
      scenes.flatMap(() => ['yes', 'no']),
    );
    expect(JSON.parse(readFileSync(report.results, 'utf8'))).toEqual(report);

    const meta = await sharp(readFileSync(report.picture)).metadata();
    expect(meta.format).toBe('png');
    // Three columns (truth, prediction, text) and one row of at least a 256-px panel per scene.
    expect(meta.width).toBeGreaterThan(2 * 256 + 400);
    expect(meta.height).toBeGreaterThan(scenes.length * 256);
  }, 60_000);

  it('a model that cannot load: one clear line and exit code 2', async () => {
    const missing = join(work, 'no-model-here');
    const result = await locvlm('demo', '--model', missing, '--scenes', REPOSITORY_SCENES_DIR, '--out', work);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(new RegExp(`^error: cannot load the model at ${missing}: .+`, 'm'));
    expect(result.out).toBe('');
  });
});
