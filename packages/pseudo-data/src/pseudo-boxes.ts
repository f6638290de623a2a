// Weak supervision with the embedded detector (paper Sec. 3.4): pseudo boxes for images that have no box labels,
// written as a COCO instances file that Localize-Instruct reads like any other.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { type JobProgress, openRunFile, runJob, writeFileAtomic } from '@locvlm/runtime';
import type { CocoAnnotation, CocoDataset } from './coco.js';
import { COCO_CATEGORIES } from './coco-categories.js';
import type { Detection, Detector } from './detector.js';
import { readRgb } from './detector.js';
import { PseudoDataError } from './errors.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif']);

/** Image files directly in `dir` (by extension), sorted by name so ids are stable. */
export async function listImageFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new PseudoDataError('IO', `cannot list images in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return names.filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).sort();
}

/** What the run file keeps per image. */
export interface ImageDetections {
  width: number;
  height: number;
  detections: Detection[];
}

/** Options of `pseudoBoxes` (boxes from the embedded detector). */
export interface PseudoBoxesOptions {
  detector: Detector;
  imagesDir: string;
  /** Image files relative to `imagesDir` (default: every image file in it). */
  files?: readonly string[];
  /** Resumable run file (JSONL): one line per image. */
  runFile: string;
  /** Recorded in the run file so a resume with a different detector setting is refused. */
  detectorConfig?: Record<string, string | number | boolean>;
  /** Images decoded ahead while the detector works (detection itself runs one at a time). Default 2. */
  concurrency?: number;
  /** Called after each image. */
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

/** A COCO annotation from a detector, with its score. */
export interface ScoredAnnotation extends CocoAnnotation {
  score: number;
}

/** A COCO dataset of pseudo boxes: image ids are 1..n in file-name order, categories are COCO's 80. */
export interface PseudoBoxDataset extends CocoDataset {
  annotations: ScoredAnnotation[];
}

/** Detect objects in every image (resumable), and return them as a COCO instances dataset. */
export async function detectPseudoBoxes(options: PseudoBoxesOptions): Promise<PseudoBoxDataset> {
  const files = options.files ?? (await listImageFiles(options.imagesDir));
  const runFile = await openRunFile<ImageDetections>(options.runFile, {
    job: 'pseudo-boxes',
    detector: 'centernet (@vladmandic/human)',
    files: files.length,
    ...(options.detectorConfig ?? {}),
  }).catch((error: Error) => {
    throw new PseudoDataError('RUN_FILE', error.message, { cause: error });
  });
  let entries: Array<{ item: string; result: ImageDetections }>;
  try {
    entries = await runJob<string, ImageDetections>({
      items: files,
      keyOf: (file) => file,
      runFile,
      concurrency: options.concurrency ?? 2,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      work: async (file) => {
        const rgb = await readRgb(join(options.imagesDir, file));
        const detections = await options.detector.detectObjects(rgb);
        return { width: rgb.width, height: rgb.height, detections };
      },
    });
  } finally {
    await runFile.close();
  }
  const idOf = new Map(COCO_CATEGORIES.map((c) => [c.name, c.id]));
  const dataset: PseudoBoxDataset = { images: [], annotations: [], categories: COCO_CATEGORIES.map((c) => ({ ...c })) };
  let annotationId = 1;
  entries.forEach(({ item, result }, i) => {
    const imageId = i + 1;
    dataset.images.push({ id: imageId, file_name: item, width: result.width, height: result.height });
    for (const d of result.detections) {
      const categoryId = idOf.get(d.label);
      if (categoryId === undefined) continue; // not a COCO category name
      const [x1, y1, x2, y2] = d.box;
      dataset.annotations.push({
        id: annotationId++,
        image_id: imageId,
        category_id: categoryId,
        bbox: [x1, y1, x2 - x1, y2 - y1],
        area: (x2 - x1) * (y2 - y1),
        iscrowd: 0,
        score: d.score,
      });
    }
  });
  return dataset;
}

/** Write a (pseudo-box) COCO dataset as an instances JSON file, atomically. */
export async function writeCocoInstances(file: string, dataset: CocoDataset): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(dataset)}\n`);
}
