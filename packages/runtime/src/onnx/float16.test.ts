import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from './float16.js';

describe('float16 <-> float32', () => {
  it('round-trips every half value exactly (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = float16ToFloat32(all);
    const back = float32ToFloat16(floats);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(floats[h]!)) expect(Number.isNaN(float16ToFloat32(new Uint16Array([back[h]!]))[0]!)).toBe(true);
      else expect(back[h], `half 0x${h.toString(16)}`).toBe(h);
    }
  });

  it('decodes known values', () => {
    expect(Array.from(float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00])))).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      -0,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('rounds to nearest, ties to even, as numpy and onnxruntime Cast do', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (1.0)
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (upwards)
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff); // below the overflow tie
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds to infinity
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // subnormal tie -> even (zero)
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // subnormal tie -> even
    expect(float32ToFloat16Bits(-(2 ** -26))).toBe(0x8000); // underflow keeps the sign
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // largest subnormal carries into the normals
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});
