import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { COCO_CATEGORIES } from './coco-categories.js';
import { createDetector, type Detector, readRgb } from './detector.js';
import { imagesFromCoco } from './objects.js';
import { blurRegions, writeDerivedImage } from './privacy.js';
import { detectPseudoBoxes } from './pseudo-boxes.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const imagesDir = join(fixtures, 'images');

function iou(a: readonly number[], b: readonly number[]): number {
  const [ax1 = 0, ay1 = 0, ax2 = 0, ay2 = 0] = a;
  const [bx1 = 0, by1 = 0, bx2 = 0, by2 = 0] = b;
  const w = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const h = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = w * h;
  return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
}

let detector: Detector;
beforeAll(async () => {
  // Low thresholds: the fixture is flat shapes, not photos; CenterNet still finds them, with low scores.
  detector = await createDetector({ scoreThreshold: 0.1, faceScoreThreshold: 0.5 });
}, 60_000);
afterAll(async () => {
  await detector?.close();
});

describe('embedded CenterNet detector', () => {
  it('finds the drawn shapes: well-formed boxes inside the image, each on a drawn object', async () => {
    const coco = imagesFromCoco(await readCocoInstances(join(fixtures, 'instances.json')));
    const names = new Set(COCO_CATEGORIES.map((c) => c.name));
    let total = 0;
    for (const image of coco) {
      const detections = await detector.detectObjects(join(imagesDir, image.file));
      for (const d of detections) {
        const [x1, y1, x2, y2] = d.box;
        expect(0 <= x1 && x1 < x2 && x2 <= image.width && 0 <= y1 && y1 < y2 && y2 <= image.height).toBe(true);
        expect(d.score).toBeGreaterThanOrEqual(0.1);
        expect(names.has(d.label)).toBe(true);
        const best = Math.max(...image.objects.map((o) => iou(o.box, d.box)));
        expect(best).toBeGreaterThan(0.5);
      }
      if (image.file === 'empty.png') expect(detections).toEqual([]);
      total += detections.length;
    }
    expect(total).toBeGreaterThan(0);
  }, 60_000);

  it('writes pseudo boxes as a COCO dataset, resumable from its run file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pseudo-boxes-'));
    const runFile = join(dir, 'run.jsonl');
    const dataset = await detectPseudoBoxes({ detector, imagesDir, runFile, detectorConfig: { score: 0.1 } });
    expect(dataset.images.map((i) => i.file_name)).toEqual([
      'apple-and-people.png',
      'cat-and-two-dogs.png',
      'empty.png',
      'umbrella-and-stop-sign.png',
    ]);
    expect(dataset.annotations.length).toBeGreaterThan(0);
    for (const a of dataset.annotations) expect(a.bbox[2] > 0 && a.bbox[3] > 0).toBe(true);
    // A second run reads every image from the run file: the detector is not needed.
    const again = await detectPseudoBoxes({
      detector: {
        detectObjects: () => Promise.reject(new Error('should not be called')),
        detectFaces: () => Promise.reject(new Error('should not be called')),
        close: async () => {},
      },
      imagesDir,
      runFile,
      detectorConfig: { score: 0.1 },
    });
    expect(again).toEqual(dataset);
    await expect(detectPseudoBoxes({ detector, imagesDir, runFile, detectorConfig: { score: 0.5 } })).rejects.toThrow(
      /different configuration/,
    );
  }, 60_000);
});

describe('face blurring', () => {
  it('blurs inside the given boxes only', async () => {
    const width = 40;
    const height = 20;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++)
      data.fill(((i % width) + Math.floor(i / width)) % 2 ? 255 : 0, i * 3, i * 3 + 3);
    const blurred = await blurRegions({ data, width, height }, [[5, 5, 15, 15]], { margin: 0, sigma: 3 });
    const at = (img: Uint8Array, x: number, y: number) => img[(y * width + x) * 3];
    expect(at(blurred.data, 10, 10)).toBeGreaterThan(60);
    expect(at(blurred.data, 10, 10)).toBeLessThan(200);
    expect(at(blurred.data, 30, 10)).toBe(at(data, 30, 10));
    expect(at(blurred.data, 2, 2)).toBe(at(data, 2, 2));
  });

  it('writes derived images with faces blurred by default, untouched when switched off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blur-'));
    const source = join(imagesDir, 'cat-and-two-dogs.png');
    const original = await readRgb(source);
    const faces = await writeDerivedImage(source, join(dir, 'a.png'), { detector });
    // BlazeFace takes the round orange shape for a face; whatever it finds gets blurred.
    expect(faces.length).toBeGreaterThan(0);
    const blurred = await readRgb(join(dir, 'a.png'));
    const [x1, y1, x2, y2] = faces[0]?.box ?? [0, 0, 0, 0];
    let changed = 0;
    for (let y = Math.ceil(y1); y < y2; y++) {
      for (let x = Math.ceil(x1); x < x2; x++)
        if (blurred.data[(y * 160 + x) * 3] !== original.data[(y * 160 + x) * 3]) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    // Far from any face nothing changes.
    expect(blurred.data[(110 * 160 + 5) * 3]).toBe(original.data[(110 * 160 + 5) * 3]);
    await writeDerivedImage(source, join(dir, 'b.png'), { blurFaces: false });
    expect(Buffer.from((await readRgb(join(dir, 'b.png'))).data).equals(Buffer.from(original.data))).toBe(true);
    await expect(writeDerivedImage(source, join(dir, 'c.png'))).rejects.toThrow(/needs a detector/);
  }, 60_000);
});
