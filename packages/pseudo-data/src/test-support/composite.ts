// A labelled test set for the face blurrer and the embedded object detector, built here from real photos that ship
// inside @vladmandic/human (its `assets/` folder): real face crops (and three full-body people) are pasted at known
// boxes and sizes onto real, face-free backgrounds. The ground truth is the paste itself, never a detector's output.
//
// Sources (pixel rectangles in the shipped JPEGs, found by looking at the images):
// - faces: the 6 x 18 grid of face crops in `screenshot-facematch.jpg` (107 px cells; 4 cells left out: two
//   rendered, not photographed, faces and two with part of a second face at the edge), the 5 face crops of
//   `screenshot-facedetect.jpg` (150 px) and the portrait of `screenshot-faceid.jpg` (140 px). The face box inside a
//   crop (brow line to chin, cheek to cheek) was set by hand: one relative box for the uniform facematch grid, one
//   per crop for the other six.
// - people: the three single, full-body people in the thumbnails at the top of `samples.jpg`.
// - backgrounds: two face-free parts of the group photo in `samples.jpg`: the ceiling with its lamps, and the legs,
//   dresses and floor below the faces (skin, hands and fabric: hard negatives).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng, type Rng } from '@locvlm/prompts';
import sharp from 'sharp';
import type { RgbImage } from '../detector.js';

/** (x1, y1, x2, y2) in pixels. */
export type Box = [number, number, number, number];

/** One composited image with the boxes of everything pasted into it. */
export interface CompositeImage {
  image: RgbImage;
  /** Ground-truth boxes (faces or people), in pixels of `image`. */
  boxes: Box[];
}

interface Source {
  /** Pixels of the crop. */
  rgb: RgbImage;
  /** The object's box inside the crop, in crop pixels. */
  box: Box;
}

interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The `assets/` folder of the installed @vladmandic/human. */
export function humanAssetsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/human')), '..', 'assets');
}

async function crop(file: string, rect: Rect): Promise<RgbImage> {
  const { data, info } = await sharp(file).extract(rect).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const relBox = (rect: Rect, [x1, y1, x2, y2]: Box): Box => [
  x1 * rect.width,
  y1 * rect.height,
  x2 * rect.width,
  y2 * rect.height,
];

const FACEMATCH_ROWS = [283, 395, 508, 620, 733, 845];
/** Cells left out: 72 and 102 are rendered faces; 7, 16 and 75 show part of a second face at their edge. */
const FACEMATCH_SKIP = new Set([7, 16, 72, 75, 102]);
const FACEMATCH_FACE: Box = [0.12, 0.16, 0.86, 0.94];
const FACEDETECT: Array<[number, Box]> = [
  [7, [0.17, 0.12, 0.8, 0.82]],
  [164, [0.2, 0.1, 0.82, 0.85]],
  [321, [0.18, 0.08, 0.85, 0.88]],
  [478, [0.2, 0.05, 0.82, 0.85]],
  [641, [0.2, 0.05, 0.8, 0.8]],
];

let faceSources: Promise<Source[]> | undefined;
/** Every face crop with its face box (loaded once). */
export function loadFaceSources(): Promise<Source[]> {
  faceSources ??= (async () => {
    const dir = humanAssetsDir();
    const sources: Source[] = [];
    for (const [r, top] of FACEMATCH_ROWS.entries()) {
      for (let c = 0; c < 18; c++) {
        if (FACEMATCH_SKIP.has(r * 18 + c)) continue;
        const left = Math.round((c * 1920) / 18) + 1;
        const rect = { left, top, width: Math.round(((c + 1) * 1920) / 18) - 1 - left, height: 107 };
        sources.push({
          rgb: await crop(join(dir, 'screenshot-facematch.jpg'), rect),
          box: relBox(rect, FACEMATCH_FACE),
        });
      }
    }
    for (const [left, box] of FACEDETECT) {
      const rect = { left, top: 346, width: 150, height: 150 };
      sources.push({ rgb: await crop(join(dir, 'screenshot-facedetect.jpg'), rect), box: relBox(rect, box) });
    }
    const portrait = { left: 13, top: 142, width: 141, height: 140 };
    sources.push({
      rgb: await crop(join(dir, 'screenshot-faceid.jpg'), portrait),
      box: relBox(portrait, [0.2, 0.1, 0.85, 0.85]),
    });
    return sources;
  })();
  return faceSources;
}

/** Full-body people in samples.jpg's thumbnails: the person's box in the photo's pixels. */
const PEOPLE: Box[] = [
  [567, 7, 625, 154],
  [707, 10, 773, 158],
  [817, 15, 863, 155],
];

let personSources: Promise<Source[]> | undefined;
/** The three full-body people, each cropped with a margin around its box. */
export function loadPersonSources(): Promise<Source[]> {
  personSources ??= (async () => {
    const file = join(humanAssetsDir(), 'samples.jpg');
    const sources: Source[] = [];
    for (const [x1, y1, x2, y2] of PEOPLE) {
      const mx = Math.round((x2 - x1) * 0.15);
      const left = x1 - mx;
      const top = Math.max(0, y1 - 4);
      const rect = { left, top, width: x2 - x1 + 2 * mx, height: Math.min(158, y2 + 4) - top };
      sources.push({ rgb: await crop(file, rect), box: [x1 - left, y1 - top, x2 - left, y2 - top] });
    }
    return sources;
  })();
  return personSources;
}

/** Face-free parts of the group photo in samples.jpg. */
const BACKGROUNDS: Rect[] = [
  { left: 140, top: 196, width: 1140, height: 165 }, // ceiling and lamps
  { left: 130, top: 700, width: 1150, height: 458 }, // legs, dresses, floor
];

let backgrounds: Promise<RgbImage[]> | undefined;
function loadBackgrounds(): Promise<RgbImage[]> {
  backgrounds ??= Promise.all(BACKGROUNDS.map((rect) => crop(join(humanAssetsDir(), 'samples.jpg'), rect)));
  return backgrounds;
}

async function resizeRgb(image: RgbImage, width: number, height: number, flip = false): Promise<RgbImage> {
  let pipeline = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 3 },
  }).resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  if (flip) pipeline = pipeline.flop();
  const data = await pipeline.raw().toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/** A background of `width` x `height`: a random part of a background region, scaled to fill, maybe mirrored. */
async function background(rng: Rng, width: number, height: number): Promise<RgbImage> {
  const regions = await loadBackgrounds();
  const region = rng.float() < 0.75 ? regions[1]! : regions[0]!;
  // Largest crop of the image's aspect inside the region, then a random 60-100% of it.
  const aspect = width / height;
  const maxW = Math.min(region.width, region.height * aspect);
  const w = Math.max(8, Math.round(maxW * (0.6 + 0.4 * rng.float())));
  const h = Math.max(8, Math.round(w / aspect));
  const left = rng.int(0, region.width - w);
  const top = rng.int(0, region.height - h);
  const part = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * region.width + left) * 3;
    part.set(region.data.subarray(from, from + w * 3), y * w * 3);
  }
  return resizeRgb({ data: part, width: w, height: h }, width, height, rng.float() < 0.5);
}

/** Options of `compositeSet`. */
export interface CompositeOptions {
  kind: 'faces' | 'people';
  images: number;
  /** Objects pasted per image. */
  perImage: number;
  /** Object sizes (face box width, person box height) are drawn in turn from these [min, max) buckets, log-uniform. */
  buckets: ReadonlyArray<readonly [number, number]>;
  seed: number | string;
  width?: number;
  height?: number;
}

const overlaps = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Build `images` composited images. Faces are pasted through a soft ellipse around the face box (the face itself
 * fully opaque), people as their crop with soft edges; pasted regions never overlap and boxes lie inside the image.
 * Deterministic for a seed.
 */
export async function compositeSet(options: CompositeOptions): Promise<CompositeImage[]> {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const sources = options.kind === 'faces' ? await loadFaceSources() : await loadPersonSources();
  const out: CompositeImage[] = [];
  let turn = 0;
  for (let i = 0; i < options.images; i++) {
    const rng = createRng(options.seed, options.kind, i);
    const canvas = await background(rng, width, height);
    const data = new Uint8Array(canvas.data);
    const boxes: Box[] = [];
    const taken: Box[] = [];
    for (let k = 0; k < options.perImage; k++) {
      const [lo, hi] = options.buckets[turn++ % options.buckets.length]!;
      const size = lo * (hi / lo) ** rng.float();
      const source = rng.pick(sources);
      const [bx1, by1, bx2, by2] = source.box;
      const scale = options.kind === 'faces' ? size / (bx2 - bx1) : size / (by2 - by1);
      const pw = Math.max(1, Math.round(source.rgb.width * scale));
      const ph = Math.max(1, Math.round(source.rgb.height * scale));
      const flip = rng.float() < 0.5;
      const patch = await resizeRgb(source.rgb, pw, ph, flip);
      const sx = pw / source.rgb.width;
      const sy = ph / source.rgb.height;
      const box: Box = flip
        ? [pw - bx2 * sx, by1 * sy, pw - bx1 * sx, by2 * sy]
        : [bx1 * sx, by1 * sy, bx2 * sx, by2 * sy];
      if (box[2] - box[0] > width || box[3] - box[1] > height) continue;
      placed: for (let attempt = 0; attempt < 200; attempt++) {
        const left = rng.int(-Math.floor(box[0]), Math.floor(width - box[2]));
        const top = rng.int(-Math.floor(box[1]), Math.floor(height - box[3]));
        const region: Box = [left, top, left + pw, top + ph];
        const target: Box = [left + box[0], top + box[1], left + box[2], top + box[3]];
        const guard = grow(options.kind === 'faces' ? faceRegion(target) : region, 2);
        for (const t of taken) if (overlaps(t, guard)) continue placed;
        paste(
          data,
          width,
          height,
          patch,
          left,
          top,
          options.kind === 'faces' ? faceAlpha(box, pw, ph) : edgeAlpha(pw, ph),
        );
        taken.push(options.kind === 'faces' ? faceRegion(target) : region);
        boxes.push(target);
        break;
      }
    }
    out.push({ image: { data, width, height }, boxes });
  }
  return out;
}

/** The part of a pasted face that is visible: the ellipse around its box (see `faceAlpha`). */
function faceRegion([x1, y1, x2, y2]: Box): Box {
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const ax = (x2 - x1) * FACE_ELLIPSE[0];
  const ay = (y2 - y1) * FACE_ELLIPSE[1];
  return [cx - ax, cy - ay, cx + ax, cy + ay];
}

const grow = ([x1, y1, x2, y2]: Box, by: number): Box => [x1 - by, y1 - by, x2 + by, y2 + by];

/** Semi-axes of the pasted ellipse, relative to the face box's width and height. */
const FACE_ELLIPSE = [0.68, 0.62] as const;

/** Opaque inside 75% of the ellipse around the face box (which covers the whole box), fading to 0 at its edge. */
function faceAlpha([x1, y1, x2, y2]: Box, pw: number, ph: number): Float32Array {
  const alpha = new Float32Array(pw * ph);
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const ax = (x2 - x1) * FACE_ELLIPSE[0];
  const ay = (y2 - y1) * FACE_ELLIPSE[1];
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const r = Math.hypot((x + 0.5 - cx) / ax, (y + 0.5 - cy) / ay);
      alpha[y * pw + x] = Math.min(1, Math.max(0, (1 - r) / 0.25));
    }
  }
  return alpha;
}

/** Opaque, fading over the outer 8% of each side (the person's box stays opaque). */
function edgeAlpha(pw: number, ph: number): Float32Array {
  const alpha = new Float32Array(pw * ph);
  const fx = Math.max(1, pw * 0.08);
  const fy = Math.max(1, ph * 0.03);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const ex = Math.min(x + 0.5, pw - x - 0.5) / fx;
      const ey = Math.min(y + 0.5, ph - y - 0.5) / fy;
      alpha[y * pw + x] = Math.min(1, ex, ey);
    }
  }
  return alpha;
}

function paste(
  data: Uint8Array,
  width: number,
  height: number,
  patch: RgbImage,
  left: number,
  top: number,
  alpha: Float32Array,
): void {
  for (let y = 0; y < patch.height; y++) {
    const ty = top + y;
    if (ty < 0 || ty >= height) continue;
    for (let x = 0; x < patch.width; x++) {
      const tx = left + x;
      const a = alpha[y * patch.width + x]!;
      if (tx < 0 || tx >= width || a <= 0) continue;
      const to = (ty * width + tx) * 3;
      const from = (y * patch.width + x) * 3;
      for (let c = 0; c < 3; c++) data[to + c] = Math.round(a * patch.data[from + c]! + (1 - a) * data[to + c]!);
    }
  }
}

/** How a detector did on one image: which ground-truth boxes it found, and its detections on nothing. */
export interface Match {
  found: boolean[];
  falsePositives: number;
}

/** Intersection over union. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Fraction of `inner`'s area that `outer` covers. */
export function coverage(inner: readonly number[], outer: readonly number[]): number {
  const w = Math.max(0, Math.min(inner[2]!, outer[2]!) - Math.max(inner[0]!, outer[0]!));
  const h = Math.max(0, Math.min(inner[3]!, outer[3]!) - Math.max(inner[1]!, outer[1]!));
  const area = (inner[2]! - inner[0]!) * (inner[3]! - inner[1]!);
  return area > 0 ? (w * h) / area : 0;
}

/**
 * A ground-truth box is found when a detection overlaps it with IoU >= `minIou` (0.3: detectors draw face boxes
 * with their own conventions, e.g. with or without the forehead). A false positive is a detection that lies mostly
 * (more than half of its area) outside every ground-truth box.
 */
export function matchBoxes(truth: readonly Box[], detections: readonly Box[], minIou = 0.3): Match {
  const found = truth.map((t) => detections.some((d) => iou(t, d) >= minIou));
  const falsePositives = detections.filter((d) => truth.every((t) => coverage(d, t) < 0.5)).length;
  return { found, falsePositives };
}
