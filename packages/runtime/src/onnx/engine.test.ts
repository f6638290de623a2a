import { describe, expect, it } from 'vitest';
import { DECODER_BYTES_PER_THREAD, defaultIntraOpThreads, SMALL_DECODER_BYTES } from './engine.js';

const MB = 1e6;

describe('defaultIntraOpThreads', () => {
  it('gives small decoders one thread', () => {
    expect(defaultIntraOpThreads(1 * MB, 2)).toBe(1);
    expect(defaultIntraOpThreads(SMALL_DECODER_BYTES - 1, 64)).toBe(1);
  });

  it('gives one thread per 128 MiB of weights (the 100M bench model: q8 105 MB and q4 65 MB one thread)', () => {
    expect(defaultIntraOpThreads(105 * MB, 2)).toBe(1);
    expect(defaultIntraOpThreads(65 * MB, 2)).toBe(1);
    expect(defaultIntraOpThreads(2 * DECODER_BYTES_PER_THREAD, 8)).toBe(2);
    expect(defaultIntraOpThreads(5 * DECODER_BYTES_PER_THREAD, 8)).toBe(5);
  });

  it("leaves onnxruntime's choice (all physical cores) once the count reaches the cores", () => {
    expect(defaultIntraOpThreads(417 * MB, 2)).toBeUndefined();
    expect(defaultIntraOpThreads(14e9, 16)).toBeUndefined();
    expect(defaultIntraOpThreads(8 * DECODER_BYTES_PER_THREAD, 8)).toBeUndefined();
  });
});
