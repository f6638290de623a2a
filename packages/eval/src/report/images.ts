// Pictures for the HTML report: found from what a run recorded (the path as given, the absolute path it resolved to
// at run time, the same place relative to a run folder that has moved, the run folder, the current folder), then
// embedded as small thumbnails (sharp, loaded only when a report embeds pictures) so the page opens anywhere.
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { RunPaths } from '../tasks/types.js';

/** Where one run's pictures may be: its folder now, and where it was made (from its task.json). */
export interface PictureContext {
  /** The run folder as the report was given it (relative to the current folder, or absolute). */
  runDir?: string;
  /** Where the run was made, as `runEval` recorded it. */
  runPaths?: RunPaths;
}

/** A picture a sample shows: the path as the data gave it, and the absolute path it resolved to at run time. */
export interface PictureRef {
  given: string;
  resolved?: string;
  context: PictureContext;
}

/** A URL (`https:`, `data:` ...) rather than a path; two letters at least, so `C:` stays a drive. */
export const isUrl = (path: string): boolean => /^[a-z][a-z0-9+.-]+:/i.test(path) && !isAbsolute(path);

/**
 * The files a picture may be, best first, without duplicates: the given path when absolute; the absolute path it
 * resolved to at run time; the same place relative to the run folder (a run folder moved together with its
 * images, or opened on another machine with the same layout); the given path relative to the run folder; the
 * given path relative to the current folder.
 */
export function pictureCandidates(refs: readonly PictureRef[], cwd: string = process.cwd()): string[] {
  const out: string[] = [];
  const add = (path: string | undefined) => {
    if (path !== undefined && !out.includes(path)) out.push(path);
  };
  for (const { given, resolved } of refs) {
    if (isAbsolute(given)) add(given);
    add(resolved);
  }
  for (const { given, resolved, context } of refs) {
    if (!context.runDir || !context.runPaths) continue;
    const then = resolved ?? resolve(context.runPaths.cwd, given);
    add(resolve(cwd, context.runDir, relative(context.runPaths.dir, then)));
  }
  for (const { given, context } of refs)
    if (!isAbsolute(given) && context.runDir) add(resolve(cwd, context.runDir, given));
  for (const { given } of refs) if (!isAbsolute(given)) add(resolve(cwd, given));
  return out;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The first candidate that is a file, or undefined. */
export async function findPicture(candidates: readonly string[]): Promise<string | undefined> {
  for (const path of candidates) if (await isFile(path)) return path;
  return undefined;
}

/** Size caps of embedded thumbnails. */
export interface ThumbnailLimits {
  /** Longer side of a thumbnail in pixels (pictures are never enlarged). */
  maxSide: number;
  /** Bytes of one encoded thumbnail; a larger one is encoded again smaller and at lower quality. */
  maxBytes: number;
}

/** An encoded thumbnail: a data URL and its size. */
export interface Thumbnail {
  dataUrl: string;
  /** Length of the data URL (what it adds to the page). */
  bytes: number;
  width: number;
  height: number;
}

/**
 * A WebP thumbnail of an image file that fits the limits: at most `maxSide` pixels on its longer side (never
 * enlarged), quality 80; when the data URL is larger than `maxBytes`, encoded again 30% smaller at lower quality
 * until it fits (down to 32 pixels). Pixels are kept as stored (no EXIF rotation): the frame annotation boxes are given in.
 */
export async function makeThumbnail(file: string, limits: ThumbnailLimits): Promise<Thumbnail> {
  const { default: sharp } = await import('sharp');
  const meta = await sharp(file, { failOn: 'error' }).metadata();
  if (!meta.width || !meta.height) throw new Error(`${file} has no pixel size`);
  let side = Math.min(limits.maxSide, Math.max(meta.width, meta.height));
  let quality = 80;
  for (;;) {
    const { data, info } = await sharp(file, { failOn: 'error' })
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
      .webp({ quality })
      .toBuffer({ resolveWithObject: true });
    const dataUrl = `data:image/webp;base64,${data.toString('base64')}`;
    if (dataUrl.length <= limits.maxBytes) {
      return { dataUrl, bytes: dataUrl.length, width: info.width, height: info.height };
    }
    if (side <= 32) {
      throw new Error(`no thumbnail of ${file} fits in ${limits.maxBytes} bytes (${dataUrl.length} at ${side} px)`);
    }
    side = Math.max(32, Math.floor(side * 0.7));
    quality = Math.max(40, quality - 15);
  }
}

/** What became of one picture: found and thumbnailed, found, or not usable (and why). */
export type PreparedPicture =
  | { status: 'found'; file: string; thumbnail?: Thumbnail }
  | { status: 'missing'; tried: string[] }
  | { status: 'unreadable'; file: string; reason: string };

/** Run `work` over items with at most `limit` at once; results in item order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One picture to find: where it may be, and the longer side its thumbnail may have. */
export interface PictureRequest {
  candidates: string[];
  maxSide: number;
}

/**
 * Find every picture and, when `maxBytes` is given, make its thumbnail (each file at each size once, a few at a
 * time).
 */
export async function preparePictures(
  requests: ReadonlyMap<string, PictureRequest>,
  maxBytes: number | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, PreparedPicture>> {
  const keys = [...requests.keys()];
  const thumbnails = new Map<string, Promise<Thumbnail>>();
  let done = 0;
  const prepared = await mapLimit(keys, 4, async (key): Promise<PreparedPicture> => {
    const { candidates, maxSide } = requests.get(key)!;
    const file = await findPicture(candidates);
    let result: PreparedPicture;
    if (!file) result = { status: 'missing', tried: candidates };
    else if (maxBytes === undefined) result = { status: 'found', file };
    else {
      const id = `${maxSide}:${file}`;
      let pending = thumbnails.get(id);
      if (!pending) {
        pending = makeThumbnail(file, { maxSide, maxBytes });
        thumbnails.set(id, pending);
      }
      try {
        result = { status: 'found', file, thumbnail: await pending };
      } catch (cause) {
        result = { status: 'unreadable', file, reason: (cause as Error).message };
      }
    }
    onProgress?.(++done, keys.length);
    return result;
  });
  return new Map(keys.map((key, i) => [key, prepared[i]!]));
}
