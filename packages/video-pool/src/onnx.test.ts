import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { buildPoolingOnnxModel, type PoolingOnnxOptions } from './onnx.js';
import { poolSpatioTemporal } from './pool.js';

async function runGraph(options: PoolingOnnxOptions, data: Float32Array, dims: [number, number, number]) {
  const session = await ort.InferenceSession.create(buildPoolingOnnxModel(options));
  try {
    const input =
      options.dtype === 'float16'
        ? new ort.Tensor('float16', toFloat16Bits(data), dims)
        : new ort.Tensor('float32', data, dims);
    const outputs = await session.run({ [options.inputName ?? 'features']: input });
    const output = outputs[options.outputName ?? 'pooled_features']!;
    return { dims: output.dims, type: output.type, data: output.data as Float32Array | Uint16Array };
  } finally {
    await session.release();
  }
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('buildPoolingOnnxModel run by onnxruntime-node', () => {
  it('agrees with poolSpatioTemporal on the hand example, with Video-ChatGPT padding', async () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const result = await runGraph({ padTemporalTo: 3 }, data, [2, 3, 2]);
    expect(result.dims).toEqual([6, 2]);
    expect(Array.from(result.data)).toEqual([3, 4, 9, 10, 0, 0, 4, 5, 6, 7, 8, 9]);
  });

  it('declares the input and output shapes, fixed where given', async () => {
    const session = await ort.InferenceSession.create(
      buildPoolingOnnxModel({
        padTemporalTo: 100,
        patches: 256,
        dim: 1024,
        inputName: 'image_features',
        outputName: 'video_features',
      }),
    );
    expect(session.inputNames).toEqual(['image_features']);
    expect(session.outputNames).toEqual(['video_features']);
    const meta = session.outputMetadata[0] as { isTensor: boolean; shape?: (number | string)[] };
    expect(meta.shape).toEqual([356, 1024]);
    await session.release();
  });

  it('agrees with the TypeScript pooling for any shape, padding and order (float32)', async () => {
    const cases = fc.sample(
      fc.record({
        frames: fc.integer({ min: 1, max: 9 }),
        patches: fc.integer({ min: 1, max: 12 }),
        dim: fc.integer({ min: 1, max: 17 }),
        extraPadding: fc.option(fc.integer({ min: 0, max: 4 })),
        order: fc.constantFrom('temporal-first' as const, 'spatial-first' as const),
        fixed: fc.boolean(),
      }),
      { numRuns: 40, seed: 20240601 },
    );
    for (const c of cases) {
      const dims: [number, number, number] = [c.frames, c.patches, c.dim];
      const data = new Float32Array(c.frames * c.patches * c.dim).map((_, i) => Math.sin(i * 12.9898) * 7);
      const pooling = {
        order: c.order,
        ...(c.extraPadding === null ? {} : { padTemporalTo: c.frames + c.extraPadding }),
      };
      const graph = await runGraph({ ...pooling, ...(c.fixed ? { patches: c.patches, dim: c.dim } : {}) }, data, dims);
      const reference = poolSpatioTemporal({ data, dims }, pooling);
      expect(graph.dims, JSON.stringify(c)).toEqual(reference.dims);
      expect(maxDifference(graph.data, reference.data), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });

  it('takes and returns float16 (bits in a Uint16Array), matching the TypeScript pooling of the same halves', async () => {
    const dims: [number, number, number] = [8, 16, 32];
    const data = new Float32Array(8 * 16 * 32).map((_, i) => Math.cos(i * 0.37) * 3);
    const result = await runGraph({ dtype: 'float16' }, data, dims);
    expect(result.type).toBe('float16');
    expect(result.dims).toEqual([24, 32]);
    const reference = poolSpatioTemporal({ data: toFloat16Bits(data), dims });
    // The graph rounds its float32 result to half precision: within half an ulp of half (~1e-3 relative).
    expect(maxDifference(fromFloat16Bits(result.data as Uint16Array), reference.data)).toBeLessThan(2e-3);
  });

  it('drops a CLS row per frame with skipPatches, like a strided view in TypeScript', async () => {
    const [frames, patches, dim] = [3, 4, 6];
    const withCls = new Float32Array(frames * (patches + 1) * dim).map((_, i) => Math.sin(i) * 5);
    const view = {
      data: withCls,
      dims: [frames, patches, dim] as const,
      offset: dim,
      strides: [(patches + 1) * dim, dim, 1] as const,
    };
    for (const options of [
      { skipPatches: 1 },
      { skipPatches: 1, patches, dim, padTemporalTo: 5, dtype: 'float32' as const },
    ]) {
      const result = await runGraph(options, withCls, [frames, patches + 1, dim]);
      const reference = poolSpatioTemporal(view, options);
      expect(result.dims).toEqual(reference.dims);
      expect(maxDifference(result.data, reference.data)).toBeLessThan(1e-5);
    }
  });

  it('adds no padding when there are more frames than padTemporalTo (NumPy behaviour)', async () => {
    const data = new Float32Array(4 * 2 * 3).fill(1);
    const result = await runGraph({ padTemporalTo: 2 }, data, [4, 2, 3]);
    expect(result.dims).toEqual([6, 3]);
  });

  it('rejects bad options', () => {
    expect(() => buildPoolingOnnxModel({ padTemporalTo: 0 })).toThrow(/padTemporalTo/);
    expect(() => buildPoolingOnnxModel({ dtype: 'int8' as 'float32' })).toThrow(/dtype/);
    expect(() => buildPoolingOnnxModel({ inputName: 'x', outputName: 'x' })).toThrow(/distinct/);
    expect(() => buildPoolingOnnxModel({ skipPatches: -1 })).toThrow(/skipPatches/);
  });
});
