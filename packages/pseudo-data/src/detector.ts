// The embedded detectors: the CenterNet COCO object detector and the BlazeFace face detector that
// @vladmandic/human ships, run offline on TensorFlow.js' WASM backend (never tfjs-node, whose install downloads a
// binary). Node's fetch refuses file:// URLs, so the model files are served from a loopback HTTP server for the
// few milliseconds it takes to load them.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { PseudoDataError } from './errors.js';

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
  /** Detections below this score are dropped (default 0.3 for objects, 0.5 for faces). */
  scoreThreshold?: number;
  faceScoreThreshold?: number;
  /** Most detections per image (default 50 objects, 20 faces). */
  maxDetections?: number;
  maxFaces?: number;
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

function checkThreshold(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new PseudoDataError('BAD_OPTION', `${name} must be in [0, 1], got ${value}`);
  return value;
}

/**
 * Load the embedded detectors. One detection runs at a time (calls are queued): TF.js keeps global state.
 * Boxes are clamped to the image; detections under the thresholds are dropped.
 */
export async function createDetector(options: DetectorOptions = {}): Promise<Detector> {
  const objectThreshold = checkThreshold(options.scoreThreshold ?? 0.3, 'scoreThreshold');
  const faceThreshold = checkThreshold(options.faceScoreThreshold ?? 0.5, 'faceScoreThreshold');
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
        detector: { enabled: true, rotation: false, maxDetected: options.maxFaces ?? 20, minConfidence: faceThreshold },
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
        maxDetected: options.maxDetections ?? 50,
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
      const { result, width, height } = await run(image);
      return result.object
        .filter((d) => d.score >= objectThreshold)
        .map((d) => ({ box: toDetection(d.box, width, height), label: d.label, score: d.score }))
        .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
    },
    async detectFaces(image) {
      if (!useFaces) throw new PseudoDataError('BAD_OPTION', 'this detector was created with faces: false');
      const { result, width, height } = await run(image);
      return result.face
        .filter((f) => (f.boxScore ?? f.score) >= faceThreshold)
        .map((f) => ({ box: toDetection(f.box, width, height), label: 'face', score: f.boxScore ?? f.score }))
        .filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
    },
    async close() {
      await queue;
    },
  };
}
