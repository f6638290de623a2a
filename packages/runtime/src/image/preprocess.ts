// LLaVA-1.5 / CLIP image preprocessing with sharp, pixel-identical to transformers.js's CLIPImageProcessor
// (utils/image.js: decode -> RGB -> affine bicubic resize -> centre crop -> rescale -> normalise, HWC -> CHW),
// with LLaVA-1.5's pad-to-square (mean-colour background) in front.
import type { Sharp, SharpOptions } from 'sharp';
import { RuntimeError } from '../errors.js';
import type { ImageProcessingConfig } from '../onnx/config.js';

/** Decoded 8-bit RGB pixels, row-major HWC. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The concrete numbers of one image's preprocessing: what was padded, resized and cropped. */
export interface PreprocessPlan {
  original: { width: number; height: number };
  /** Pad to a square of `size`, original pasted at (left, top); null when not padded. */
  pad: { size: number; left: number; top: number; background: [number, number, number] } | null;
  /** Size after resize (input of the crop). */
  resize: { width: number; height: number };
  /** Crop window in the resized image; negative offsets mean zero padding (crop larger than the image). */
  crop: { left: number; top: number; width: number; height: number };
}

/** One image as the model sees it: CHW float32 pixel values and the plan that made them. */
export interface PreprocessedImage {
  /** CHW float32, normalised: the vision encoder's `pixel_values` for one image. */
  pixelValues: Float32Array;
  width: number;
  height: number;
  plan: PreprocessPlan;
}

type SharpFactory = (input?: Uint8Array | Buffer, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;

/** sharp, loaded on first use. */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => (m.default ?? m) as unknown as SharpFactory);
  return sharpModule;
}

/** Decode encoded bytes to RGB (alpha dropped, grey replicated, EXIF orientation applied), as transformers.js does. */
export async function decodeImage(bytes: Uint8Array, options: { maxPixels: number; where: string }): Promise<RgbImage> {
  const sharp = await loadSharp();
  let data: Buffer;
  let info: { width: number; height: number; channels: number };
  try {
    const img = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' });
    ({ data, info } = await img.rotate().raw().toBuffer({ resolveWithObject: true }));
  } catch (cause) {
    const message = (cause as Error).message;
    const tooBig = /pixel limit/i.test(message);
    throw new RuntimeError(
      'IMAGE',
      tooBig
        ? `${options.where} is larger than the limit of ${options.maxPixels} pixels: ${message}`
        : `${options.where} cannot be decoded as an image: ${message}`,
      { cause },
    );
  }
  const n = info.width * info.height;
  const rgb = new Uint8Array(n * 3);
  const c = info.channels;
  if (c === 3) rgb.set(data.subarray(0, n * 3));
  else if (c === 4 || c === 1 || c === 2) {
    for (let i = 0; i < n; i++) {
      const s = i * c;
      const r = data[s]!;
      rgb[i * 3] = r;
      rgb[i * 3 + 1] = c >= 3 ? data[s + 1]! : r;
      rgb[i * 3 + 2] = c >= 3 ? data[s + 2]! : r;
    }
  } else {
    throw new RuntimeError('IMAGE', `${options.where} has ${c} channels; expected 1 to 4`);
  }
  return { width: info.width, height: info.height, data: rgb };
}

/**
 * LLaVA's expand2square background: `tuple(int(x * 255) for x in image_mean)`, i.e. truncated, which gives
 * (122, 116, 104) for CLIP's mean (rounding would give 123, 117, 104).
 */
export function padBackground(config: ImageProcessingConfig): [number, number, number] {
  return [Math.trunc(config.mean[0] * 255), Math.trunc(config.mean[1] * 255), Math.trunc(config.mean[2] * 255)];
}

/** Paste the image on a max(w, h) square of `background` at ((m - w) // 2, (m - h) // 2). */
export function padToSquare(
  image: RgbImage,
  background: [number, number, number],
): { image: RgbImage; left: number; top: number } {
  const { width: w, height: h } = image;
  const m = Math.max(w, h);
  const left = Math.floor((m - w) / 2);
  const top = Math.floor((m - h) / 2);
  if (m === w && m === h) return { image, left: 0, top: 0 };
  const out = new Uint8Array(m * m * 3);
  for (let i = 0; i < m * m; i++) {
    out[i * 3] = background[0];
    out[i * 3 + 1] = background[1];
    out[i * 3 + 2] = background[2];
  }
  for (let y = 0; y < h; y++) {
    out.set(image.data.subarray(y * w * 3, (y + 1) * w * 3), ((y + top) * m + left) * 3);
  }
  return { image: { width: m, height: m, data: out }, left, top };
}

/** The target size of CLIP's shortest-edge resize, rounded as transformers.js rounds it. */
export function shortestEdgeSize(width: number, height: number, shortestEdge: number): [number, number] {
  const factor = Math.max(shortestEdge / width, shortestEdge / height);
  return [Math.floor(Number((width * factor).toFixed(2))), Math.floor(Number((height * factor).toFixed(2)))];
}

const INTERPOLATORS = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' } as const;

/** Resize with sharp's affine transform (what transformers.js does for nearest/bilinear/bicubic). */
export async function resizeRgb(
  image: RgbImage,
  width: number,
  height: number,
  resample: 0 | 2 | 3,
): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const sharp = await loadSharp();
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .affine([width / image.width, 0, 0, height / image.height], { interpolator: INTERPOLATORS[resample] })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new RuntimeError(
      'IMAGE',
      `resize to ${width}x${height} gave ${info.width}x${info.height}x${info.channels}; pixels and locations would disagree`,
    );
  }
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Centre crop (offsets floored); parts outside the image are black, as sharp's extend gives. */
export function centerCrop(
  image: RgbImage,
  cropWidth: number,
  cropHeight: number,
): { image: RgbImage; left: number; top: number } {
  // Per axis as transformers.js: floor((w - cw) / 2) when cropping, a pad of floor((cw - w) / 2) when growing.
  const offset = (size: number, crop: number) =>
    size >= crop ? Math.floor((size - crop) / 2) : -Math.floor((crop - size) / 2);
  const left = offset(image.width, cropWidth);
  const top = offset(image.height, cropHeight);
  if (image.width === cropWidth && image.height === cropHeight) return { image, left: 0, top: 0 };
  const out = new Uint8Array(cropWidth * cropHeight * 3);
  for (let y = 0; y < cropHeight; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < cropWidth; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const s = (sy * image.width + sx) * 3;
      const d = (y * cropWidth + x) * 3;
      out[d] = image.data[s]!;
      out[d + 1] = image.data[s + 1]!;
      out[d + 2] = image.data[s + 2]!;
    }
  }
  return { image: { width: cropWidth, height: cropHeight, data: out }, left, top };
}

/** Rescale and normalise into CHW float32, rounding to float32 after each step as transformers.js does. */
export function toPixelValues(image: RgbImage, config: ImageProcessingConfig): Float32Array {
  const { width: w, height: h, data } = image;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  const f = new Float32Array(1);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      f[0] = data[i * 3 + c]!;
      if (config.doRescale) f[0] = config.rescaleFactor * f[0]!;
      if (config.doNormalize) f[0] = (f[0]! - config.mean[c]!) / config.std[c]!;
      out[c * plane + i] = f[0]!;
    }
  }
  return out;
}

/**
 * One pixel operation with every number given (the shape of @locvlm/coord-codec's FrameOp, whose transforms
 * produce these plans from an image size, so pixels and location mapping use the same numbers).
 */
export type PixelOp =
  | {
      op: 'pad';
      from: { width: number; height: number };
      to: { width: number; height: number };
      left: number;
      top: number;
      fill: [number, number, number];
    }
  | {
      op: 'resize';
      from: { width: number; height: number };
      to: { width: number; height: number };
      resample: 'bicubic' | 'bilinear' | 'nearest';
    }
  | {
      op: 'crop';
      from: { width: number; height: number };
      to: { width: number; height: number };
      rect: { left: number; top: number; width: number; height: number };
      fill: [number, number, number];
    };

/** Paste the image onto a canvas of `fill` at (left, top). */
export function padRgb(
  image: RgbImage,
  width: number,
  height: number,
  left: number,
  top: number,
  fill: [number, number, number],
): RgbImage {
  return cropRgb(image, { left: -left, top: -top, width, height }, fill);
}

/** Cut a rectangle out of the image; pixels outside it are `fill`. */
export function cropRgb(
  image: RgbImage,
  rect: { left: number; top: number; width: number; height: number },
  fill: [number, number, number] = [0, 0, 0],
): RgbImage {
  const { left, top, width, height } = rect;
  if (left === 0 && top === 0 && width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 3);
  if (fill[0] !== 0 || fill[1] !== 0 || fill[2] !== 0) {
    for (let i = 0; i < width * height; i++) out.set(fill, i * 3);
  }
  const x0 = Math.max(0, -left);
  const x1 = Math.min(width, image.width - left);
  if (x1 > x0) {
    for (let y = 0; y < height; y++) {
      const sy = y + top;
      if (sy < 0 || sy >= image.height) continue;
      const src = (sy * image.width + x0 + left) * 3;
      out.set(image.data.subarray(src, src + (x1 - x0) * 3), (y * width + x0) * 3);
    }
  }
  return { width, height, data: out };
}

const RESAMPLE_CODES = { nearest: 0, bilinear: 2, bicubic: 3 } as const;

/** Run a plan on decoded pixels; checks that each op starts from the size the plan expects. */
export async function executePlan(rgb: RgbImage, ops: readonly PixelOp[]): Promise<RgbImage> {
  let image = rgb;
  for (const op of ops) {
    if (op.from.width !== image.width || op.from.height !== image.height) {
      throw new RuntimeError(
        'IMAGE',
        `preprocessing plan expects a ${op.from.width}x${op.from.height} image before ${op.op}, got ${image.width}x${image.height}`,
      );
    }
    if (op.op === 'pad') image = padRgb(image, op.to.width, op.to.height, op.left, op.top, op.fill);
    else if (op.op === 'resize') image = await resizeRgb(image, op.to.width, op.to.height, RESAMPLE_CODES[op.resample]);
    else image = cropRgb(image, op.rect, op.fill);
  }
  return image;
}

/** The plan LLaVA-1.5 / CLIP preprocessing runs for an image of this size (pad-to-square when `pad`). */
export function clipPlan(
  size: { width: number; height: number },
  config: ImageProcessingConfig,
  pad: boolean,
): PixelOp[] {
  const ops: PixelOp[] = [];
  let current = { width: size.width, height: size.height };
  if (pad && current.width !== current.height) {
    const m = Math.max(current.width, current.height);
    ops.push({
      op: 'pad',
      from: current,
      to: { width: m, height: m },
      left: Math.floor((m - current.width) / 2),
      top: Math.floor((m - current.height) / 2),
      fill: padBackground(config),
    });
    current = { width: m, height: m };
  }
  const [tw, th] = config.resizeTo
    ? [config.resizeTo.width, config.resizeTo.height]
    : shortestEdgeSize(current.width, current.height, config.resizeShortestEdge);
  if (tw !== current.width || th !== current.height) {
    const resample = config.resample === 0 ? 'nearest' : config.resample === 2 ? 'bilinear' : 'bicubic';
    ops.push({ op: 'resize', from: current, to: { width: tw, height: th }, resample });
    current = { width: tw, height: th };
  }
  const offset = (s: number, c: number) => (s >= c ? Math.floor((s - c) / 2) : -Math.floor((c - s) / 2));
  const rect = {
    left: offset(current.width, config.cropWidth),
    top: offset(current.height, config.cropHeight),
    width: config.cropWidth,
    height: config.cropHeight,
  };
  if (rect.left !== 0 || rect.top !== 0 || rect.width !== current.width || rect.height !== current.height) {
    ops.push({ op: 'crop', from: current, to: { width: rect.width, height: rect.height }, rect, fill: [0, 0, 0] });
  }
  return ops;
}

/** The summary of a plan that results report. */
export function summarisePlan(original: { width: number; height: number }, ops: readonly PixelOp[]): PreprocessPlan {
  let pad: PreprocessPlan['pad'] = null;
  let current = { ...original };
  let resize = { ...original };
  let crop = { left: 0, top: 0, width: original.width, height: original.height };
  for (const op of ops) {
    if (op.op === 'pad') {
      pad = { size: op.to.width, left: op.left, top: op.top, background: [...op.fill] };
      resize = { ...op.to };
    } else if (op.op === 'resize') resize = { ...op.to };
    else crop = { ...op.rect };
    current = { ...op.to };
  }
  if (!ops.some((o) => o.op === 'crop')) crop = { left: 0, top: 0, width: current.width, height: current.height };
  return { original: { ...original }, pad, resize, crop };
}

/**
 * The whole pipeline on decoded pixels: run `plan` (default: LLaVA-1.5 / CLIP preprocessing from `config`, with
 * pad-to-square when `pad`), then rescale and normalise.
 */
export async function preprocessRgb(
  rgb: RgbImage,
  config: ImageProcessingConfig,
  options: { pad: boolean; plan?: readonly PixelOp[] },
): Promise<PreprocessedImage> {
  const original = { width: rgb.width, height: rgb.height };
  const ops = options.plan ?? clipPlan(original, config, options.pad);
  const image = await executePlan(rgb, ops);
  if (image.width !== config.cropWidth || image.height !== config.cropHeight) {
    throw new RuntimeError(
      'IMAGE',
      `the preprocessing plan gives a ${image.width}x${image.height} image but the model takes ${config.cropWidth}x${config.cropHeight}`,
    );
  }
  return {
    pixelValues: toPixelValues(image, config),
    width: image.width,
    height: image.height,
    plan: summarisePlan(original, ops),
  };
}
