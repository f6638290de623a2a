import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFixedFast } from './fixed.js';

describe('toFixedFast', () => {
  it('writes exactly what toFixed writes', () => {
    for (const [v, d] of [
      [10 / 512, 4],
      [120 / 512, 4],
      [0.234375, 4],
      [0.5, 0],
      [1, 4],
      [0, 3],
      [0.0005, 3],
      [0.00049999999999999, 3],
      [1.005, 2],
      [123456.789, 9],
    ] as const) {
      expect(toFixedFast(v, d)).toBe(v.toFixed(d));
    }
    fc.assert(
      fc.property(fc.double({ min: -10, max: 2e6, noNaN: true }), fc.integer({ min: 0, max: 12 }), (v, d) => {
        expect(toFixedFast(v, d)).toBe(v.toFixed(d));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (x, w) => {
        const v = Math.min(x, w) / w;
        expect(toFixedFast(v, 4)).toBe(v.toFixed(4));
        expect(toFixedFast(v, 3)).toBe(v.toFixed(3));
      }),
      { numRuns: 20_000 },
    );
  });
});
