import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { COCO_CATEGORIES } from './coco-categories.js';
import { createDetector, type Detector, readRgb } from './detector.js';
import { imagesFromCoco } from './objects.js';
import { blurFacesInFolder, blurRegions, writeDerivedImage } from './privacy.js';
import { detectPseudoBoxes } from './pseudo-boxes.js';
import { compositeSet, matchBoxes } from './test-support/composite.js';

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
    // Two real faces pasted onto a real background (the fixture's flat shapes have none: an orange disc that
    // BlazeFace once took for a face is a flat area, which the face detector now refuses).
    const [composited] = await compositeSet({
      kind: 'faces',
      images: 1,
      perImage: 2,
      buckets: [[40, 60]],
      seed: 'derived',
      width: 160,
      height: 120,
    });
    const { image: original, boxes } = composited!;
    const source = join(dir, 'source.png');
    await sharp(Buffer.from(original.data), { raw: { width: 160, height: 120, channels: 3 } }).toFile(source);
    const faces = await writeDerivedImage(source, join(dir, 'a.png'), { detector });
    expect(
      matchBoxes(
        boxes!,
        faces.map((f) => f.box),
      ).found,
    ).toEqual([true, true]);
    const blurred = await readRgb(join(dir, 'a.png'));
    const input = await readRgb(source);
    for (const [x1, y1, x2, y2] of boxes) {
      let changed = 0;
      for (let y = Math.ceil(y1); y < y2; y++) {
        for (let x = Math.ceil(x1); x < x2; x++)
          if (blurred.data[(y * 160 + x) * 3] !== input.data[(y * 160 + x) * 3]) changed++;
      }
      expect(changed / ((x2 - x1) * (y2 - y1))).toBeGreaterThan(0.5);
    }
    // Far from any face (with its margin) nothing changes.
    const far = (x: number, y: number) =>
      faces.every((f) => x < f.box[0] - 20 || x > f.box[2] + 20 || y < f.box[1] - 20 || y > f.box[3] + 20);
    let checked = 0;
    for (let y = 0; y < 120; y += 3)
      for (let x = 0; x < 160; x += 3)
        if (far(x, y)) {
          expect(blurred.data[(y * 160 + x) * 3]).toBe(input.data[(y * 160 + x) * 3]);
          checked++;
        }
    expect(checked).toBeGreaterThan(100);
    await writeDerivedImage(source, join(dir, 'b.png'), { blurFaces: false });
    expect(Buffer.from((await readRgb(join(dir, 'b.png'))).data).equals(Buffer.from(input.data))).toBe(true);
    await expect(writeDerivedImage(source, join(dir, 'c.png'))).rejects.toThrow(/needs a detector/);
    await expect(blurRegions(input, [[1, 1, 9, 9]], { margin: -1 })).rejects.toThrow(
      'margin must be a number >= 0, got -1',
    );
  }, 60_000);

  it('does not take the flat shapes of the fixture for faces', async () => {
    for (const file of ['cat-and-two-dogs.png', 'empty.png'])
      expect(await detector.detectFaces(join(imagesDir, file))).toEqual([]);
  }, 60_000);
});

describe('faces for privacy: tiled detection finds small faces', () => {
  // Real face crops (from the photos @vladmandic/human ships) pasted at known boxes onto real backgrounds.
  const buckets = [
    [12, 16],
    [16, 24],
    [24, 48],
    [48, 96],
  ] as const;
  let faces: Detector;
  beforeAll(async () => {
    faces = await createDetector({ objects: false });
  }, 60_000);
  afterAll(async () => {
    await faces?.close();
  });

  it('finds the faces of a fixed composited set by size, far more small ones than one run on the whole image', async () => {
    const set = await compositeSet({
      kind: 'faces',
      images: 3,
      perImage: 8,
      buckets,
      seed: 'unit',
      width: 320,
      height: 240,
    });
    const once = await createDetector({ objects: false, faceScoreThreshold: 0.5, maxFaceTiles: 1 });
    const found = { small: [0, 0], large: [0, 0], smallOnce: 0 };
    for (const { image, boxes } of set) {
      const tiled = matchBoxes(
        boxes,
        (await faces.detectFaces(image)).map((d) => d.box),
      );
      const whole = matchBoxes(
        boxes,
        (await once.detectFaces(image)).map((d) => d.box),
      );
      boxes.forEach((box, i) => {
        const small = box[2] - box[0] < 24;
        const tally = small ? found.small : found.large;
        tally[1]!++;
        if (tiled.found[i]) tally[0]!++;
        if (small && whole.found[i]) found.smallOnce++;
      });
    }
    await once.close();
    expect(found.small[1]).toBeGreaterThanOrEqual(10);
    expect(found.large[0]).toBe(found.large[1]); // every face of 24 px and more
    expect(found.small[0]! / found.small[1]!).toBeGreaterThanOrEqual(0.8);
    expect(found.smallOnce).toBeLessThan(found.small[0]! / 2);
  }, 60_000);

  it('blurs a folder of images (the privacy step alone): faces per image in stats.json, resumable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blur-folder-'));
    const imagesIn = join(dir, 'in');
    const out = join(dir, 'out');
    const set = await compositeSet({
      kind: 'faces',
      images: 2,
      perImage: 3,
      buckets: [[40, 60]],
      seed: 'folder',
      width: 240,
      height: 180,
    });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(imagesIn);
    for (const [i, { image }] of set.entries()) {
      await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).toFile(
        join(imagesIn, `${i}.png`),
      );
    }
    const { stats, statsFile } = await blurFacesInFolder({ detector: faces, imagesDir: imagesIn, outDir: out });
    expect(stats.images).toBe(2);
    expect(stats.perImage).toEqual({ '0.png': 3, '1.png': 3 });
    expect(stats.faces).toBe(6);
    expect(JSON.parse(readFileSync(statsFile, 'utf8'))).toEqual(stats);
    // Inside every pasted face the pixels changed; the corner (no face there) did not.
    for (const [i, { image, boxes }] of set.entries()) {
      const written = await readRgb(join(out, `${i}.png`));
      for (const [x1, y1, x2, y2] of boxes) {
        const at = (Math.round((y1 + y2) / 2) * image.width + Math.round((x1 + x2) / 2)) * 3;
        let diff = 0;
        for (let y = Math.ceil(y1); y < y2; y++)
          for (let x = Math.ceil(x1); x < x2; x++) {
            const k = (y * image.width + x) * 3;
            diff += Math.abs(written.data[k]! - image.data[k]!);
          }
        expect(diff / ((x2 - x1) * (y2 - y1))).toBeGreaterThan(3);
        expect(at).toBeGreaterThan(0);
      }
    }
    // A second run reads the run file: no detection.
    const again = await blurFacesInFolder({
      detector: {
        detectObjects: () => Promise.reject(new Error('should not be called')),
        detectFaces: () => Promise.reject(new Error('should not be called')),
        close: async () => {},
      },
      imagesDir: imagesIn,
      outDir: out,
    });
    expect(again.stats).toEqual(stats);
    await expect(blurFacesInFolder({ detector: faces, imagesDir: imagesIn, outDir: imagesIn })).rejects.toThrow(
      /is the images folder/,
    );
  }, 60_000);
});
