import { describe, expect, it } from 'vitest';
import { floatToHalfBits, fromFloat16Bits, halfToFloatTable, toFloat16Bits } from './float16.js';

describe('half floats', () => {
  it('encodes known values (IEEE 754 binary16)', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: even (0)
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps: even (2)
      [1 + 2 ** -11, 0x3c00], // tie: even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to even
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    for (const [value, bits] of cases) expect(floatToHalfBits(value), String(value)).toBe(bits);
    expect(floatToHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalfBits(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('decodes every bit pattern and encodes it back unchanged (NaNs aside)', () => {
    const table = halfToFloatTable();
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = fromFloat16Bits(all);
    expect(decoded[0x3c00]).toBe(1);
    expect(decoded[0x0001]).toBe(2 ** -24);
    expect(decoded[0xfbff]).toBe(-65504);
    const again = toFloat16Bits(decoded);
    for (let bits = 0; bits < 65536; bits++) {
      if (Number.isNaN(table[bits])) continue;
      if (again[bits] !== bits)
        throw new Error(`0x${bits.toString(16)} -> ${decoded[bits]} -> 0x${again[bits]!.toString(16)}`);
    }
  });
});
