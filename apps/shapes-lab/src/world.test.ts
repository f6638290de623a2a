import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { regionCaption, sceneCaption } from './captions.js';
import { ShapesLabError } from './errors.js';
import { relationsOf, type Scene } from './scene.js';
import { CATEGORIES } from './vocabulary.js';
import { buildWorld, worldScene } from './world.js';

function overlaps(a: number[], b: number[]): boolean {
  const [ax, ay, aw, ah] = a as [number, number, number, number];
  const [bx, by, bw, bh] = b as [number, number, number, number];
  return ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;
}

describe('scenes', () => {
  it('are deterministic per (seed, split, index) and differ across seeds and splits', () => {
    expect(worldScene(1, 'train', 5)).toEqual(worldScene(1, 'train', 5));
    expect(worldScene(1, 'train', 5)).not.toEqual(worldScene(2, 'train', 5));
    expect(worldScene(1, 'train', 5)).not.toEqual(worldScene(1, 'test', 5));
  });

  it('hold 2 to 5 objects inside the image, no two boxes overlapping', () => {
    const counts = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const s = worldScene(0, 'train', i);
      counts.add(s.objects.length);
      for (const o of s.objects) {
        const [x, y, w, h] = o.bbox;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x + w).toBeLessThanOrEqual(s.width);
        expect(y + h).toBeLessThanOrEqual(s.height);
        // Every object covers at least one 8-px patch centre on a 64-px image (stage 0 labels patches by centre).
        expect(Math.min(w, h)).toBeGreaterThanOrEqual(8);
      }
      for (const a of s.objects) for (const b of s.objects) if (a !== b) expect(overlaps(a.bbox, b.bbox)).toBe(false);
    }
    expect([...counts].sort()).toEqual([2, 3, 4, 5]);
  });

  it('derives relations from the boxes', () => {
    const rels = relationsOf([{ bbox: [0, 0, 10, 10] }, { bbox: [20, 5, 10, 10] }]);
    expect(rels).toContainEqual({ subject: 0, predicate: 'left of', object: 1 });
    expect(rels).toContainEqual({ subject: 1, predicate: 'right of', object: 0 });
    expect(rels.some((r) => r.predicate === 'above' || r.predicate === 'below')).toBe(false);
  });
});

describe('captions', () => {
  const scene: Scene = {
    width: 64,
    height: 64,
    background: { kind: 'solid', colours: ['white'], angle: 0, tone: 'light' },
    objects: [
      { index: 0, shape: 'circle', colour: 'red', size: 'small', bbox: [2, 20, 10, 10], fill: 'red' },
      { index: 1, shape: 'square', colour: 'blue', size: 'large', bbox: [30, 20, 18, 18], fill: 'blue' },
      { index: 2, shape: 'triangle', colour: 'green', size: 'small', bbox: [35, 48, 10, 9], fill: 'green' },
    ],
    relations: [],
  };
  scene.relations = relationsOf(scene.objects);

  it('relate objects from the scene graph', () => {
    expect(sceneCaption(scene)).toBe(
      'A small red circle left of a large blue square, and a small green triangle below the blue square.',
    );
    expect(regionCaption(scene, scene.objects[0]!)).toBe('a small red circle left of the blue square');
  });
});

describe('buildWorld', () => {
  it('writes PNGs and COCO files that agree, the same bytes for the same seed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shapes-world-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      await buildWorld({ out: a, splits: { train: 6, test: 3 }, seed: 3 });
      await buildWorld({ out: b, splits: { train: 6 }, seed: 3 });
      const inst = JSON.parse(await readFile(join(a, 'annotations/instances_train.json'), 'utf8'));
      expect(inst.images).toHaveLength(6);
      expect(inst.categories).toHaveLength(CATEGORIES.length);
      expect(new Set(inst.annotations.map((x: { id: number }) => x.id)).size).toBe(inst.annotations.length);
      const img = inst.images[0];
      const meta = await sharp(join(a, 'images', img.file_name)).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([64, 64, 3]);
      for (const ann of inst.annotations) {
        expect(inst.categories.some((c: { id: number }) => c.id === ann.category_id)).toBe(true);
        expect(inst.images.some((i: { id: number }) => i.id === ann.image_id)).toBe(true);
      }
      const testInst = JSON.parse(await readFile(join(a, 'annotations/instances_test.json'), 'utf8'));
      expect(testInst.images[0].id).toBe(2_000_000);
      const filesA = await readdir(join(a, 'images/train'));
      for (const f of filesA) {
        expect(await readFile(join(a, 'images/train', f))).toEqual(await readFile(join(b, 'images/train', f)));
      }
      expect(await readFile(join(a, 'annotations/instances_train.json'))).toEqual(
        await readFile(join(b, 'annotations/instances_train.json')),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad split size with a ShapesLabError naming it', async () => {
    await expect(buildWorld({ out: '/nonexistent', splits: { train: -1 } })).rejects.toThrow(ShapesLabError);
    await expect(buildWorld({ out: '/nonexistent', splits: { train: -1 } })).rejects.toThrow(/splits\.train/);
  });
});
