import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { cocoFixture } from '../testing/fixtures.js';
import {
  buildPopeQuestions,
  type PopeImageObjects,
  popeObjectsFromCoco,
  popeQuestionsToJsonl,
  popeTask,
  readPopeFile,
  scorePope,
} from './pope.js';

const images: PopeImageObjects[] = [
  { image: 'a.jpg', objects: ['person', 'dog', 'frisbee'] },
  { image: 'b.jpg', objects: ['person', 'car', 'bus', 'truck'] },
  { image: 'c.jpg', objects: ['person', 'dog', 'car'] },
  { image: 'd.jpg', objects: ['apple', 'orange', 'banana'] },
  { image: 'e.jpg', objects: ['cat'] },
];

const objectOf = (text: string) => text.replace(/^Is there an? /, '').replace(/ in the image\?$/, '');

describe('POPE builder', () => {
  const splits = buildPopeQuestions(images, { imageCount: 4, perImage: 3, seed: 7 });

  it('asks the first three objects of each image, each followed by one absent object', () => {
    for (const questions of Object.values(splits)) {
      expect(questions).toHaveLength(24);
      expect(questions.map((q) => q.label)).toEqual(Array.from({ length: 24 }, (_, i) => (i % 2 ? 'no' : 'yes')));
      expect(questions.map((q) => q.question_id)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      for (let i = 0; i < questions.length; i += 6) {
        const block = questions.slice(i, i + 6);
        const image = images.find((im) => im.image === block[0]!.image)!;
        expect(block.filter((q) => q.label === 'yes').map((q) => objectOf(q.text))).toEqual(image.objects.slice(0, 3));
        const negatives = block.filter((q) => q.label === 'no').map((q) => objectOf(q.text));
        expect(new Set(negatives).size).toBe(3);
        for (const n of negatives) expect(image.objects).not.toContain(n);
      }
    }
  });

  it('popular negatives are the most frequent absent objects', () => {
    // Over the 4 drawn images person appears 3 times, dog and car twice; for d.jpg these come first.
    const d = splits.popular.filter((q) => q.image === 'd.jpg' && q.label === 'no').map((q) => objectOf(q.text));
    expect(d[0]).toBe('person');
    expect(new Set(d.slice(1))).toEqual(new Set(['dog', 'car']));
  });

  it('adversarial negatives co-occur most with the positive they follow', () => {
    const a = splits.adversarial.filter((q) => q.image === 'a.jpg').map((q) => objectOf(q.text));
    // person co-occurs most with dog and car (twice each); dog is in a.jpg, so car is asked.
    expect(a[0]).toBe('person');
    expect(a[1]).toBe('car');
  });

  it('writes a/an correctly (not POPE\'s replace("a","an") template)', () => {
    const texts = splits.random.map((q) => q.text);
    expect(texts).toContain('Is there an apple in the image?');
    expect(texts.some((t) => t.includes('Is there an person'))).toBe(false);
  });

  it('refuses when too few images have enough objects', () => {
    expect(() => buildPopeQuestions(images, { imageCount: 5 })).toThrow(EvaluationError);
  });

  it('builds from COCO instances', () => {
    const objects = popeObjectsFromCoco(cocoFixture());
    expect(objects[0]).toEqual({ image: 'img1.jpg', objects: ['dog', 'cat', 'chair', 'person', 'apple'] });
  });
});

describe('POPE loader and scorer', () => {
  it('round-trips the official JSONL and scores like eval_pope.py', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pope-'));
    const file = join(dir, 'coco_pope_random.json');
    writeFileSync(
      file,
      popeQuestionsToJsonl([
        { question_id: 1, image: 'x.jpg', text: 'Is there a dog in the image?', label: 'yes' },
        { question_id: 2, image: 'x.jpg', text: 'Is there a cat in the image?', label: 'no' },
        { question_id: 3, image: 'x.jpg', text: 'Is there a cup in the image?', label: 'yes' },
        { question_id: 4, image: 'x.jpg', text: 'Is there a tv in the image?', label: 'no' },
      ]),
    );
    const task = popeTask(readPopeFile(file), { split: 'random', imageRoot: '/coco/val2014' });
    expect(task.name).toBe('pope-random');
    expect(task.samples[0]!.view.image).toBe('/coco/val2014/x.jpg');
    const score = scorePope(
      task,
      new Map([
        ['random:1', 'Yes, there is a dog.'],
        ['random:2', 'Yes. No cat.'],
        ['random:3', 'There is not a cup'],
        ['random:4', 'No'],
      ]),
    );
    // tp=1 fp=1 fn=1 tn=1
    expect(score.metrics).toEqual({ accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5, yesRatio: 0.5 });
  });

  it('takes labels from a separate map for LLaVA-style question files and groups by category', () => {
    const lines = [
      { question_id: 1, image: 'a.jpg', text: 'Is there a dog in the image?', category: 'adversarial' },
      { question_id: 1, image: 'a.jpg', text: 'Is there a dog in the image?', category: 'popular' },
    ];
    const task = popeTask(lines, { labels: new Map([['1', 'yes' as const]]) });
    expect(task.name).toBe('pope');
    expect(task.samples.map((s) => s.id)).toEqual(['adversarial:1', 'popular:1']);
    const score = scorePope(task, new Map([['adversarial:1', 'yes']]));
    expect(score.metrics['adversarial.accuracy']).toBeUndefined();
    expect(score.counts.missing).toBe(1);
    expect(() => popeTask([{ question_id: 9, image: 'a', text: 't' }])).toThrow(/question 9 has no label/);
  });
});
