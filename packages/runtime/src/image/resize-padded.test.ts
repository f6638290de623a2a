import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { executePlan, padRgb, type RgbImage, resizePadded, resizeRgb } from './preprocess.js';

/** A deterministic pseudo-random image (every pixel different enough that a wrong sample shows). */
function noise(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = (x >>> 0) % 256;
  }
  return { width, height, data };
}

/** The reference: build the canvas, then resize all of it. */
async function materialised(
  image: RgbImage,
  canvas: { width: number; height: number; left: number; top: number; fill: [number, number, number] },
  width: number,
  height: number,
  resample: 0 | 2 | 3,
): Promise<RgbImage> {
  const padded = padRgb(image, canvas.width, canvas.height, canvas.left, canvas.top, canvas.fill);
  return resizeRgb(padded, width, height, resample);
}

function firstDifference(a: RgbImage, b: RgbImage): string | null {
  if (a.width !== b.width || a.height !== b.height) return `size ${a.width}x${a.height} vs ${b.width}x${b.height}`;
  for (let i = 0; i < a.data.length; i++)
    if (a.data[i] !== b.data[i]) {
      const p = Math.floor(i / 3);
      return `pixel (${p % a.width}, ${Math.floor(p / a.width)}) channel ${i % 3}: ${a.data[i]} vs ${b.data[i]}`;
    }
  return null;
}

describe('resizePadded', () => {
  it('equals padding then resizing, byte for byte, over many shapes, scales and filters', async () => {
    // LLaVA's pad-to-square (wide and tall, centred) plus off-centre and both-axis pads, down- and upscaling.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const cases: Array<[number, number, number, number, number, number, number]> = [];
    for (let k = 0; k < 180; k++) {
      const w = 1 + rand(k < 120 ? 400 : 60);
      const h = 1 + rand(k < 120 ? 120 : 60);
      const [iw, ih] = k % 2 === 0 ? [w, h] : [h, w];
      const m = Math.max(iw, ih);
      const square = k < 120;
      const cw = square ? m : iw + rand(200);
      const ch = square ? m : ih + rand(200);
      const left = square ? Math.floor((m - iw) / 2) : rand(cw - iw + 1);
      const top = square ? Math.floor((m - ih) / 2) : rand(ch - ih + 1);
      const target = [14, 56, 224, 336, 384, 448][rand(6)]!;
      cases.push([iw, ih, cw, ch, left, top, target]);
    }
    // Strong downscales, where each output pixel reads a few of many canvas columns (pieces are written sparsely).
    cases.push([3000, 200, 3000, 3000, 0, 1400, 336], [200, 3000, 3000, 3000, 1400, 0, 336]);
    cases.push([4001, 77, 4001, 4001, 0, 1962, 224], [77, 4001, 4001, 4001, 1962, 0, 384]);
    cases.push([6000, 60, 6000, 6000, 0, 2970, 64], [60, 6000, 6000, 6000, 2970, 0, 14]);
    const failures: string[] = [];
    for (const [i, [iw, ih, cw, ch, left, top, target]] of cases.entries()) {
      const resample = ([3, 2, 0] as const)[i % 3]!;
      const image = noise(iw, ih, i + 1);
      const canvas = { width: cw, height: ch, left, top, fill: [122, 116, 104] as [number, number, number] };
      const th = Math.max(1, Math.round((target * ch) / cw));
      const want = await materialised(image, canvas, target, th, resample);
      // Every fifth case in small pieces, so chunk boundaries are crossed.
      const pieceBytes = i % 5 === 0 ? cw * 3 * 20 : undefined;
      const got = await resizePadded(image, canvas, target, th, resample, pieceBytes ? { pieceBytes } : {});
      const diff = firstDifference(got, want);
      if (diff)
        failures.push(`${iw}x${ih} on ${cw}x${ch} at (${left}, ${top}) -> ${target}x${th} r${resample}: ${diff}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it("relies on sharp sampling output row y at canvas row y / scale (libvips's corner convention)", async () => {
    // Each row holds its own index; a nearest-neighbour resize shows which row every output row sampled.
    const height = 40000;
    const data = new Uint8Array(4 * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < 4; x++) data.set([y % 256, Math.floor(y / 256) % 256, 0], (y * 4 + x) * 3);
    const out = await resizeRgb({ width: 4, height, data }, 4, 336, 0);
    for (const y of [0, 1, 2, 100, 335]) {
      const at = (y * 4 + 1) * 3;
      expect(out.data[at]! + 256 * out.data[at + 1]!).toBe(Math.floor((y * height) / 336));
    }
  });

  it('relies on sharp making round(height * scale) output rows (so a piece of the canvas yields the rows asked)', async () => {
    for (const [height, scale, rows] of [
      [312, 64 / 20000, 1],
      [468, 64 / 20000, 1],
      [469, 64 / 20000, 2],
      [60, 336 / 40000, 1],
      [179, 336 / 40000, 2],
    ] as const) {
      const sharp = (await import('sharp')).default;
      const { info } = await sharp(new Uint8Array(4 * height * 3), { raw: { width: 4, height, channels: 3 } })
        .affine([1, 0, 0, scale], { interpolator: 'bicubic' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([height, info.height]).toEqual([height, rows]);
    }
  });

  it('resizes a 20000x2000 photo padded to a square without building the 20000x20000 canvas', async () => {
    const image = noise(20000, 2000, 3);
    const before = process.memoryUsage().arrayBuffers;
    const canvas = {
      width: 20000,
      height: 20000,
      left: 0,
      top: 9000,
      fill: [122, 116, 104] as [number, number, number],
    };
    const out = await resizePadded(image, canvas, 336, 336, 3);
    expect([out.width, out.height]).toEqual([336, 336]);
    // The canvas would be 1.2 GB; the pieces are a few tens of MB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(300 * 1024 * 1024);
    // Rows far from the photo are the fill colour; rows through it are not.
    expect(Array.from(out.data.subarray(50 * 336 * 3, 50 * 336 * 3 + 3))).toEqual([122, 116, 104]);
    expect(Array.from(out.data.subarray(168 * 336 * 3, 168 * 336 * 3 + 3))).not.toEqual([122, 116, 104]);
  }, 60_000);
});

describe('executePlan limits', () => {
  it('refuses a step that would build an image over the pixel limit, naming it, before allocating', async () => {
    const image = noise(40, 10, 1);
    const plan = [
      {
        op: 'pad' as const,
        from: { width: 40, height: 10 },
        to: { width: 40, height: 40 },
        left: 0,
        top: 15,
        fill: [0, 0, 0] as [number, number, number],
      },
    ];
    const error = await executePlan(image, plan, { maxPixels: 1000, where: 'photo.png' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/photo\.png.*40x40.*1000 pixels/);
  });

  it('lets a pad followed by a resize through whatever the canvas size, since the canvas is never built', async () => {
    const image = noise(400, 10, 1);
    const plan = [
      {
        op: 'pad' as const,
        from: { width: 400, height: 10 },
        to: { width: 400, height: 400 },
        left: 0,
        top: 195,
        fill: [0, 0, 0] as [number, number, number],
      },
      {
        op: 'resize' as const,
        from: { width: 400, height: 400 },
        to: { width: 20, height: 20 },
        resample: 'bicubic' as const,
      },
    ];
    const out = await executePlan(image, plan, { maxPixels: 1000 });
    expect([out.width, out.height]).toEqual([20, 20]);
  });
});
