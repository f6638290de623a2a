// Image frames: where the pixels of a location live. A transform maps locations from the image going into it to
// the image coming out (forward) and back (inverse), and describes the pixel operations as plain JSON (plan) so
// the runtime resizes, pads and crops images with exactly the numbers the locations were mapped with.
import { CodecError } from './errors.js';
import type { ImageSize, Location } from './types.js';
import { validateImageSize } from './validate.js';

/** An RGB fill colour, 0..255 per channel. */
export type Rgb = [r: number, g: number, b: number];

/** One pixel operation of a plan, in the order they apply. Every number is exact: no rounding is left to the executor. */
export type FrameOp =
  /** Paste the `from` image onto a `to` canvas filled with `fill`, its top-left corner at (left, top). */
  | { op: 'pad'; from: ImageSize; to: ImageSize; left: number; top: number; fill: Rgb }
  /** Resize `from` to exactly `to` (aspect ratio not kept unless the sizes keep it). */
  | { op: 'resize'; from: ImageSize; to: ImageSize; resample: 'bicubic' | 'bilinear' | 'nearest' }
  /**
   * Cut the rectangle out of `from`; output size `to` = rect size. The rectangle may reach outside the image
   * (negative left/top, or beyond the right/bottom edge): those pixels are `fill`, as a centre crop of a small
   * image pads it.
   */
  | {
      op: 'crop';
      from: ImageSize;
      to: ImageSize;
      rect: { left: number; top: number; width: number; height: number };
      fill: Rgb;
    };

/**
 * A frame transform. `image` is always the size of the image going INTO this transform.
 * forward/inverse never clamp: a location can map outside the output frame (a centre crop cuts part of a box
 * away), and inverse(forward(x)) returns x exactly (up to floating point). Use `clampLocation` / `isInside`
 * to decide what to do with such parts; codecs refuse them with OUT_OF_RANGE unless created with `clamp: true`.
 */
export interface FrameTransform {
  /** A short description, e.g. `pad-square`, `resize(shortestEdge=336)`. */
  readonly name: string;
  /** Map a location from original-image pixels into this frame. */
  forward<L extends Location>(location: L, image: ImageSize): L;
  /** Map a location from this frame back to original-image pixels (the exact inverse of `forward`). */
  inverse<L extends Location>(location: L, image: ImageSize): L;
  /** The size of the frame for an original image of `size`. */
  outputSize(image: ImageSize): ImageSize;
  /** The pixel operations (pad, resize, crop) that produce this frame from an image of `size`, as plain JSON. */
  plan(image: ImageSize): FrameOp[];
}

/**
 * x' = x * xNum / xDen + dx, y' = y * yNum / yDen + dy for the given input image. Scales are kept as ratios of
 * sizes so both directions multiply first and divide once: 287 px of a 1148-px frame maps back to exactly 1000
 * of a 4000-px image.
 */
interface Affine {
  xNum: number;
  xDen: number;
  yNum: number;
  yDen: number;
  dx: number;
  dy: number;
}

function mapLocation<L extends Location>(location: L, a: Affine, inverse: boolean): L {
  const fx = (x: number) => (inverse ? ((x - a.dx) * a.xDen) / a.xNum : (x * a.xNum) / a.xDen + a.dx);
  const fy = (y: number) => (inverse ? ((y - a.dy) * a.yDen) / a.yNum : (y * a.yNum) / a.yDen + a.dy);
  if ('box' in location) {
    const [x1, y1, x2, y2] = location.box;
    return { ...location, box: [fx(x1), fy(y1), fx(x2), fy(y2)] };
  }
  if ('point' in location) {
    const [x, y] = (location as { point: [number, number] }).point;
    return { ...location, point: [fx(x), fy(y)] };
  }
  throw new CodecError('BAD_INPUT', `a location must be { box } or { point }, got ${JSON.stringify(location)}`);
}

function affineTransform(
  name: string,
  affine: (image: ImageSize) => Affine,
  outputSize: (image: ImageSize) => ImageSize,
  plan: (image: ImageSize, out: ImageSize) => FrameOp[],
): FrameTransform {
  return {
    name,
    forward: (location, image) => {
      validateImageSize(image);
      return mapLocation(location, affine(image), false);
    },
    inverse: (location, image) => {
      validateImageSize(image);
      return mapLocation(location, affine(image), true);
    },
    outputSize: (image) => {
      validateImageSize(image);
      return outputSize(image);
    },
    plan: (image) => {
      validateImageSize(image);
      return plan(image, outputSize(image));
    },
  };
}

function size(width: number, height: number): ImageSize {
  return { width, height };
}

function checkRgb(fill: unknown): Rgb {
  if (
    !Array.isArray(fill) ||
    fill.length !== 3 ||
    !fill.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 255)
  ) {
    throw new CodecError('BAD_INPUT', `fill must be [r, g, b] with integers 0..255, got ${JSON.stringify(fill)}`);
  }
  return [fill[0], fill[1], fill[2]];
}

/** LLaVA-1.5's background: round(CLIP mean * 255). */
export const LLAVA_PAD_FILL: Rgb = [122, 116, 104];

/** Options of `padToSquare`. */
export interface PadToSquareOptions {
  /** Background colour, default LLaVA-1.5's (122, 116, 104). */
  fill?: Rgb;
}

/**
 * LLaVA-1.5's `expand2square`: a square canvas of side max(w, h), the image pasted at ((m-w)//2, (m-h)//2).
 * Locations shift by that offset; Shikra and LLaVA-1.5 normalise to this padded square.
 */
export function padToSquare(options: PadToSquareOptions = {}): FrameTransform {
  const fill = checkRgb(options.fill ?? LLAVA_PAD_FILL);
  const offsets = ({ width: w, height: h }: ImageSize) => {
    const m = Math.max(w, h);
    return { m, left: Math.floor((m - w) / 2), top: Math.floor((m - h) / 2) };
  };
  return affineTransform(
    'pad-square',
    (image) => {
      const { left, top } = offsets(image);
      return { xNum: 1, xDen: 1, yNum: 1, yDen: 1, dx: left, dy: top };
    },
    (image) => {
      const { m } = offsets(image);
      return size(m, m);
    },
    (image, out) => {
      const { left, top } = offsets(image);
      return [{ op: 'pad', from: size(image.width, image.height), to: out, left, top, fill: [...fill] }];
    },
  );
}

/** How a shortest-edge resize rounds the long side. */
export type SizeRounding = 'transformers-js' | 'transformers-python';

/** The size a resize produces: a square side, a width and height, or a rule such as `shortestEdge` (CLIP). */
export type ResizeTarget =
  | number
  | ImageSize
  | {
      /** Scale so the shorter side becomes this many pixels, keeping the aspect ratio (CLIP's image processor). */
      shortestEdge: number;
      /**
       * `transformers-js` (default): transformers.js's get_resize_output_image_size, factor = max(s/w, s/h),
       * side = floor(Number((side * factor).toFixed(2))). `transformers-python`: transformers' Python
       * get_resize_output_image_size, short = s, long = int(s * long / short).
       */
      rounding?: SizeRounding;
    };

/** Options of `resize`. */
export interface ResizeOptions {
  /** Resampling kernel recorded in the plan, default bicubic (CLIP). Locations do not depend on it. */
  resample?: 'bicubic' | 'bilinear' | 'nearest';
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CodecError('BAD_INPUT', `${name} must be a positive integer number of pixels, got ${String(value)}`);
  }
  return value;
}

/** The output size of a shortest-edge resize, exactly as the chosen reference computes it. */
export function shortestEdgeSize(image: ImageSize, shortestEdge: number, rounding: SizeRounding = 'transformers-js') {
  const { width: w, height: h } = image;
  if (rounding === 'transformers-python') {
    if (w <= h) return size(shortestEdge, Math.trunc((shortestEdge * h) / w));
    return size(Math.trunc((shortestEdge * w) / h), shortestEdge);
  }
  const factor = Math.max(shortestEdge / w, shortestEdge / h);
  return size(Math.floor(Number((w * factor).toFixed(2))), Math.floor(Number((h * factor).toFixed(2))));
}

/** Resize to a fixed size (a number means a square), or by shortest edge as CLIP's image processor does. */
export function resize(target: ResizeTarget, options: ResizeOptions = {}): FrameTransform {
  const resample = options.resample ?? 'bicubic';
  let out: (image: ImageSize) => ImageSize;
  let name: string;
  if (typeof target === 'number') {
    const s = positiveInteger('resize size', target);
    out = () => size(s, s);
    name = `resize(${s}x${s})`;
  } else if (target !== null && typeof target === 'object' && 'shortestEdge' in target) {
    const s = positiveInteger('resize shortestEdge', target.shortestEdge);
    const rounding = target.rounding ?? 'transformers-js';
    if (rounding !== 'transformers-js' && rounding !== 'transformers-python') {
      throw new CodecError(
        'BAD_INPUT',
        `resize rounding must be transformers-js or transformers-python, got ${String(rounding)}`,
      );
    }
    out = (image) => shortestEdgeSize(image, s, rounding);
    name = `resize(shortestEdge=${s})`;
  } else if (target !== null && typeof target === 'object') {
    const w = positiveInteger('resize width', (target as ImageSize).width);
    const h = positiveInteger('resize height', (target as ImageSize).height);
    out = () => size(w, h);
    name = `resize(${w}x${h})`;
  } else {
    throw new CodecError(
      'BAD_INPUT',
      `resize target must be a size, { width, height } or { shortestEdge }, got ${String(target)}`,
    );
  }
  return affineTransform(
    name,
    (image) => {
      const o = out(image);
      return { xNum: o.width, xDen: image.width, yNum: o.height, yDen: image.height, dx: 0, dy: 0 };
    },
    out,
    (image, o) => [{ op: 'resize', from: size(image.width, image.height), to: o, resample }],
  );
}

/** Options of `smartResize` (Qwen2-VL style: sides rounded to a multiple of a factor, pixels within bounds). */
export interface SmartResizeOptions {
  /** Both sides become multiples of this (patch size x merge size), default 28. */
  factor?: number;
  /** Default 56 * 56 (transformers' Qwen2-VL image processor). */
  minPixels?: number;
  /** Default 28 * 28 * 1280 (transformers' Qwen2-VL image processor). */
  maxPixels?: number;
  /**
   * `transformers-python` (default): transformers' `smart_resize` (round half to even, at least one factor).
   * `transformers-js`: transformers.js's, which differs for about 1% of sizes: Math.round (halves up), and images
   * with a side under `factor` first scaled up so that side equals it (then a floor of one factor after the
   * max/min-pixel steps). Use the one of the engine that preprocesses the image.
   */
  rounding?: SizeRounding;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Qwen2-VL / Qwen2.5-VL `smart_resize`: both sides multiples of `factor` (Python round, halves to even, at least
 * one factor), scaled down by sqrt(h * w / maxPixels) (floor) or up by sqrt(minPixels / (h * w)) (ceil) when the
 * area is out of bounds. Refuses an aspect ratio above 200 as the reference does.
 */
export function smartResizeSize(image: ImageSize, options: SmartResizeOptions = {}): ImageSize {
  const factor = options.factor ?? 28;
  const minPixels = options.minPixels ?? 56 * 56;
  const maxPixels = options.maxPixels ?? 28 * 28 * 1280;
  if (options.rounding === 'transformers-js') return smartResizeSizeJs(image, factor, minPixels, maxPixels);
  const { width, height } = image;
  if (Math.max(width, height) / Math.min(width, height) > 200) {
    throw new CodecError(
      'BAD_INPUT',
      `smart resize needs an aspect ratio of at most 200, got ${width}x${height} (${Math.max(width, height) / Math.min(width, height)})`,
    );
  }
  let h = Math.max(factor, roundHalfEven(height / factor) * factor);
  let w = Math.max(factor, roundHalfEven(width / factor) * factor);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.floor(height / beta / factor) * factor;
    w = Math.floor(width / beta / factor) * factor;
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return size(w, h);
}

/** transformers.js 4.3's `smart_resize` (image_processors_utils.js), step for step. */
function smartResizeSizeJs(image: ImageSize, factor: number, minPixels: number, maxPixels: number): ImageSize {
  let { width, height } = image;
  if (height < factor || width < factor) {
    const scale = Math.max(factor / height, factor / width);
    height = Math.round(height * scale);
    width = Math.round(width * scale);
  }
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new CodecError(
      'BAD_INPUT',
      `smart resize needs an aspect ratio of at most 200, got ${image.width}x${image.height}`,
    );
  }
  let h = Math.round(height / factor) * factor;
  let w = Math.round(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return size(w, h);
}

/** Qwen2.5-VL's input frame: a resize to `smartResizeSize`. Qwen2.5-VL writes pixel coordinates in this frame. */
export function smartResize(options: SmartResizeOptions = {}): FrameTransform {
  const factor = positiveInteger('smartResize factor', options.factor ?? 28);
  const minPixels = positiveInteger('smartResize minPixels', options.minPixels ?? 56 * 56);
  const maxPixels = positiveInteger('smartResize maxPixels', options.maxPixels ?? 28 * 28 * 1280);
  const rounding = options.rounding ?? 'transformers-python';
  const out = (image: ImageSize) => smartResizeSize(image, { factor, minPixels, maxPixels, rounding });
  return affineTransform(
    `smartResize(factor=${factor})`,
    (image) => {
      const o = out(image);
      return { xNum: o.width, xDen: image.width, yNum: o.height, yDen: image.height, dx: 0, dy: 0 };
    },
    out,
    (image, o) => [{ op: 'resize', from: size(image.width, image.height), to: o, resample: 'bicubic' }],
  );
}

/** Options of `centerCrop`. */
export interface CenterCropOptions {
  /**
   * `transformers-js` (default): offsets as transformers.js's RawImage.center_crop (sharp extract/extend):
   * left = floor((w - cw) / 2) when cropping, padding floor((cw - w) / 2) on the left when the image is smaller.
   * `transformers-python`: transformers' center_crop, left = (w - cw) // 2 in both cases (floor division).
   */
  rounding?: SizeRounding;
  /** Colour of pixels outside the image when the crop is larger than it; default black, as both references pad. */
  fill?: Rgb;
}

/** Cut the centre `size` (a number means a square) out of the image, as CLIP's image processor does. */
export function centerCrop(target: number | ImageSize, options: CenterCropOptions = {}): FrameTransform {
  const cw = positiveInteger('centerCrop width', typeof target === 'number' ? target : target?.width);
  const ch = positiveInteger('centerCrop height', typeof target === 'number' ? target : target?.height);
  const rounding = options.rounding ?? 'transformers-js';
  const fill = checkRgb(options.fill ?? [0, 0, 0]);
  const offset = (inSize: number, outSize: number) => {
    if (rounding === 'transformers-python' || inSize >= outSize) return Math.floor((inSize - outSize) / 2);
    return -Math.floor((outSize - inSize) / 2);
  };
  const rect = (image: ImageSize) => ({
    left: offset(image.width, cw),
    top: offset(image.height, ch),
    width: cw,
    height: ch,
  });
  return affineTransform(
    `centerCrop(${cw}x${ch})`,
    (image) => {
      const r = rect(image);
      return { xNum: 1, xDen: 1, yNum: 1, yDen: 1, dx: -r.left, dy: -r.top };
    },
    () => size(cw, ch),
    (image, o) => [{ op: 'crop', from: size(image.width, image.height), to: o, rect: rect(image), fill: [...fill] }],
  );
}

/** The identity frame: nothing changes. */
export function identity(): FrameTransform {
  return affineTransform(
    'identity',
    () => ({ xNum: 1, xDen: 1, yNum: 1, yDen: 1, dx: 0, dy: 0 }),
    (image) => size(image.width, image.height),
    () => [],
  );
}

/** Apply transforms in order: compose(a, b).forward(x) = b.forward(a.forward(x)). */
export function compose(...transforms: FrameTransform[]): FrameTransform {
  for (const t of transforms) {
    if (!t || typeof t.forward !== 'function') {
      throw new CodecError('BAD_INPUT', `compose takes frame transforms, got ${String(t)}`);
    }
  }
  const sizes = (image: ImageSize) => {
    const out: ImageSize[] = [image];
    for (const t of transforms) out.push(t.outputSize(out[out.length - 1] as ImageSize));
    return out;
  };
  return {
    name: transforms.length === 0 ? 'identity' : transforms.map((t) => t.name).join(' -> '),
    forward(location, image) {
      let current = location;
      let s = image;
      for (const t of transforms) {
        current = t.forward(current, s);
        s = t.outputSize(s);
      }
      return current;
    },
    inverse(location, image) {
      const s = sizes(image);
      let current = location;
      for (let i = transforms.length - 1; i >= 0; i--) {
        current = (transforms[i] as FrameTransform).inverse(current, s[i] as ImageSize);
      }
      return current;
    },
    outputSize: (image) => {
      validateImageSize(image);
      return sizes(image)[transforms.length] as ImageSize;
    },
    plan(image) {
      const s = sizes(image);
      return transforms.flatMap((t, i) => t.plan(s[i] as ImageSize));
    },
  };
}

/** CLIP's image processor geometry: shortest edge to `size`, then a centre crop of size x size. */
export function clipFrame(size: number, options: { rounding?: SizeRounding } = {}): FrameTransform {
  const rounding = options.rounding ?? 'transformers-js';
  return compose(resize({ shortestEdge: size, rounding }), centerCrop(size, { rounding }));
}

/** LLaVA-1.5's `pad` preprocessing: pad to square with (122, 116, 104), then CLIP's resize and centre crop. */
export function llavaFrame(size: number, options: { rounding?: SizeRounding; fill?: Rgb } = {}): FrameTransform {
  return compose(padToSquare({ fill: options.fill ?? LLAVA_PAD_FILL }), clipFrame(size, options));
}

/** Names the CLI and configuration files use for frames. */
export const FRAME_NAMES = [
  'none',
  'pad-square',
  'clip-224',
  'clip-336',
  'llava-224',
  'llava-336',
  'qwen2.5-vl',
] as const;
/** The names `namedFrame` accepts (and the CLI's `--frame`). */
export type FrameName = (typeof FRAME_NAMES)[number];

/** A frame transform from its name (see FRAME_NAMES). */
export function namedFrame(name: string): FrameTransform {
  switch (name) {
    case 'none':
      return identity();
    case 'pad-square':
      return padToSquare();
    case 'clip-224':
      return clipFrame(224);
    case 'clip-336':
      return clipFrame(336);
    case 'llava-224':
      return llavaFrame(224);
    case 'llava-336':
      return llavaFrame(336);
    case 'qwen2.5-vl':
      return smartResize();
    default:
      throw new CodecError(
        'BAD_INPUT',
        `unknown frame ${JSON.stringify(name)}; expected one of ${FRAME_NAMES.join(', ')}`,
      );
  }
}
