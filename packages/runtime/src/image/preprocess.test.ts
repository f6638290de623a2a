import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import type { ImageProcessingConfig } from '../onnx/config.js';
import {
  centerCrop,
  clipPlan,
  cropRgb,
  decodeImage,
  executePlan,
  padBackground,
  padToSquare,
  preprocessRgb,
  type RgbImage,
  shortestEdgeSize,
  toPixelValues,
} from './preprocess.js';

const CLIP: ImageProcessingConfig = {
  resizeShortestEdge: 56,
  cropWidth: 56,
  cropHeight: 56,
  resample: 3,
  rescaleFactor: 1 / 255,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  doNormalize: true,
  doRescale: true,
};

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

/** (v / 255 - mean) / std with float32 rounding after each step, computed by hand. */
function normalised(v: number, c: 0 | 1 | 2): number {
  const scaled = Math.fround(Math.fround(v) * (1 / 255));
  return Math.fround((scaled - CLIP.mean[c]) / CLIP.std[c]);
}

describe('image preprocessing', () => {
  it("uses LLaVA's truncated mean colour as the pad background", () => {
    expect(padBackground(CLIP)).toEqual([122, 116, 104]);
  });

  it('pads a wide image with rows above and below, the original centred (floor)', () => {
    const img: RgbImage = { width: 3, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const { image, left, top } = padToSquare(img, [122, 116, 104]);
    expect([image.width, image.height, left, top]).toEqual([3, 3, 0, 1]);
    expect(Array.from(image.data)).toEqual([
      ...[122, 116, 104, 122, 116, 104, 122, 116, 104],
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9],
      ...[122, 116, 104, 122, 116, 104, 122, 116, 104],
    ]);
    const tall = padToSquare(solid(2, 5, [9, 9, 9]), [0, 0, 0]);
    expect([tall.image.width, tall.left, tall.top]).toEqual([5, 1, 0]);
  });

  it('resizes the shortest edge as transformers.js rounds it', () => {
    expect(shortestEdgeSize(640, 480, 336)).toEqual([448, 336]);
    expect(shortestEdgeSize(333, 500, 224)).toEqual([224, 336]);
    expect(shortestEdgeSize(100, 100, 56)).toEqual([56, 56]);
  });

  it('crops the centre with floored offsets and pads with black outside', () => {
    const img: RgbImage = { width: 4, height: 1, data: new Uint8Array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]) };
    const c = centerCrop(img, 1, 1);
    expect([c.left, c.top, ...c.image.data]).toEqual([1, 0, 1, 1, 1]);
    const grown = centerCrop(solid(1, 1, [5, 5, 5]), 3, 1);
    expect([grown.left, ...grown.image.data]).toEqual([-1, 0, 0, 0, 5, 5, 5, 0, 0, 0]);
    // An odd difference puts the extra column on the right (transformers.js pads floor(3 / 2) = 1 on the left).
    const odd = centerCrop(solid(1, 1, [5, 5, 5]), 4, 1);
    expect([odd.left, ...odd.image.data]).toEqual([-1, 0, 0, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0]);
  });

  it('rescales and normalises into CHW planes', () => {
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([255, 0, 128, 0, 255, 64]) };
    const px = toPixelValues(img, CLIP);
    expect(Array.from(px)).toEqual([
      normalised(255, 0),
      normalised(0, 0),
      normalised(0, 1),
      normalised(255, 1),
      normalised(128, 2),
      normalised(64, 2),
    ]);
    expect(px[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 5);
  });

  it('pads, resizes and crops a 2:1 image: background bands above and below, the colour in the middle', async () => {
    const out = await preprocessRgb(solid(112, 56, [10, 200, 30]), CLIP, { pad: true });
    expect(out.plan).toEqual({
      original: { width: 112, height: 56 },
      pad: { size: 112, left: 0, top: 28, background: [122, 116, 104] },
      resize: { width: 56, height: 56 },
      crop: { left: 0, top: 0, width: 56, height: 56 },
    });
    const plane = 56 * 56;
    const at = (c: number, x: number, y: number) => out.pixelValues[c * plane + y * 56 + x];
    for (const c of [0, 1, 2] as const) {
      expect(at(c, 5, 2)).toBe(normalised(padBackground(CLIP)[c], c));
      expect(at(c, 40, 28)).toBe(normalised([10, 200, 30][c]!, c));
      expect(at(c, 20, 53)).toBe(normalised(padBackground(CLIP)[c], c));
    }
    const unpadded = await preprocessRgb(solid(112, 56, [10, 200, 30]), CLIP, { pad: false });
    expect(unpadded.plan.resize).toEqual({ width: 112, height: 56 });
    expect(unpadded.plan.crop).toEqual({ left: 28, top: 0, width: 56, height: 56 });
  });

  it('decodes RGBA by dropping alpha and grey by replicating it', async () => {
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    expect(Array.from((await decodeImage(rgba, { maxPixels: 100, where: 't' })).data)).toEqual([
      10, 20, 30, 40, 50, 60,
    ]);
    const grey = await sharp(Buffer.from([7, 99]), { raw: { width: 2, height: 1, channels: 1 } })
      .png()
      .toBuffer();
    expect(Array.from((await decodeImage(grey, { maxPixels: 100, where: 't' })).data)).toEqual([7, 7, 7, 99, 99, 99]);
    await expect(decodeImage(rgba, { maxPixels: 1, where: 'img' })).rejects.toBeInstanceOf(RuntimeError);
  });

  it("plans LLaVA-1.5's pad, resize and crop with concrete numbers", () => {
    const config = { ...CLIP, resizeShortestEdge: 336, cropWidth: 336, cropHeight: 336 };
    expect(clipPlan({ width: 640, height: 480 }, config, true)).toEqual([
      {
        op: 'pad',
        from: { width: 640, height: 480 },
        to: { width: 640, height: 640 },
        left: 0,
        top: 80,
        fill: [122, 116, 104],
      },
      { op: 'resize', from: { width: 640, height: 640 }, to: { width: 336, height: 336 }, resample: 'bicubic' },
    ]);
    expect(clipPlan({ width: 640, height: 480 }, config, false)).toEqual([
      { op: 'resize', from: { width: 640, height: 480 }, to: { width: 448, height: 336 }, resample: 'bicubic' },
      {
        op: 'crop',
        from: { width: 448, height: 336 },
        to: { width: 336, height: 336 },
        rect: { left: 56, top: 0, width: 336, height: 336 },
        fill: [0, 0, 0],
      },
    ]);
  });

  it('crops rectangles reaching outside the image with the fill colour, and refuses a plan for another size', async () => {
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([1, 1, 1, 2, 2, 2]) };
    expect(Array.from(cropRgb(img, { left: -1, top: 0, width: 4, height: 2 }, [9, 8, 7]).data)).toEqual([
      ...[9, 8, 7, 1, 1, 1, 2, 2, 2, 9, 8, 7],
      ...[9, 8, 7, 9, 8, 7, 9, 8, 7, 9, 8, 7],
    ]);
    await expect(
      executePlan(img, [
        { op: 'resize', from: { width: 3, height: 1 }, to: { width: 1, height: 1 }, resample: 'bicubic' },
      ]),
    ).rejects.toThrow(/expects a 3x1 image before resize, got 2x1/);
  });
});
