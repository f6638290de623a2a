// Privacy (paper Appendix C): faces are blurred in every image the pipeline writes out, using the BlazeFace
// detector shipped with @vladmandic/human. On by default for derived image sets; callers can switch it off.
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import type { Detection, Detector, RgbImage } from './detector.js';
import { readRgb } from './detector.js';
import { PseudoDataError } from './errors.js';

/** Options of face blurring. */
export interface BlurOptions {
  /** Gaussian sigma of the blur, in pixels (default: a tenth of the face size, at least 8). */
  sigma?: number;
  /** Grow each face box by this fraction of its size on every side (default 0.15: hair and chin). */
  margin?: number;
}

/** Blur the given boxes of an RGB image; returns new pixels (the input is not changed). */
export async function blurRegions(
  image: RgbImage,
  boxes: readonly Detection['box'][],
  options: BlurOptions = {},
): Promise<RgbImage> {
  const margin = options.margin ?? 0.15;
  const out = new Uint8Array(image.data);
  for (const [x1, y1, x2, y2] of boxes) {
    const w = x2 - x1;
    const h = y2 - y1;
    const left = Math.max(0, Math.floor(x1 - w * margin));
    const top = Math.max(0, Math.floor(y1 - h * margin));
    const right = Math.min(image.width, Math.ceil(x2 + w * margin));
    const bottom = Math.min(image.height, Math.ceil(y2 + h * margin));
    const rw = right - left;
    const rh = bottom - top;
    if (rw <= 0 || rh <= 0) continue;
    const sigma = options.sigma ?? Math.max(8, Math.max(rw, rh) / 10);
    const region = await sharp(Buffer.from(out.buffer, out.byteOffset, out.length), {
      raw: { width: image.width, height: image.height, channels: 3 },
    })
      .extract({ left, top, width: rw, height: rh })
      .blur(sigma)
      .raw()
      .toBuffer();
    for (let y = 0; y < rh; y++) {
      const from = y * rw * 3;
      out.set(region.subarray(from, from + rw * 3), ((top + y) * image.width + left) * 3);
    }
  }
  return { data: out, width: image.width, height: image.height };
}

/** Options of writing a derived image (resized, faces blurred). */
export interface DerivedImageOptions extends BlurOptions {
  /** Blur faces before writing (default true). */
  blurFaces?: boolean;
  /** Needed when blurFaces is on. */
  detector?: Detector;
}

/**
 * Write an image the pipeline derived (a video frame, a crop) to `file` (format from its extension), faces blurred
 * unless switched off. Returns the face boxes that were blurred.
 */
export async function writeDerivedImage(
  image: RgbImage | string,
  file: string,
  options: DerivedImageOptions = {},
): Promise<Detection[]> {
  const rgb = typeof image === 'string' ? await readRgb(image) : image;
  let faces: Detection[] = [];
  let pixels = rgb;
  if (options.blurFaces ?? true) {
    if (options.detector === undefined) {
      throw new PseudoDataError('BAD_OPTION', `blurring faces in ${file} needs a detector (or blurFaces: false)`);
    }
    faces = await options.detector.detectFaces(rgb);
    pixels = await blurRegions(
      rgb,
      faces.map((f) => f.box),
      options,
    );
  }
  await mkdir(dirname(file), { recursive: true });
  // Same extension on the temporary name: sharp picks the format from it.
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp${extname(file)}`);
  try {
    await sharp(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length), {
      raw: { width: pixels.width, height: pixels.height, channels: 3 },
    }).toFile(tmp);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new PseudoDataError('IO', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  return faces;
}
