// The embedded detectors: the CenterNet COCO object detector and the BlazeFace face detector that
// @vladmandic/human ships, run offline on TensorFlow.js' WASM backend (never tfjs-node, whose install downloads a
// binary). Node's fetch refuses file:// URLs, so the model files are served from a loopback HTTP server for the
// few milliseconds it takes to load them. Faces are found tile by tile (tiles.ts): BlazeFace sees a 256 px square,
// so a face smaller than about a tenth of the image's side is invisible to one run on the whole image.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { PseudoDataError } from './errors.js';
import { detectTiled, planTiles } from './tiles.js';

/** A detection in pixels of the image: (x1, y1, x2, y2), a COCO category name and a score in [0, 1]. */
export interface Detection {
  box: [number, number, number, number];
  label: string;
  score: number;
}

/** Pixels of one image: RGB, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Options of `createDetector`. */
export interface DetectorOptions {
  /** Object detections below this score are dropped (default 0.3). */
  scoreThreshold?: number;
  /**
   * Face detections below this score are dropped (default 0.4, chosen for recall: see the README's measured table;
   * a box blurred by mistake costs little, a face left sharp costs privacy).
   */
  faceScoreThreshold?: number;
  /** Most object detections per image (default 50); with object tiles, per tile. */
  maxDetections?: number;
  /** Most faces per tile (default 20). The merged faces of an image are not capped. */
  maxFaces?: number;
  /**
   * The smallest face (box width, pixels) to look for (default 12). Smaller values cost more tiles: see
   * `maxFaceTiles`.
   */
  minFaceSize?: number;
  /**
   * At most this many detector runs per image for faces (default 64: a 640x480 image takes 47, about 2-3 s on one
   * core). On images so large that the tiles for `minFaceSize` do not fit, the finest level is dropped and the
   * smallest face found grows with the image (see `planTiles`).
   */
  maxFaceTiles?: number;
  /**
   * Look for objects tile by tile too, down to this size (pixels of the object's shorter side); default: one run on
   * the whole image (CenterNet's input is 512 px, so objects under about 1/16 of the image's side are rarely found).
   */
  minObjectSize?: number;
  /** At most this many detector runs per image for objects when `minObjectSize` is set (default 16). */
  maxObjectTiles?: number;
  /** Which models to load (default both). */
  objects?: boolean;
  faces?: boolean;
}

/** An object detector that finds COCO categories in an image. */
export interface Detector {
  /** CenterNet COCO object detections. */
  detectObjects(image: RgbImage | string): Promise<Detection[]>;
  /** BlazeFace face boxes (label 'face'). */
  detectFaces(image: RgbImage | string): Promise<Detection[]>;
  /** Free the detector's model and backend. */
  close(): Promise<void>;
}

// Minimal view of the parts of Human we use (its own typings pull in all of tfjs).
interface HumanTensor {
  dispose(): void;
}
interface HumanResult {
  object: Array<{ box: [number, number, number, number]; label: string; score: number }>;
  face: Array<{ box: [number, number, number, number]; score: number; boxScore?: number }>;
}
interface HumanInstance {
  load(): Promise<void>;
  detect(input: HumanTensor): Promise<HumanResult>;
  tf: { tensor(data: Uint8Array, shape: number[], dtype: string): HumanTensor };
  models: { models: Record<string, unknown> };
}

function localRequire(): NodeRequire {
  // ESM: import.meta.url is set; the CJS build (where tsup leaves import.meta empty) has a real `require`.
  const url = import.meta.url as string | undefined;
  return url ? createRequire(url) : require;
}

/** Where @vladmandic/human and the WASM binaries live (the package's `exports` map hides its subpaths). */
function locate(): { humanWasm: string; modelsDir: string; wasmDir: string } {
  const req = localRequire();
  try {
    const humanDist = dirname(req.resolve('@vladmandic/human'));
    const wasmDir = `${dirname(req.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
    return { humanWasm: join(humanDist, 'human.node-wasm.js'), modelsDir: join(humanDist, '..', 'models'), wasmDir };
  } catch (error) {
    throw new PseudoDataError(
      'MODEL',
      `the embedded detector needs @vladmandic/human and @tensorflow/tfjs-backend-wasm: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Serve `dir` on 127.0.0.1 (random port) by file name only; returns the base URL and a closer. */
async function serveFolder(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const name = basename(decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/'));
    readFile(join(dir, name)).then(
      (data) => response.end(data),
      () => {
        response.statusCode = 404;
        response.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Read an image file into RGB pixels (alpha dropped, EXIF orientation applied). */
export async function readRgb(file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (error) {
    throw new PseudoDataError('BAD_INPUT', `${file}: cannot read the image: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The default face score threshold (recall-leaning; see `DetectorOptions.faceScoreThreshold`). */
const DEFAULT_FACE_SCORE = 0.4;

function checkThreshold(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new PseudoDataError('BAD_OPTION', `${name} must be in [0, 1], got ${value}`);
  return value;
}

function checkSize(value: number, name: string): number {
  if (!(Number.isFinite(value) && value >= 1)) {
    throw new PseudoDataError('BAD_OPTION', `${name} must be a number >= 1, got ${value}`);
  }
  return value;
}

/** BlazeFace (back-camera model, as @vladmandic/human ships it) reads a 256 px square. */
const FACE_INPUT = 256;
/**
 * The smallest face BlazeFace finds reliably, in pixels of its input: measured on the composited set (bench), 16 px
 * misses a quarter of the 12-16 px faces at the default score, 20 px finds them as well as 24 px with fewer tiles.
 */
const FACE_MIN_AT_INPUT = 20;
/** CenterNet reads a 512 px square. */
const OBJECT_INPUT = 512;
/** The smallest object CenterNet finds, in pixels of its input (bench: recall by size on composited people). */
const OBJECT_MIN_AT_INPUT = 32;

/** Luminance spread inside a box: a face has features; a box on a flat area (a black border) is no face. */
function isFlat(image: RgbImage, [x1, y1, x2, y2]: Detection['box']): boolean {
  let n = 0;
  let sum = 0;
  let sq = 0;
  const step = Math.max(1, Math.floor((x2 - x1) / 16));
  for (let y = Math.floor(y1); y < Math.ceil(y2) && y < image.height; y += step) {
    for (let x = Math.floor(x1); x < Math.ceil(x2) && x < image.width; x += step) {
      const i = (y * image.width + x) * 3;
      const l = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
      n++;
      sum += l;
      sq += l * l;
    }
  }
  return n === 0 || Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) < FLAT_STDDEV;
}
const FLAT_STDDEV = 4;

/**
 * Load the embedded detectors. One detection runs at a time (calls are queued): TF.js keeps global state.
 * Faces are found on overlapping tiles at several scales (down to `minFaceSize`, at most `maxFaceTiles` runs per
 * image) and merged; objects likewise when `minObjectSize` is set. Boxes are clamped to the image; detections under
 * the thresholds are dropped.
 */
export async function createDetector(options: DetectorOptions = {}): Promise<Detector> {
  const objectThreshold = checkThreshold(options.scoreThreshold ?? 0.3, 'scoreThreshold');
  const faceThreshold = checkThreshold(options.faceScoreThreshold ?? DEFAULT_FACE_SCORE, 'faceScoreThreshold');
  const minFace = checkSize(options.minFaceSize ?? 12, 'minFaceSize');
  const maxFaceTiles = checkSize(options.maxFaceTiles ?? 64, 'maxFaceTiles');
  const minObject = options.minObjectSize === undefined ? undefined : checkSize(options.minObjectSize, 'minObjectSize');
  const maxObjectTiles = checkSize(options.maxObjectTiles ?? 16, 'maxObjectTiles');
  const maxFaces = checkSize(options.maxFaces ?? 20, 'maxFaces');
  const maxDetections = checkSize(options.maxDetections ?? 50, 'maxDetections');
  const useObjects = options.objects ?? true;
  const useFaces = options.faces ?? true;
  const { humanWasm, modelsDir, wasmDir } = locate();
  const server = await serveFolder(modelsDir);
  let human: HumanInstance;
  try {
    const { Human } = localRequire()(humanWasm) as { Human: new (config: unknown) => HumanInstance };
    human = new Human({
      backend: 'wasm',
      wasmPath: wasmDir,
      modelBasePath: server.url,
      debug: false,
      cacheSensitivity: 0,
      filter: { enabled: false },
      face: {
        enabled: useFaces,
        detector: { enabled: true, rotation: false, maxDetected: maxFaces, minConfidence: faceThreshold },
        mesh: { enabled: false },
        iris: { enabled: false },
        attention: { enabled: false },
        description: { enabled: false },
        emotion: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
      object: {
        enabled: useObjects,
        modelPath: 'centernet.json',
        minConfidence: objectThreshold,
        maxDetected: maxDetections,
      },
    });
    await human.load();
  } catch (error) {
    throw new PseudoDataError('MODEL', `cannot load the embedded detectors: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await server.close();
  }

  let queue: Promise<unknown> = Promise.resolve();
  const run = async (image: RgbImage | string): Promise<{ result: HumanResult; width: number; height: number }> => {
    const rgb = typeof image === 'string' ? await readRgb(image) : image;
    const job = queue.then(async () => {
      const tensor = human.tf.tensor(rgb.data, [1, rgb.height, rgb.width, 3], 'int32');
      try {
        return await human.detect(tensor);
      } finally {
        tensor.dispose();
      }
    });
    queue = job.catch(() => {});
    try {
      return { result: await job, width: rgb.width, height: rgb.height };
    } catch (error) {
      throw new PseudoDataError('MODEL', `detection failed: ${(error as Error).message}`, { cause: error });
    }
  };
  const toDetection = (box: [number, number, number, number], width: number, height: number) => {
    const [x, y, w, h] = box;
    const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
    return [clamp(x, width), clamp(y, height), clamp(x + w, width), clamp(y + h, height)] as [
      number,
      number,
      number,
      number,
    ];
  };
  return {
    async detectObjects(image) {
      if (!useObjects) throw new PseudoDataError('BAD_OPTION', 'this detector was created with objects: false');
      const rgb = typeof image === 'string' ? await readRgb(image) : image;
      const once = async (input: RgbImage) => {
        const { result, width, height } = await run(input);
        return result.object
          .filter((d) => d.score >= objectThreshold)
          .map((d) => ({ box: toDetection(d.box, width, height), label: d.label, score: d.score }))
          .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
      };
      if (minObject === undefined) return once(rgb);
      const plan = planTiles(rgb.width, rgb.height, {
        inputSize: OBJECT_INPUT,
        minAtInput: OBJECT_MIN_AT_INPUT,
        minObject,
        maxTiles: maxObjectTiles,
      });
      return detectTiled(rgb, plan, OBJECT_INPUT, once);
    },
    async detectFaces(image) {
      if (!useFaces) throw new PseudoDataError('BAD_OPTION', 'this detector was created with faces: false');
      const rgb = typeof image === 'string' ? await readRgb(image) : image;
      const plan = planTiles(rgb.width, rgb.height, {
        inputSize: FACE_INPUT,
        minAtInput: FACE_MIN_AT_INPUT,
        minObject: minFace,
        maxTiles: maxFaceTiles,
      });
      const faces = await detectTiled(rgb, plan, FACE_INPUT, async (input) => {
        const { result, width, height } = await run(input);
        return result.face
          .filter((f) => (f.boxScore ?? f.score) >= faceThreshold)
          .map((f) => ({ box: toDetection(f.box, width, height), label: 'face', score: f.boxScore ?? f.score }))
          .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
      });
      return faces.filter((f) => !isFlat(rgb, f.box));
    },
    async close() {
      await queue;
    },
  };
}
