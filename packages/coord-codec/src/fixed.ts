// Number.prototype.toFixed is exact but slow; NFP and Shikra write four numbers per box on the hot path.

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000', '000000000'];

/**
 * The same string as `value.toFixed(decimals)` for every value, faster: scale and round
 * in floating point, and fall back to toFixed near a rounding tie where the scaled product could round the
 * other way than toFixed's exact decimal arithmetic.
 */
export function toFixedFast(value: number, decimals: number): string {
  if (!(value >= 0 && value <= 1e6) || decimals > 9) return value.toFixed(decimals);
  const scale = POW10[decimals] as number;
  const scaled = value * scale;
  // Below 1e9 the product's rounding error (< 1.2e-7) cannot cross the tie window below.
  if (scaled >= 1e9) return value.toFixed(decimals);
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  if (rest > 0.4999 && rest < 0.5001) return value.toFixed(decimals);
  const r = rest < 0.5 ? floor : floor + 1;
  if (decimals === 0) return String(r);
  const whole = Math.floor(r / scale);
  const frac = String(r - whole * scale);
  return `${whole}.${ZEROS[decimals - frac.length]}${frac}`;
}
