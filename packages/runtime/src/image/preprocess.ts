// LLaVA-1.5 / CLIP image preprocessing with sharp, pixel-identical to transformers.js's CLIPImageProcessor
// (utils/image.js: decode -> RGB -> affine bicubic resize -> centre crop -> rescale -> normalise, HWC -> CHW),
// with LLaVA-1.5's pad-to-square (mean-colour background) in front.
import type { Sharp, SharpOptions } from 'sharp';
import { RuntimeError } from '../errors.js';
import type { ImageProcessingConfig } from '../onnx/config.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from './source.js';

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
  const c = info.channels;
  // Three channels: sharp's buffer is already the answer (no second copy of a large image).
  if (c === 3)
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, n * 3) };
  const rgb = new Uint8Array(n * 3);
  if (c === 4 || c === 1 || c === 2) {
    // In slices, yielding between them: a 40-megapixel image must not hold the event loop (a server's /health).
    const slice = 1 << 20;
    for (let from = 0; from < n; from += slice) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      const to = Math.min(n, from + slice);
      for (let i = from; i < to; i++) {
        const s = i * c;
        const r = data[s]!;
        rgb[i * 3] = r;
        rgb[i * 3 + 1] = c >= 3 ? data[s + 1]! : r;
        rgb[i * 3 + 2] = c >= 3 ? data[s + 2]! : r;
      }
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

/** Where a padded canvas is: its size, the image's place on it and the colour around it. */
export interface PadCanvas {
  /** Canvas width, in pixels. */
  width: number;
  /** Canvas height, in pixels. */
  height: number;
  /** Column of the canvas where the image's left edge goes. */
  left: number;
  /** Row of the canvas where the image's top edge goes. */
  top: number;
  /** The canvas colour around the image (RGB, 0-255). */
  fill: [number, number, number];
}

interface Span {
  start: number;
  end: number;
}

// How far (in source pixels) past its sampling position an output pixel's interpolation window can read: bicubic
// reads 1 before and 2 after; margins on both sides for safety.
const KERNEL_REACH = 3;
// Largest canvas piece held at once (bytes): bounds memory whatever the canvas size.
const PIECE_BYTES = 32 * 1024 * 1024;

/**
 * Mark, in a mask of canvas pixels along one axis, every pixel that output indices [from, to) may read: sharp's affine
 * samples output pixel i at i / scale (libvips's corner convention, checked with a nearest-neighbour resize in the
 * tests) and bicubic reads one pixel before and two after; one more on each side for safety.
 */
function markRead(mask: Uint8Array, from: number, to: number, scale: number): void {
  for (let i = from; i < to; i++) {
    const c = Math.floor(i / scale);
    mask.fill(1, Math.max(0, c - KERNEL_REACH), Math.max(0, Math.min(mask.length, c + KERNEL_REACH + 2)));
  }
}

/** Runs [start, end) of set entries of a mask. */
function maskRuns(mask: Uint8Array, from = 0, to = mask.length): Span[] {
  const runs: Span[] = [];
  let i = from;
  while (i < to) {
    if (!mask[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < to && mask[i]) i++;
    runs.push({ start, end: i });
  }
  return runs;
}

/**
 * Resize `image` as if it were first pasted on `canvas` and the whole canvas resized to `width` x `height` (the
 * same pixels, byte for byte), without building the canvas. sharp's affine resize reads only a few canvas pixels
 * around each output pixel's sampling position, so output rows are computed in chunks from pieces of the canvas in
 * which only the pixels some output pixel reads are written (a 20000x2000 photo padded to 20000x20000 and resized
 * to 336x336 writes a small part of the canvas, 32 MB at a time). Pieces span the canvas's full width from column 0 because sharp
 * (libvips) accumulates the horizontal sampling position along a row, so only rows that start where the full
 * canvas's rows start sample at exactly the same positions; vertical positions are computed per row, so a piece may
 * start at any canvas row.
 */
export async function resizePadded(
  image: RgbImage,
  canvas: PadCanvas,
  width: number,
  height: number,
  resample: 0 | 2 | 3,
  /** `pieceBytes`: largest canvas piece held at once (default 32 MB; tests make it small to cross piece edges). */
  options: { pieceBytes?: number } = {},
): Promise<RgbImage> {
  const sx = width / canvas.width;
  const sy = height / canvas.height;
  const out = new Uint8Array(width * height * 3);
  const readColumns = new Uint8Array(canvas.width);
  markRead(readColumns, 0, width, sx);
  const rowBytes = canvas.width * 3;
  const maxRows = Math.max(4 * KERNEL_REACH, Math.floor((options.pieceBytes ?? PIECE_BYTES) / rowBytes));
  // libvips copies every canvas row between the first and last row a strip of output reads, so when output rows
  // are far apart on the canvas (strong downscales) one output row per piece costs least; otherwise as many as fit.
  const rowsPerChunk =
    1 / sy >= 2 * KERNEL_REACH + 2 ? 1 : Math.max(1, Math.floor((maxRows - 2 * KERNEL_REACH - 4) * sy));
  const readRows = new Uint8Array(canvas.height);
  const fillRow = new Uint8Array(rowBytes);
  fillRgb(fillRow, canvas.fill);
  // Columns read on rows outside the image are all fill; on image rows, those left and right of the image.
  const fillRuns = maskRuns(readColumns);
  const sideRuns = [
    ...maskRuns(readColumns, 0, Math.min(canvas.width, canvas.left)),
    ...maskRuns(readColumns, Math.max(0, canvas.left + image.width), canvas.width),
  ];
  let pieceBuffer: Uint8Array | undefined;
  for (let y0 = 0; y0 < height; y0 += rowsPerChunk) {
    const rows = { start: y0, end: Math.min(height, y0 + rowsPerChunk) };
    // Canvas rows the chunk reads, clamped to the canvas (past a canvas edge sharp's own edge rule applies, as it
    // does on the full canvas, because the piece's edge is the canvas edge there).
    const readTop = Math.max(0, Math.floor(rows.start / sy) - KERNEL_REACH - 1);
    const readBottom = Math.min(canvas.height, Math.floor((rows.end - 1) / sy) + KERNEL_REACH + 3);
    // sharp makes round(height * sy) output rows from a piece (checked in the tests), so a piece needs about
    // rows / sy canvas rows even when far fewer are read. The read rows go at the piece's end: libvips copies the
    // rows from an output row's sampling position to the end of its extent (1 / sy rows further), and past the
    // piece's end there is nothing to copy, so a strong downscale copies a few rows per output row, not 1 / sy.
    // The unread rows above are left unwritten.
    const tall = Math.ceil((rows.end - rows.start - 0.5) / sy) + 1;
    let top = Math.min(readTop, readBottom - tall);
    let bottom = readBottom;
    if (top < 0) {
      top = 0;
      bottom = Math.min(canvas.height, Math.max(readBottom, tall));
    }
    readRows.fill(0, top, bottom);
    markRead(readRows, rows.start, rows.end, sy);
    // One buffer for every chunk: unread pixels keep whatever an earlier chunk left there, which nothing reads.
    if (!pieceBuffer || pieceBuffer.length < (bottom - top) * rowBytes)
      pieceBuffer = new Uint8Array(Math.max(bottom - top, Math.min(canvas.height, maxRows)) * rowBytes);
    const piece = pieceBuffer.subarray(0, (bottom - top) * rowBytes);
    for (const run of maskRuns(readRows, top, bottom)) {
      for (let y = run.start; y < run.end; y++) {
        const at = (y - top) * rowBytes;
        const iy = y - canvas.top;
        const onImage = iy >= 0 && iy < image.height;
        for (const r of onImage ? sideRuns : fillRuns)
          piece.set(fillRow.subarray(r.start * 3, r.end * 3), at + r.start * 3);
        if (onImage)
          piece.set(image.data.subarray(iy * image.width * 3, (iy + 1) * image.width * 3), at + canvas.left * 3);
      }
    }
    await resizeCanvasRows(piece, { width: canvas.width, top, bottom }, { sx, sy, resample }, rows, out, width);
  }
  return { width, height, data: out };
}

/** Fill RGB pixels with one colour (native copies, doubling: no per-pixel loop over large buffers). */
function fillRgb(data: Uint8Array, fill: readonly [number, number, number]): void {
  if (data.length === 0) return;
  data.set(fill.slice(0, Math.min(3, data.length)));
  for (let filled = 3; filled < data.length; filled *= 2)
    data.copyWithin(filled, 0, Math.min(filled, data.length - filled));
}

/** Resize a piece holding canvas rows [top, bottom) into output rows [rows) of `out`. */
async function resizeCanvasRows(
  piece: Uint8Array,
  at: { width: number; top: number; bottom: number },
  scale: { sx: number; sy: number; resample: 0 | 2 | 3 },
  rows: Span,
  out: Uint8Array,
  outWidth: number,
): Promise<void> {
  const sharp = await loadSharp();
  // idy places the piece at its canvas row and ody = -rows.start makes its output row 0 output row rows.start:
  // integer offsets, so every sampling position is exactly the full canvas's.
  const { data, info } = await sharp(piece, { raw: { width: at.width, height: at.bottom - at.top, channels: 3 } })
    .affine([scale.sx, 0, 0, scale.sy], {
      interpolator: INTERPOLATORS[scale.resample],
      idy: at.top,
      ody: -rows.start,
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const h = rows.end - rows.start;
  if (info.width !== outWidth || info.height < h || info.channels !== 3)
    throw new RuntimeError(
      'IMAGE',
      `resizing canvas rows ${at.top}-${at.bottom} of a padded image gave ${info.width}x${info.height}x${info.channels}, expected ${outWidth}x${h}x3 or more rows`,
    );
  out.set(data.subarray(0, h * outWidth * 3), rows.start * outWidth * 3);
}

/** Options of `executePlan`. */
export interface ExecutePlanOptions {
  /**
   * Largest image any step may build, in pixels (default 40 megapixels): a plan that would build a bigger one is
   * refused before anything is allocated.
   */
  maxPixels?: number;
  /** What the image is, for error messages (e.g. `messages[0].content[1]` or a file path). */
  where?: string;
}

/**
 * Run a plan on decoded pixels; checks that each op starts from the size the plan expects. A pad followed by a
 * resize never builds the padded canvas (see `resizePadded`), and no step may build an image over `maxPixels`.
 */
export async function executePlan(
  rgb: RgbImage,
  ops: readonly PixelOp[],
  options: ExecutePlanOptions = {},
): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const where = options.where ?? 'the image';
  let expected = { width: rgb.width, height: rgb.height };
  for (const [i, op] of ops.entries()) {
    if (op.from.width !== expected.width || op.from.height !== expected.height) {
      throw new RuntimeError(
        'IMAGE',
        `preprocessing plan expects a ${op.from.width}x${op.from.height} image before ${op.op}, got ${expected.width}x${expected.height}`,
      );
    }
    const fusedPad = op.op === 'pad' && ops[i + 1]?.op === 'resize';
    if (!fusedPad && op.to.width * op.to.height > maxPixels)
      throw new RuntimeError(
        'IMAGE',
        `${where}: preprocessing (${op.op}) would build a ${op.to.width}x${op.to.height} image, over the limit of ${maxPixels} pixels`,
      );
    expected = op.to;
  }
  let image = rgb;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const next = ops[i + 1];
    if (op.op === 'pad' && next?.op === 'resize') {
      const canvas = { width: op.to.width, height: op.to.height, left: op.left, top: op.top, fill: op.fill };
      image = await resizePadded(image, canvas, next.to.width, next.to.height, RESAMPLE_CODES[next.resample]);
      i++;
    } else if (op.op === 'pad') image = padRgb(image, op.to.width, op.to.height, op.left, op.top, op.fill);
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
  options: { pad: boolean; plan?: readonly PixelOp[] } & ExecutePlanOptions,
): Promise<PreprocessedImage> {
  const original = { width: rgb.width, height: rgb.height };
  const ops = options.plan ?? clipPlan(original, config, options.pad);
  const limits: ExecutePlanOptions = {};
  if (options.maxPixels !== undefined) limits.maxPixels = options.maxPixels;
  if (options.where !== undefined) limits.where = options.where;
  const image = await executePlan(rgb, ops, limits);
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
