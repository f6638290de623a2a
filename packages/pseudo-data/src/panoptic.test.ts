import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PseudoDataError } from './errors.js';
import { cocoBoxToCorners } from './objects.js';
import { panopticImages, readPanopticJson, readPanopticPng } from './panoptic.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const pngDir = join(fixtures, 'panoptic');

describe('COCO panoptic', () => {
  it('decodes segment ids (R + 256G + 65536B) and measures each segment', async () => {
    const { width, height, segments } = await readPanopticPng(join(pngDir, 'cat-and-two-dogs_panoptic.png'));
    expect([width, height]).toEqual([160, 120]);
    expect(segments.get(1001)).toEqual({ id: 1001, area: 1600, box: [10, 20, 50, 60] });
    expect(segments.get(1003)?.box).toEqual([110, 70, 150, 105]);
    expect(segments.get(7101)?.box).toEqual([0, 116, 160, 120]); // id > 255 uses the green channel
  });

  it('boxes from pixels match the JSON boxes; absent categories are exhaustive', async () => {
    const dataset = await readPanopticJson(join(fixtures, 'panoptic.json'));
    const fromPng = await panopticImages(dataset, { pngDir });
    const fromJson = await panopticImages(dataset, { pngDir, boxesFrom: 'json' });
    expect(fromPng).toEqual(fromJson);
    const first = fromPng[0];
    expect(first?.objects.map((o) => o.categoryId)).toEqual([3, 2, 2, 200]);
    // person, apple, umbrella, stop sign are absent; wall (stuff) is present.
    expect(first?.absentCategoryIds).toEqual([1, 5, 7, 9]);
    const empty = fromPng[3];
    expect(empty?.objects.map((o) => o.categoryId)).toEqual([200]);
    expect(empty?.absentCategoryIds).toEqual([1, 2, 3, 5, 7, 9]);
    const thingsOnly = await panopticImages(dataset, { pngDir, thingsOnly: true });
    expect(thingsOnly[0]?.objects.map((o) => o.categoryId)).toEqual([3, 2, 2]);
    expect(thingsOnly[0]?.absentCategoryIds).toEqual([1, 5, 7, 9]);
    const json = JSON.parse(readFileSync(join(fixtures, 'panoptic.json'), 'utf8'));
    const seg = json.annotations[1].segments_info[0];
    expect(fromPng[1]?.objects[0]?.box).toEqual(cocoBoxToCorners(seg.bbox, 128, 96));
  });

  it('refuses a segment that is listed but not painted, naming where', async () => {
    const dataset = await readPanopticJson(join(fixtures, 'panoptic.json'));
    dataset.annotations[2]?.segments_info.push({ id: 4242, category_id: 2, iscrowd: 0 });
    const error = await panopticImages(dataset, { pngDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PseudoDataError);
    expect((error as Error).message).toContain('annotations[2].segments_info[3] (segment 4242) has no pixels');
  });

  it('validates the panoptic JSON with JSON paths', async () => {
    const json = JSON.parse(readFileSync(join(fixtures, 'panoptic.json'), 'utf8'));
    json.annotations[1].segments_info[0].category_id = 'dog';
    const file = join(mkdtempSync(join(tmpdir(), 'pseudo-data-pan-')), 'bad.json');
    writeFileSync(file, JSON.stringify(json));
    const error = await readPanopticJson(file).catch((e: unknown) => e);
    expect((error as Error).message).toContain('annotations[1].segments_info[0].category_id');
  });
});
