import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { cocoFixture } from '../testing/fixtures.js';
import { createTaskFromFiles, TASKS } from './registry.js';

function cocoFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  const file = join(dir, 'instances.json');
  writeFileSync(file, JSON.stringify(cocoFixture()));
  return file;
}

describe('createTaskFromFiles', () => {
  it('builds tasks by name from files with the flags applied', () => {
    const file = cocoFile();
    const spatial = createTaskFromFiles('coco-spatial', {
      data: [file],
      images: '/imgs',
      prompt: 'icl',
      axis: 'vertical',
    });
    expect(spatial.config).toMatchObject({ protocol: 'paper', prompt: 'icl', axis: 'vertical' });
    expect(spatial.samples[0]!.view.image).toBe('/imgs/img2.jpg');
    expect(createTaskFromFiles('hal-coco', { data: [file], limit: 1 }).samples).toHaveLength(4);
    expect(() => createTaskFromFiles('pope-build', { data: [file], split: 'popular' })).toThrow(
      /POPE needs 500 images/,
    );
  });

  it("pairs LLaVA's combined POPE file with POPE's label files by position per category", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pope-'));
    const q = (id: number, category: string, obj: string) =>
      JSON.stringify({ question_id: id, image: 'x.jpg', text: `Is there a ${obj} in the image?`, category });
    writeFileSync(
      join(dir, 'llava_pope_test.jsonl'),
      [q(1, 'random', 'dog'), q(2, 'popular', 'cat'), q(3, 'random', 'cup')].join('\n'),
    );
    const l = (id: number, label: string) => JSON.stringify({ question_id: id, image: 'x.jpg', text: 't', label });
    writeFileSync(join(dir, 'coco_pope_random.json'), [l(1, 'yes'), l(2, 'no')].join('\n'));
    writeFileSync(join(dir, 'coco_pope_popular.json'), l(1, 'no'));
    const task = createTaskFromFiles('pope', {
      data: ['llava_pope_test.jsonl', 'coco_pope_random.json', 'coco_pope_popular.json'].map((f) => join(dir, f)),
    });
    expect(task.samples.map((s) => [s.id, (s.target as { label: string }).label])).toEqual([
      ['random:1', 'yes'],
      ['popular:2', 'no'],
      ['random:3', 'no'],
    ]);
    expect(() => createTaskFromFiles('pope', { data: [join(dir, 'llava_pope_test.jsonl')] })).toThrow(
      /no label file coco_pope_random\.json/,
    );
  });

  it('finds ADE20K JSON files in folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ade-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const objects = ['wall', 'floor', 'lamp', 'rug', 'ceiling'].map((name) => ({ name, parts: { part_level: 0 } }));
    writeFileSync(
      join(dir, 'a', 'b', 'ADE_1.json'),
      JSON.stringify({ annotation: { filename: 'ADE_1.jpg', object: objects.slice(0, 3) } }),
    );
    writeFileSync(
      join(dir, 'a', 'ADE_2.json'),
      JSON.stringify({ annotation: { filename: 'ADE_2.jpg', object: objects.slice(2) } }),
    );
    const task = createTaskFromFiles('hal-ade', { data: [dir] });
    expect(new Set(task.samples.map((s) => s.id.split(':')[0]))).toEqual(new Set(['ADE_1', 'ADE_2']));
  });

  it('explains missing inputs and unknown names', () => {
    const file = cocoFile();
    expect(() => createTaskFromFiles('rd', { data: [file] })).toThrow(/rd needs --data refs\.json instances\.json/);
    expect(() => createTaskFromFiles('grounding-coco', { data: [file] })).toThrow(/needs a location format/);
    expect(() => createTaskFromFiles('video-qa', { data: [file] })).toThrow(/needs --frames/);
    expect(() => createTaskFromFiles('mmbench', { data: [] })).toThrow(EvaluationError);
    expect(TASKS.map((t) => t.name)).toContain('coco-spatial-released');
  });
});
