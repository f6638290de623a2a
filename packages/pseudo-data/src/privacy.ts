// Privacy (paper Appendix C): faces are blurred in every image the pipeline writes out, using the BlazeFace
// detector shipped with @vladmandic/human, run tile by tile so that small faces are found too (detector.ts,
// tiles.ts). On by default for derived image sets; callers can switch it off.
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type JobProgress, openRunFile, runJob, writeFileAtomic } from '@locvlm/runtime';
import sharp from 'sharp';
import type { Detection, Detector, RgbImage } from './detector.js';
import { readRgb } from './detector.js';
import { PseudoDataError } from './errors.js';
import { listImageFiles } from './pseudo-boxes.js';

/** Options of face blurring. */
export interface BlurOptions {
  /** Gaussian sigma of the blur, in pixels (default: a tenth of the face size, at least 8). */
  sigma?: number;
  /**
   * Grow each face box by this fraction of its size on every side (default 0.25: hair, ears and chin, and room for
   * a box drawn a little off the face, which small faces get most).
   */
  margin?: number;
}

const DEFAULT_MARGIN = 0.25;

/** Blur the given boxes of an RGB image; returns new pixels (the input is not changed). */
export async function blurRegions(
  image: RgbImage,
  boxes: readonly Detection['box'][],
  options: BlurOptions = {},
): Promise<RgbImage> {
  const margin = options.margin ?? DEFAULT_MARGIN;
  if (!(Number.isFinite(margin) && margin >= 0)) {
    throw new PseudoDataError('BAD_OPTION', `margin must be a number >= 0, got ${margin}`);
  }
  if (options.sigma !== undefined && !(Number.isFinite(options.sigma) && options.sigma > 0)) {
    throw new PseudoDataError('BAD_OPTION', `sigma must be a number > 0, got ${options.sigma}`);
  }
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
    // At least a third of the region's side for small faces (a 16 px face with sigma 8 is still a recognizable
    // blob of the right colours; what matters is that no feature survives), a tenth for large ones, never under 3.
    const sigma = options.sigma ?? Math.max(3, Math.min(8, Math.max(rw, rh) / 3), Math.max(rw, rh) / 10);
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

/** Options of `blurFacesInFolder`. */
export interface BlurFolderOptions extends BlurOptions {
  detector: Detector;
  /** Folder of images (image files directly in it; see `listImageFiles`). */
  imagesDir: string;
  /** Output folder: each image is written under the same name, faces blurred, EXIF metadata dropped. */
  outDir: string;
  /** Image files relative to `imagesDir` (default: every image file in it). */
  files?: readonly string[];
  /** Resumable run file (default `<outDir>/blur-faces.run.jsonl`). */
  runFile?: string;
  /** Recorded in the run file so that a resume with other detector settings is refused. */
  detectorConfig?: Record<string, string | number | boolean>;
  /** Called after each image. */
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

/** Faces blurred per image written, as every command that writes images reports them (in its `stats.json`). */
export interface BlurStats {
  /** Images written. */
  images: number;
  /** Faces blurred in all of them. */
  faces: number;
  /** Images with at least one face blurred. */
  imagesWithFaces: number;
  /** Faces blurred in each image written, by its path relative to the output folder. */
  perImage: Record<string, number>;
}

/** Counts of blurred faces from a list of (path, faces) pairs. */
export function blurStats(entries: Iterable<readonly [string, number]>): BlurStats {
  const stats: BlurStats = { images: 0, faces: 0, imagesWithFaces: 0, perImage: {} };
  for (const [file, faces] of entries) {
    stats.images++;
    stats.faces += faces;
    if (faces > 0) stats.imagesWithFaces++;
    stats.perImage[file] = faces;
  }
  return stats;
}

/**
 * The privacy step alone: write every image of `imagesDir` to `outDir` with its faces blurred (resumable through a
 * run file), then `stats.json` with the faces blurred per image. Returns the stats and the stats file's path.
 */
export async function blurFacesInFolder(
  options: BlurFolderOptions,
): Promise<{ stats: BlurStats; statsFile: string; runFile: string }> {
  if (resolve(options.imagesDir) === resolve(options.outDir)) {
    throw new PseudoDataError(
      'BAD_OPTION',
      `the output folder ${options.outDir} is the images folder: blurred copies would replace the originals`,
    );
  }
  const files = options.files ?? (await listImageFiles(options.imagesDir));
  const runFilePath = options.runFile ?? join(options.outDir, 'blur-faces.run.jsonl');
  const runFile = await openRunFile<{ faces: number }>(runFilePath, {
    job: 'blur-faces',
    files: files.length,
    margin: options.margin ?? DEFAULT_MARGIN,
    ...(options.sigma === undefined ? {} : { sigma: options.sigma }),
    ...(options.detectorConfig ?? {}),
  }).catch((error: Error) => {
    throw new PseudoDataError('RUN_FILE', error.message, { cause: error });
  });
  let entries: Array<{ item: string; result: { faces: number } }>;
  try {
    entries = await runJob<string, { faces: number }>({
      items: files,
      keyOf: (file) => file,
      runFile,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      work: async (file) => {
        const faces = await writeDerivedImage(join(options.imagesDir, file), join(options.outDir, file), {
          detector: options.detector,
          ...(options.margin === undefined ? {} : { margin: options.margin }),
          ...(options.sigma === undefined ? {} : { sigma: options.sigma }),
        });
        return { faces: faces.length };
      },
    });
  } finally {
    await runFile.close();
  }
  const stats = blurStats(entries.map(({ item, result }) => [item, result.faces] as const));
  const statsFile = join(options.outDir, 'stats.json');
  await writeFileAtomic(statsFile, `${JSON.stringify(stats, null, 2)}\n`);
  return { stats, statsFile, runFile: runFilePath };
}
