import { describe, expect, it } from 'vitest';
import { defaultIntraOpThreads, SMALL_DECODER_BYTES } from './engine.js';

const MB = 1e6;

describe('defaultIntraOpThreads', () => {
  it('gives decoders under 32 MiB one thread', () => {
    expect(defaultIntraOpThreads(1 * MB)).toBe(1);
    expect(defaultIntraOpThreads(SMALL_DECODER_BYTES - 1)).toBe(1);
  });

  it("leaves larger decoders to onnxruntime's choice (all physical cores): the 100M bench model's q4, q8 and fp32", () => {
    expect(defaultIntraOpThreads(SMALL_DECODER_BYTES)).toBeUndefined();
    expect(defaultIntraOpThreads(65 * MB)).toBeUndefined();
    expect(defaultIntraOpThreads(105 * MB)).toBeUndefined();
    expect(defaultIntraOpThreads(417 * MB)).toBeUndefined();
    expect(defaultIntraOpThreads(14e9)).toBeUndefined();
  });
});
