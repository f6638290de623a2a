import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { cocoFixture } from '../testing/fixtures.js';
import { buildHalAct, buildHalAde, buildHalCoco, readVideoObjects, scorePresence } from './hallucination.js';

const questionOf = (s: { view: { prompt: string } }) => s.view.prompt;

describe('Hal-COCO', () => {
  it('asks about two present and two absent categories per image, with a/an by first letter', () => {
    const task = buildHalCoco(cocoFixture(), { imageRoot: '/coco', seed: 3 });
    expect(task.name).toBe('hal-coco');
    expect(task.samples).toHaveLength(12);
    const image1 = task.samples.filter((s) => s.id.startsWith('1:'));
    expect(image1.map((s) => s.target.answer)).toEqual(['yes', 'yes', 'no', 'no']);
    const present = new Set(['dog', 'cat', 'chair', 'person', 'apple']);
    for (const s of image1) expect(present.has(s.target.object)).toBe(s.target.answer === 'yes');
    for (const s of task.samples) {
      expect(questionOf(s)).toMatch(/^Is there (a|an) .+ in the image\?$/);
      const article = /^[aeiou]/.test(s.target.object) ? 'an' : 'a';
      expect(questionOf(s)).toBe(`Is there ${article} ${s.target.object} in the image?`);
    }
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const a = buildHalCoco(cocoFixture(), { seed: 1 }).samples.map((s) => s.id);
    const b = buildHalCoco(cocoFixture(), { seed: 1 }).samples.map((s) => s.id);
    expect(a).toEqual(b);
    const seeds = [2, 3, 4, 5, 6, 7].map((seed) =>
      buildHalCoco(cocoFixture(), { seed })
        .samples.map((s) => s.id)
        .join(),
    );
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});

describe('Hal-ADE', () => {
  it('reads ADE20K per-image JSON, drops parts and COCO classes, and uses the first synonym', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-'));
    const object = (name: string, partLevel = 0, raw = name.split(',')[0]!) => ({
      id: 0,
      name,
      raw_name: raw,
      parts: { hasparts: [], ispartof: [], part_level: partLevel },
      polygon: { x: [], y: [] },
    });
    const files = [
      ['ADE_val_1', [object('wall'), object('floor, flooring'), object('car, auto, automobile'), object('door', 1)]],
      ['ADE_val_2', [object('ceiling'), object('lamp'), object('person, individual, someone'), object('rug, carpet')]],
    ].map(([stem, objects]) => {
      const file = join(dir, `${stem}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          annotation: { filename: `${stem}.jpg`, folder: 'x', imsize: [300, 400, 3], object: objects },
        }),
      );
      return file;
    });
    const task = buildHalAde(files, { seed: 0 });
    const present1 = task.samples.filter((s) => s.id.startsWith('ADE_val_1:') && s.target.answer === 'yes');
    expect(present1.map((s) => s.target.object).sort()).toEqual(['floor', 'wall']);
    const all = new Set(task.samples.map((s) => s.target.object));
    for (const coco of ['car', 'person', 'door']) expect(all.has(coco)).toBe(false);
    expect(task.samples[0]!.view.image).toBe(join(dir, 'ADE_val_1.jpg'));
    expect(task.samples[0]!.view.imageSize).toEqual({ width: 400, height: 300 });
  });
});

describe('Hal-Act', () => {
  it('uses uniformly sampled frames and asks about the video', () => {
    const root = mkdtempSync(join(tmpdir(), 'act-'));
    mkdirSync(join(root, 'v_abc'));
    for (let i = 1; i <= 20; i++) writeFileSync(join(root, 'v_abc', `frame_${i}.jpg`), '');
    const list = join(root, 'objects.jsonl');
    writeFileSync(
      list,
      `${JSON.stringify({ video: 'v_abc', objects: ['person', 'dog', 'ball'] })}\n${JSON.stringify({ video: 'v_def', objects: ['cup', 'car'], frames: ['a.jpg'] })}\n`,
    );
    const task = buildHalAct(readVideoObjects(list), {
      framesRoot: root,
      vocabulary: ['person', 'dog', 'ball', 'cup', 'car', 'tv', 'oven'],
    });
    const first = task.samples[0]!;
    expect(first.view.frames).toHaveLength(8);
    // Video-ChatGPT's segment midpoints of 20 frames: indices 1, 3, 6, 8, 11, 13, 15, 18 (numeric name order).
    expect(first.view.frames).toEqual([2, 4, 7, 9, 12, 14, 16, 19].map((n) => join(root, 'v_abc', `frame_${n}.jpg`)));
    expect(first.view.prompt).toMatch(/in the video\?$/);
    expect(first.messages[0]!.content[0]).toMatchObject({ type: 'video' });
    expect(task.samples.filter((s) => s.id.startsWith('v_def:'))[0]!.view.frames).toEqual([join(root, 'a.jpg')]);
  });

  it('refuses a record without frames when no frames folder is given', () => {
    expect(() => buildHalAct([{ video: 'x', objects: ['a', 'b'] }])).toThrow(EvaluationError);
  });
});

describe('presence scoring', () => {
  it('reads answers as POPE does and counts missing answers as wrong', () => {
    const task = buildHalCoco(cocoFixture(), { seed: 3, limit: 1 });
    const [p1, p2, n1] = task.samples;
    const answers = new Map([
      [p1!.id, 'Yes, there is.'],
      [p2!.id, 'No. Yes it is there'],
      [n1!.id, 'There is not a thing, no.'],
    ]);
    const score = scorePresence(task, answers);
    expect(score.metrics.accuracy).toBe(0.5);
    expect(score.metrics['accuracy.present']).toBe(0.5);
    expect(score.metrics['accuracy.absent']).toBe(0.5);
    expect(score.counts).toEqual({ samples: 4, answered: 3, missing: 1 });
    expect(score.samples.map((s) => s.parsed)).toEqual(['yes', 'no', 'no', undefined]);
  });
});
