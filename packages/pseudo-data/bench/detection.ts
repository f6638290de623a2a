// Recall of the privacy face blurrer and of the embedded object detector, by size, on composited sets whose ground
// truth is the compositing itself (src/test-support/composite.ts: real face crops and people from the photos that
// ship in @vladmandic/human, pasted at known boxes onto real, face-free backgrounds).
import type { BenchGoal } from '../../../scripts/bench-report.ts';
import { createDetector, type Detector, readRgb } from '../src/index.js';
import { type Box, compositeSet, humanAssetsDir, matchBoxes } from '../src/test-support/composite.js';

export interface BenchPart {
  figures: Record<string, number>;
  goals: BenchGoal[];
}

const FACE_BUCKETS = [
  [12, 16],
  [16, 24],
  [24, 48],
  [48, 96],
  [96, 200],
] as const;
const PERSON_BUCKETS = [
  [16, 32],
  [32, 64],
  [64, 128],
  [128, 256],
] as const;

interface Tally {
  found: number[];
  total: number[];
  falsePositives: number;
  images: number;
  seconds: number;
}

async function tally(
  set: Array<{ image: Parameters<Detector['detectFaces']>[0]; boxes: Box[] }>,
  buckets: ReadonlyArray<readonly [number, number]>,
  sizeOf: (box: Box) => number,
  detect: (image: Parameters<Detector['detectFaces']>[0]) => Promise<Box[]>,
  minIou: number,
): Promise<Tally> {
  const t: Tally = {
    found: buckets.map(() => 0),
    total: buckets.map(() => 0),
    falsePositives: 0,
    images: 0,
    seconds: 0,
  };
  for (const { image, boxes } of set) {
    const start = performance.now();
    const detections = await detect(image);
    t.seconds += (performance.now() - start) / 1000;
    const match = matchBoxes(boxes, detections, minIou);
    boxes.forEach((box, i) => {
      const size = sizeOf(box);
      const k = buckets.findIndex(([lo, hi]) => size >= lo && size < hi);
      if (k < 0) return;
      t.total[k]!++;
      if (match.found[i]) t.found[k]!++;
    });
    t.falsePositives += match.falsePositives;
    t.images++;
  }
  return t;
}

const pct = (found: number, total: number) => (total === 0 ? 0 : (100 * found) / total);
const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((a, b) => a + b, 0);

/** Faces: the tiled detector (defaults) against one run on the whole image (the 0.1.0 behaviour). */
export async function benchFaces(images: number): Promise<BenchPart> {
  const set = await compositeSet({ kind: 'faces', images, perImage: 10, buckets: FACE_BUCKETS, seed: 'bench' });
  const width = (b: Box) => b[2] - b[0];
  const figures: Record<string, number> = { 'faces: images (640x480)': images };
  const tiled = await createDetector({ objects: false });
  const t = await tally(set, FACE_BUCKETS, width, async (i) => (await tiled.detectFaces(i)).map((d) => d.box), 0.3);
  // The 0.1.0 behaviour: Human's BlazeFace once on the whole image, score 0.5 (a cap of one tile, no smaller level).
  const once = await createDetector({ objects: false, faceScoreThreshold: 0.5, maxFaceTiles: 1 });
  const o = await tally(set, FACE_BUCKETS, width, async (i) => (await once.detectFaces(i)).map((d) => d.box), 0.3);
  FACE_BUCKETS.forEach(([lo, hi], k) => {
    figures[`faces ${lo}-${hi} px: count`] = t.total[k]!;
    figures[`faces ${lo}-${hi} px: recall tiled (%)`] = pct(t.found[k]!, t.total[k]!);
    figures[`faces ${lo}-${hi} px: recall whole image, 0.1.0 (%)`] = pct(o.found[k]!, o.total[k]!);
  });
  const small = pct(sum(t.found, 0, 2), sum(t.total, 0, 2));
  const large = pct(sum(t.found, 2, 5), sum(t.total, 2, 5));
  figures['faces 12-24 px: recall tiled (%)'] = small;
  figures['faces >= 24 px: recall tiled (%)'] = large;
  figures['faces: false positives per image, tiled'] = t.falsePositives / t.images;
  figures['faces: false positives per image, whole image'] = o.falsePositives / o.images;
  figures['faces: seconds per image, tiled'] = t.seconds / t.images;
  figures['faces: seconds per image, whole image'] = o.seconds / o.images;

  // The two real photos of the issue: faces blurred (hand counts of the faces in them are in the README).
  for (const name of ['samples.jpg', 'screenshot-facedetect.jpg']) {
    const rgb = await readRgb(`${humanAssetsDir()}/${name}`);
    figures[`${name}: faces found, tiled`] = (await tiled.detectFaces(rgb)).length;
    figures[`${name}: faces found, whole image`] = (await once.detectFaces(rgb)).length;
  }
  await tiled.close();
  await once.close();
  return {
    figures,
    goals: [
      { name: 'faces >= 24 px: recall tiled (%)', value: large, goal: '>= 95 %', met: large >= 95 },
      { name: 'faces 12-24 px: recall tiled (%)', value: small, goal: '>= 80 %', met: small >= 80 },
    ],
  };
}

/** People: CenterNet's recall by person height, once on the whole image and tile by tile. */
export async function benchObjects(images: number): Promise<BenchPart> {
  const set = await compositeSet({ kind: 'people', images, perImage: 4, buckets: PERSON_BUCKETS, seed: 'bench' });
  const height = (b: Box) => b[3] - b[1];
  const figures: Record<string, number> = { 'people: images (640x480)': images };
  const people = (d: Detector) => async (i: Parameters<Detector['detectFaces']>[0]) =>
    (await d.detectObjects(i)).filter((x) => x.label === 'person').map((x) => x.box);
  const once = await createDetector({ faces: false });
  const o = await tally(set, PERSON_BUCKETS, height, people(once), 0.5);
  const tiled = await createDetector({ faces: false, minObjectSize: 16 });
  const t = await tally(set, PERSON_BUCKETS, height, people(tiled), 0.5);
  PERSON_BUCKETS.forEach(([lo, hi], k) => {
    figures[`people ${lo}-${hi} px tall: count`] = o.total[k]!;
    figures[`people ${lo}-${hi} px tall: recall whole image (%)`] = pct(o.found[k]!, o.total[k]!);
    figures[`people ${lo}-${hi} px tall: recall tiled (%)`] = pct(t.found[k]!, t.total[k]!);
  });
  figures['people: seconds per image, whole image'] = o.seconds / o.images;
  figures['people: seconds per image, tiled'] = t.seconds / t.images;
  const group = await readRgb(`${humanAssetsDir()}/samples.jpg`);
  // The group photo below the thumbnails (rows 196-1158): people boxed (hand count in the README).
  const crop = { data: group.data.subarray(196 * group.width * 3), width: group.width, height: group.height - 196 };
  figures['group photo: people boxed, whole image'] = (await people(once)(crop)).length;
  figures['group photo: people boxed, tiled'] = (await people(tiled)(crop)).length;
  await once.close();
  await tiled.close();
  return { figures, goals: [] };
}
