import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VideoPoolError } from './errors.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import {
  type FeatureArray,
  LOCVLM_VID_POOLING,
  type PoolingOrder,
  pooledTokenCount,
  poolSpatioTemporal,
  SpatioTemporalPooler,
  VIDEO_CHATGPT_POOLING,
} from './pool.js';

// Two frames of three patches of two values.
const HAND = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const rows = (data: Float32Array, dim: number) =>
  Array.from({ length: data.length / dim }, (_, r) => Array.from(data.subarray(r * dim, (r + 1) * dim)));

/** Straight from the definition, in float64: what the fast path must agree with. */
function naivePool(
  value: (t: number, s: number, d: number) => number,
  [frames, patches, dim]: readonly [number, number, number],
  padTemporalTo: number | undefined,
  order: PoolingOrder,
): number[][] {
  const temporal: number[][] = [];
  for (let t = 0; t < frames; t++) {
    const row: number[] = [];
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let s = 0; s < patches; s++) sum += value(t, s, d);
      row.push(sum / patches);
    }
    temporal.push(row);
  }
  while (padTemporalTo !== undefined && temporal.length < padTemporalTo) temporal.push(new Array(dim).fill(0));
  const spatial: number[][] = [];
  for (let s = 0; s < patches; s++) {
    const row: number[] = [];
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let t = 0; t < frames; t++) sum += value(t, s, d);
      row.push(sum / frames);
    }
    spatial.push(row);
  }
  return order === 'temporal-first' ? [...temporal, ...spatial] : [...spatial, ...temporal];
}

function expectClose(actual: Float32Array, expected: number[][], dim: number) {
  expect(actual.length).toBe(expected.length * dim);
  for (const [r, row] of expected.entries()) {
    for (const [d, want] of row.entries()) {
      const got = actual[r * dim + d]!;
      if (Math.abs(got - want) > 1e-5 * Math.max(1, Math.abs(want))) {
        throw new Error(`row ${r}, column ${d}: got ${got}, expected ${want}`);
      }
    }
  }
}

describe('poolSpatioTemporal (hand-computed)', () => {
  it('puts temporal tokens (frame means) before spatial tokens (patch means) by default', () => {
    const pooled = poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] });
    expect(rows(pooled.data, 2)).toEqual([
      [3, 4],
      [9, 10],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(pooled).toMatchObject({ dims: [5, 2], temporalTokens: 2, spatialTokens: 3, frames: 2 });
  });

  it('zero-pads the temporal tokens and can put spatial tokens first', () => {
    const padded = poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }, { padTemporalTo: 3 });
    expect(rows(padded.data, 2)).toEqual([
      [3, 4],
      [9, 10],
      [0, 0],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    const spatialFirst = poolSpatioTemporal(
      { data: HAND, dims: [2, 3, 2] },
      { padTemporalTo: 3, order: 'spatial-first' },
    );
    expect(rows(spatialFirst.data, 2)).toEqual([
      [4, 5],
      [6, 7],
      [8, 9],
      [3, 4],
      [9, 10],
      [0, 0],
    ]);
  });

  it('gives 356 tokens for Video-ChatGPT and 256 + n_f for the paper', () => {
    expect(pooledTokenCount(100, 256, VIDEO_CHATGPT_POOLING)).toBe(356);
    expect(pooledTokenCount(37, 256, VIDEO_CHATGPT_POOLING)).toBe(356);
    expect(pooledTokenCount(8, 256, LOCVLM_VID_POOLING)).toBe(264);
    const features = new Float32Array(3 * 256 * 4).fill(1);
    expect(poolSpatioTemporal({ data: features, dims: [3, 256, 4] }, VIDEO_CHATGPT_POOLING).dims).toEqual([356, 4]);
    expect(poolSpatioTemporal({ data: features, dims: [3, 256, 4] }, LOCVLM_VID_POOLING).dims).toEqual([259, 4]);
  });

  it('reads a strided view in place: frames of an encoder output with a CLS row, skipped by offset', () => {
    // [T, 1 + S, D] with a CLS row of 1000s in front of each frame's patches.
    const withCls = new Float32Array(2 * 4 * 2);
    for (let t = 0; t < 2; t++) {
      withCls.set([1000, 1000], t * 8);
      withCls.set(HAND.subarray(t * 6, t * 6 + 6), t * 8 + 2);
    }
    const pooled = poolSpatioTemporal({ data: withCls, dims: [2, 3, 2], strides: [8, 2, 1], offset: 2 });
    expect(rows(pooled.data, 2)).toEqual(rows(poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }).data, 2));
  });

  it('reads a transposed view ([T, D, S] storage) and half-float bits', () => {
    const transposed = new Float32Array(12);
    for (let t = 0; t < 2; t++)
      for (let s = 0; s < 3; s++) for (let d = 0; d < 2; d++) transposed[t * 6 + d * 3 + s] = HAND[t * 6 + s * 2 + d]!;
    const expected = rows(poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }).data, 2);
    expect(rows(poolSpatioTemporal({ data: transposed, dims: [2, 3, 2], strides: [6, 1, 3] }).data, 2)).toEqual(
      expected,
    );
    expect(rows(poolSpatioTemporal({ data: toFloat16Bits(HAND), dims: [2, 3, 2] }).data, 2)).toEqual(expected);
    expect(rows(poolSpatioTemporal({ data: new Float64Array(HAND), dims: [2, 3, 2] }).data, 2)).toEqual(expected);
  });

  it('widens every half-float bit pattern exactly (subnormals, infinities, NaN) on the SIMD path', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const expected = fromFloat16Bits(bits);
    // One frame of one patch: both tokens are the values themselves.
    const pooled = poolSpatioTemporal({ data: bits, dims: [1, 1, 65536] });
    for (let i = 0; i < 65536; i++) {
      const want = expected[i]!;
      for (const got of [pooled.data[i]!, pooled.data[65536 + i]!]) {
        if (Number.isNaN(want) ? !Number.isNaN(got) : got !== want) {
          throw new Error(`half 0x${i.toString(16)}: got ${got}, expected ${want}`);
        }
      }
    }
  });

  it('writes into a given buffer, clearing stale padding rows', () => {
    const out = new Float32Array(6 * 2 + 3).fill(-1);
    const pooled = poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }, { padTemporalTo: 3, out });
    expect(pooled.data).toBe(out);
    expect(Array.from(out.subarray(4, 6))).toEqual([0, 0]);
    expect(out[12]).toBe(-1);
  });
});

describe('SpatioTemporalPooler', () => {
  it('gives the same result frame by frame as from one tensor', () => {
    const pooler = new SpatioTemporalPooler({ patches: 3, dim: 2, padTemporalTo: 4 });
    pooler.addFrame({ data: HAND.subarray(0, 6), dims: [3, 2] });
    pooler.addFrame({ data: HAND, dims: [3, 2], offset: 6 });
    expect(pooler.frames).toBe(2);
    expect(pooler.tokenCount).toBe(7);
    expect(Array.from(pooler.finish().data)).toEqual(
      Array.from(poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }, { padTemporalTo: 4 }).data),
    );
  });

  it('stays exact over many frames (float32 partial sums folded into float64) and large rows (several chunks)', () => {
    // 70 frames cross the 32-frame fold twice; 131072 values per row make each row its own chunk.
    const frames = 70;
    const value = (t: number, s: number, d: number) => ((t * 7 + s * 3 + d) % 11) - 5 + 0.25;
    const small = new SpatioTemporalPooler({ patches: 3, dim: 5 });
    const frame = new Float32Array(15);
    for (let t = 0; t < frames; t++) {
      for (let s = 0; s < 3; s++) for (let d = 0; d < 5; d++) frame[s * 5 + d] = value(t, s, d);
      small.addFrame({ data: frame, dims: [3, 5] });
    }
    expectClose(small.finish().data, naivePool(value, [frames, 3, 5], undefined, 'temporal-first'), 5);

    const dim = 131072;
    const wide = new Float32Array(2 * 3 * dim).map((_, i) => (i % 13) - 6);
    const pooled = poolSpatioTemporal({ data: wide, dims: [2, 3, dim] });
    const at = (t: number, s: number, d: number) => wide[(t * 3 + s) * dim + d]!;
    expectClose(pooled.data, naivePool(at, [2, 3, dim], undefined, 'temporal-first'), dim);
  });

  it('rejects mismatched frames, too many frames, empty input and views past the array', () => {
    const pooler = new SpatioTemporalPooler({ patches: 3, dim: 2, padTemporalTo: 1 });
    expect(() => pooler.finish()).toThrow(/no frames/);
    expect(() => pooler.addFrame({ data: HAND, dims: [2, 3] })).toThrow(/expected \[3, 2\]/);
    expect(() => pooler.addFrame({ data: HAND, dims: [3, 2], offset: 8 })).toThrow(/reaches elements 8\.\.13/);
    pooler.addFrame({ data: HAND, dims: [3, 2] });
    expect(() => pooler.addFrame({ data: HAND, dims: [3, 2] })).toThrow(/padTemporalTo = 1/);
    expect(() => poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }, { padTemporalTo: 1 })).toThrow(
      /2 frames but padTemporalTo is 1/,
    );
    expect(() => poolSpatioTemporal({ data: HAND, dims: [0, 3, 2] })).toThrow(VideoPoolError);
    expect(() => poolSpatioTemporal({ data: HAND, dims: [2, 3, 2] }, { out: new Float32Array(3) })).toThrow(
      /out holds 3/,
    );
    expect(() => poolSpatioTemporal({ data: new Int32Array(12) as unknown as FeatureArray, dims: [2, 3, 2] })).toThrow(
      /Int32Array/,
    );
    expect(() => poolSpatioTemporal({ data: HAND, dims: [2, 3, 2], strides: [6, 2, -1], offset: 0 })).toThrow(
      /reaches elements -1/,
    );
  });
});

describe('poolSpatioTemporal (property: agrees with the naive definition)', () => {
  it('for any shape, layout, dtype, padding and order', () => {
    const layout = fc.record({
      frames: fc.integer({ min: 1, max: 6 }),
      patches: fc.integer({ min: 1, max: 7 }),
      dim: fc.integer({ min: 1, max: 11 }),
      axisOrder: fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]),
      gap: fc.integer({ min: 0, max: 3 }),
      offset: fc.integer({ min: 0, max: 5 }),
      dtype: fc.constantFrom('f32', 'f64', 'half'),
      extraPadding: fc.option(fc.integer({ min: 0, max: 3 })),
      order: fc.constantFrom<PoolingOrder>('temporal-first', 'spatial-first'),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(layout, (c) => {
        const dims = [c.frames, c.patches, c.dim] as const;
        // Lay the axes out in memory in `axisOrder` (innermost last), each with `gap` unused elements after it.
        const strides = [0, 0, 0];
        let span = 1;
        for (const axis of [...c.axisOrder].reverse()) {
          strides[axis] = span;
          span = span * dims[axis]! + c.gap;
        }
        const length = c.offset + span;
        let state = c.seed >>> 0 || 1;
        const random = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return state / 2 ** 32;
        };
        const raw = new Float32Array(length).map(() => (random() - 0.5) * 20);
        const data: FeatureArray =
          c.dtype === 'f32' ? raw : c.dtype === 'f64' ? new Float64Array(raw) : toFloat16Bits(raw);
        const stored = c.dtype === 'half' ? fromFloat16Bits(data as Uint16Array) : raw;
        const at = (t: number, s: number, d: number) =>
          stored[c.offset + t * strides[0]! + s * strides[1]! + d * strides[2]!]!;
        const padTemporalTo = c.extraPadding === null ? undefined : c.frames + c.extraPadding;
        const pooled = poolSpatioTemporal(
          { data, dims, strides: strides as [number, number, number], offset: c.offset },
          { ...(padTemporalTo === undefined ? {} : { padTemporalTo }), order: c.order },
        );
        expectClose(pooled.data, naivePool(at, dims, padTemporalTo, c.order), c.dim);
      }),
      { numRuns: 300 },
    );
  });
});
