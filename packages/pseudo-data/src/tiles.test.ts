import { describe, expect, it } from 'vitest';
import { mergeDetections, planTiles } from './tiles.js';

const face = { inputSize: 256, minAtInput: 20, minObject: 12, maxTiles: 1000 };

describe('planTiles', () => {
  it('covers the image at every level, down to tiles that bring the smallest face to the detector size', () => {
    const plan = planTiles(640, 480, face);
    expect(plan.tiles[0]).toEqual({ x: 0, y: 0, size: 640, level: 0 });
    expect(plan.minObject).toBe(12);
    const levels = new Set(plan.tiles.map((t) => t.level));
    for (const level of levels) {
      const tiles = plan.tiles.filter((t) => t.level === level);
      const size = tiles[0]!.size;
      // Every pixel of the image lies in some tile of the level.
      for (let y = 0; y < 480; y += 7)
        for (let x = 0; x < 640; x += 7)
          expect(tiles.some((t) => x >= t.x && x < t.x + size && y >= t.y && y < t.y + size)).toBe(true);
    }
    const finest = plan.tiles.at(-1)!;
    expect((12 * 256) / finest.size).toBeGreaterThanOrEqual(20);
    expect(plan.tiles.length).toBe(47);
  });

  it('has each face the coarser levels cannot find lie whole inside one tile of a finer level', () => {
    const plan = planTiles(640, 480, face);
    const levels = [...new Set(plan.tiles.map((t) => t.level))].filter((l) => l > 0);
    for (const level of levels) {
      const tiles = plan.tiles.filter((t) => t.level === level);
      const coarser = plan.tiles.find((t) => t.level === level - 1)!;
      const largest = Math.floor((20 * coarser.size) / 256); // what the coarser level finds from
      for (let y = 0; y + largest <= 480; y += 5)
        for (let x = 0; x + largest <= 640; x += 5)
          expect(
            tiles.some((t) => x >= t.x && y >= t.y && x + largest <= t.x + t.size && y + largest <= t.y + t.size),
          ).toBe(true);
    }
  });

  it('keeps within the tile cap by dropping the finest levels, and says which faces are then found', () => {
    const plan = planTiles(4000, 3000, { ...face, maxTiles: 64 });
    expect(plan.tiles.length).toBeLessThanOrEqual(64);
    expect(plan.minObject).toBeGreaterThan(12);
    expect(planTiles(640, 480, { ...face, maxTiles: 1 }).tiles).toHaveLength(1);
  });

  it('names a bad option', () => {
    expect(() => planTiles(640, 0, face)).toThrow('planTiles: height must be a positive number, got 0');
    expect(() => planTiles(640, 480, { ...face, minObject: Number.NaN })).toThrow(/minObject .* got NaN/);
  });
});

describe('mergeDetections', () => {
  it('keeps the best of overlapping boxes, drops parts cut by a tile edge, keeps other labels and separate boxes', () => {
    const merged = mergeDetections([
      { box: [10, 10, 50, 50], label: 'face', score: 0.9 },
      { box: [12, 11, 52, 49], label: 'face', score: 0.6 }, // same face, another tile
      { box: [10, 10, 30, 50], label: 'face', score: 0.7 }, // the left half, cut by a tile edge
      { box: [60, 10, 90, 40], label: 'face', score: 0.5 },
      { box: [10, 10, 50, 50], label: 'person', score: 0.4 },
    ]);
    expect(merged.map((d) => [d.label, d.score])).toEqual([
      ['face', 0.9],
      ['face', 0.5],
      ['person', 0.4],
    ]);
  });
});
