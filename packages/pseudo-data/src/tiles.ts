// Tiled, multi-scale detection: a detector with a fixed input size S finds objects between a smallest and a largest
// size *at its input*. Run once on the whole image scaled to S, it misses everything smaller than that smallest size
// times (image side / S). Here the image is also cut into overlapping square tiles, each scaled to S, with tiles
// halving in size from one level to the next until the smallest wanted object reaches the detector's smallest size.
// Every object smaller than twice a level's smallest lies whole inside at least one of that level's tiles (the
// overlap is that large), and larger objects are the coarser levels' job. Detections are mapped back to image pixels
// and merged across tiles and levels.
import sharp from 'sharp';
import type { Detection, RgbImage } from './detector.js';
import { PseudoDataError } from './errors.js';

/** A square tile of an image, in image pixels; it may reach past the image's right and bottom edges (padded). */
export interface Tile {
  x: number;
  y: number;
  size: number;
  /** Level in the pyramid: 0 is the whole image. */
  level: number;
}

/** How to cut an image into tiles for a detector. */
export interface TilePlanOptions {
  /** The detector's input side, in pixels (the tile is scaled to it). */
  inputSize: number;
  /** The smallest object the detector finds reliably at its input, in input pixels. */
  minAtInput: number;
  /** The smallest object wanted in the image, in image pixels. */
  minObject: number;
  /** At most this many tiles (whole image included). Finer levels that do not fit are dropped. */
  maxTiles: number;
}

/** The tiles of an image, and the smallest object (image pixels) they are expected to find. */
export interface TilePlan {
  tiles: Tile[];
  /** `minObject`, or larger when the tile cap dropped the finest levels. */
  minObject: number;
}

function positions(extent: number, size: number, overlap: number): number[] {
  if (size >= extent) return [0];
  const count = Math.ceil((extent - overlap) / (size - overlap));
  const step = (extent - size) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}

/**
 * Plan the tiles for one image: level 0 is the whole image (padded to a square); each further level halves the tile
 * side, with neighbouring tiles overlapping by twice the level's smallest object, down to the level whose tiles bring
 * `minObject` to `minAtInput` at the detector's input. Levels past `maxTiles` are dropped, coarse first kept.
 */
export function planTiles(width: number, height: number, options: TilePlanOptions): TilePlan {
  const { inputSize, minAtInput, minObject, maxTiles } = options;
  for (const [name, value] of Object.entries({ width, height, inputSize, minAtInput, minObject, maxTiles })) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new PseudoDataError('BAD_OPTION', `planTiles: ${name} must be a positive number, got ${value}`);
    }
  }
  const side = Math.max(width, height);
  const tiles: Tile[] = [{ x: 0, y: 0, size: side, level: 0 }];
  // Smallest object found at a tile size: minAtInput scaled from the input back to image pixels.
  let found = (minAtInput * side) / inputSize;
  let size = side;
  // The tile side that brings `minObject` to `minAtInput` (floored, so that the last level reaches it).
  const finest = Math.max(1, Math.floor((minObject * inputSize) / minAtInput));
  for (let level = 1; found > minObject && size > finest; level++) {
    size = Math.max(Math.ceil(size / 2), finest);
    const smallest = (minAtInput * size) / inputSize;
    // Objects up to what the previous level finds (`found`) must fit whole in some tile: overlap by that, plus a bit.
    const overlap = Math.min(size - 1, Math.ceil(found * 1.25));
    const level_: Tile[] = [];
    for (const y of positions(height, size, overlap)) {
      for (const x of positions(width, size, overlap)) level_.push({ x, y, size, level });
    }
    if (tiles.length + level_.length > maxTiles) break;
    tiles.push(...level_);
    found = smallest;
  }
  return { tiles, minObject: Math.max(minObject, found) };
}

/** Pixels of a tile scaled to `inputSize` square (padded with black past the image's edges). */
export async function tilePixels(image: RgbImage, tile: Tile, inputSize: number): Promise<RgbImage> {
  const w = Math.min(tile.size, image.width - tile.x);
  const h = Math.min(tile.size, image.height - tile.y);
  const part = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((tile.y + y) * image.width + tile.x) * 3;
    part.set(image.data.subarray(from, from + w * 3), y * w * 3);
  }
  const scaledW = Math.max(1, Math.round((w * inputSize) / tile.size));
  const scaledH = Math.max(1, Math.round((h * inputSize) / tile.size));
  const data = await sharp(Buffer.from(part.buffer, part.byteOffset, part.length), {
    raw: { width: w, height: h, channels: 3 },
  })
    .resize(scaledW, scaledH, { fit: 'fill' })
    .extend({ right: inputSize - scaledW, bottom: inputSize - scaledH, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: inputSize, height: inputSize };
}

const area = (b: readonly number[]) => Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
function intersection(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Merge detections from overlapping tiles: highest score first, a detection is dropped when it overlaps a kept one
 * of the same label with IoU >= `iou`, or when most (>= `contained`) of it lies inside a kept one (the part of an
 * object a tile's edge cut off).
 */
export function mergeDetections(detections: readonly Detection[], iou = 0.3, contained = 0.6): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    const own = area(d.box);
    const dropped = kept.some((k) => {
      if (k.label !== d.label) return false;
      const inter = intersection(d.box, k.box);
      return inter / (own + area(k.box) - inter) >= iou || inter >= contained * own;
    });
    if (!dropped) kept.push(d);
  }
  return kept;
}

/**
 * Run `detect` (which sees one `inputSize` square and answers in its pixels) on every tile of the plan, map the
 * boxes back to image pixels (clamped to the image) and merge them.
 */
export async function detectTiled(
  image: RgbImage,
  plan: TilePlan,
  inputSize: number,
  detect: (input: RgbImage, tile: Tile) => Promise<Detection[]>,
): Promise<Detection[]> {
  const all: Detection[] = [];
  for (const tile of plan.tiles) {
    const scale = tile.size / inputSize;
    for (const d of await detect(await tilePixels(image, tile, inputSize), tile)) {
      const [x1, y1, x2, y2] = d.box;
      const box: Detection['box'] = [
        Math.min(image.width, Math.max(0, tile.x + x1 * scale)),
        Math.min(image.height, Math.max(0, tile.y + y1 * scale)),
        Math.min(image.width, Math.max(0, tile.x + x2 * scale)),
        Math.min(image.height, Math.max(0, tile.y + y2 * scale)),
      ];
      if (box[2] > box[0] && box[3] > box[1]) all.push({ ...d, box });
    }
  }
  return mergeDetections(all);
}
