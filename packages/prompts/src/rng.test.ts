import { describe, expect, it } from 'vitest';
import { createRng } from './rng.js';

describe('createRng', () => {
  it('gives pinned values for a fixed seed (the same on every platform)', () => {
    const rng = createRng(42);
    expect(Array.from({ length: 12 }, () => rng.int(0, 4))).toEqual([0, 2, 4, 3, 3, 2, 1, 2, 3, 1, 1, 1]);
    const keyed = createRng('locvlm', 'img-1');
    expect(keyed.float()).toBe(0.08851077135703789);
    expect(keyed.shuffle([1, 2, 3, 4, 5, 6])).toEqual([1, 6, 2, 5, 4, 3]);
    expect(keyed.sample(['a', 'b', 'c', 'd', 'e'], 3)).toEqual(['d', 'c', 'e']);
    expect(keyed.chance(0.5)).toBe(false);
  });

  it('repeats a stream for the same seed and keys, and separates different ones', () => {
    const draw = (...args: Parameters<typeof createRng>) => {
      const rng = createRng(...args);
      return Array.from({ length: 8 }, () => rng.int(0, 1_000_000));
    };
    expect(draw(7, 'a')).toEqual(draw(7, 'a'));
    expect(draw(7, 'a')).not.toEqual(draw(7, 'b'));
    expect(draw(1)).not.toEqual(draw('1'));
    expect(draw(7, 'a', 'b')).not.toEqual(draw(7, 'ab'));
  });

  it('draws in range, shuffles to a permutation and samples without replacement', () => {
    const rng = createRng('ranges');
    for (let i = 0; i < 500; i++) {
      const value = rng.int(-3, 3);
      expect(value).toBeGreaterThanOrEqual(-3);
      expect(value).toBeLessThanOrEqual(3);
      const float = rng.float();
      expect(float).toBeGreaterThanOrEqual(0);
      expect(float).toBeLessThan(1);
    }
    const items = Array.from({ length: 20 }, (_, i) => i);
    expect(rng.shuffle(items).sort((a, b) => a - b)).toEqual(items);
    const sample = rng.sample(items, 10);
    expect(new Set(sample).size).toBe(10);
    expect(rng.sample(items, 0)).toEqual([]);
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('spreads picks roughly evenly', () => {
    const rng = createRng('even');
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[rng.int(0, 4)]! += 1;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it('rejects bad seeds and arguments with messages naming them', () => {
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a finite number or a string, got NaN/);
    expect(() => createRng(1, Number.POSITIVE_INFINITY)).toThrow(/keys\[0\]/);
    const rng = createRng(1);
    expect(() => rng.int(3, 1)).toThrow(/min=3, max=1/);
    expect(() => rng.pick([])).toThrow(/empty/);
    expect(() => rng.sample([1], 2)).toThrow(/count must be an integer in \[0, 1\], got 2/);
    expect(() => rng.chance(2)).toThrow(/p must be in \[0, 1\], got 2/);
  });
});
