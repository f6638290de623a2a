// Synthetic scenes for end-to-end tests: PNG images with solid-colour rectangles (one colour per category) and the
// matching COCO instances JSON, plus a model double that answers by reading the pixels. If the tasks' targets,
// image paths, mirroring or box mapping were wrong, this "perfect" model would not score 100%.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenerateRequest, ImageSource } from '@locvlm/runtime';
import sharp from 'sharp';
import type { CocoInstances } from '../tasks/coco.js';
import { createRng } from '../tasks/prompt-text.js';
import { type FakeModel, fakeModel, lastUserText } from './fake-model.js';

export const SCENE_COLOURS: Record<string, [number, number, number]> = {
  dog: [255, 0, 0],
  cat: [0, 0, 255],
  chair: [0, 200, 0],
  bird: [255, 200, 0],
  boat: [200, 0, 200],
  kite: [0, 200, 200],
};

/**
 * Write `count` scenes (W x H) to `dir/images/scene{i}.png` and `dir/instances.json`. Each scene has three
 * categories drawn once, placed so at least one is left of the central band and one right of it.
 */
export async function writeSceneDataset(
  dir: string,
  options: { count?: number; width?: number; height?: number; seed?: number } = {},
): Promise<{ instances: string; images: string; coco: CocoInstances }> {
  const count = options.count ?? 6;
  const width = options.width ?? 120;
  const height = options.height ?? 80;
  const random = createRng(options.seed ?? 1);
  const names = Object.keys(SCENE_COLOURS);
  const categories = names.map((name, i) => ({ id: i + 1, name }));
  const images: CocoInstances['images'] = [];
  const annotations: CocoInstances['annotations'] = [];
  const imageDir = join(dir, 'images');
  mkdirSync(imageDir, { recursive: true });
  let annotationId = 1;
  for (let i = 0; i < count; i++) {
    const chosen = random.sample(names, 3);
    const size = 14;
    // Columns: one object on the left fifth, two on the right fifth (or the mirror), at different heights.
    const leftFirst = random.int(0, 1) === 0;
    const xs = leftFirst ? [4, width - size - 4, width - size - 22] : [width - size - 4, 4, 22];
    const ys = [random.int(2, 20), random.int(height - size - 20, height - size - 2), random.int(28, 38)];
    const rects = chosen.map((name, k) => ({ name, x: xs[k]!, y: ys[k]!, w: size, h: size }));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${rects
      .map(
        (r) =>
          `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="rgb(${SCENE_COLOURS[r.name]!.join(',')})"/>`,
      )
      .join('')}</svg>`;
    const fileName = `scene${i}.png`;
    await sharp(Buffer.from(svg)).png().toFile(join(imageDir, fileName));
    images.push({ id: i + 1, file_name: fileName, width, height });
    for (const r of rects) {
      annotations.push({
        id: annotationId++,
        image_id: i + 1,
        category_id: categories.find((c) => c.name === r.name)!.id,
        bbox: [r.x, r.y, r.w, r.h],
        iscrowd: 0,
      });
    }
  }
  const coco: CocoInstances = { images, annotations, categories };
  const instances = join(dir, 'instances.json');
  writeFileSync(instances, JSON.stringify(coco));
  return { instances, images: imageDir, coco };
}

/** Bounding box [x1, y1, x2, y2] (exclusive end) of each scene colour found in the image. */
export async function findColouredBoxes(source: ImageSource): Promise<Map<string, [number, number, number, number]>> {
  const input = 'path' in source ? source.path : 'bytes' in source ? Buffer.from(source.bytes) : undefined;
  if (input === undefined) throw new Error('scene model reads paths or bytes');
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const boxes = new Map<string, [number, number, number, number]>();
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const o = (y * info.width + x) * 3;
      for (const [name, [r, g, b]] of Object.entries(SCENE_COLOURS)) {
        if (Math.abs(data[o]! - r) + Math.abs(data[o + 1]! - g) + Math.abs(data[o + 2]! - b) > 30) continue;
        const box = boxes.get(name);
        if (!box) boxes.set(name, [x, y, x + 1, y + 1]);
        else
          boxes.set(name, [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)]);
      }
    }
  }
  return boxes;
}

function firstImage(request: GenerateRequest): ImageSource {
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) if (part.type === 'image') return part.image;
  }
  throw new Error('no image in the request');
}

/**
 * A model double that sees: answers COCO-Spatial questions (`Which side of X is Y ...?`, the last one asked),
 * presence questions (`Is there a/an X in the image?`), and box questions (via `writeBox`) from the pixels.
 */
export function sceneModel(
  writeBox?: (box: [number, number, number, number], size: { width: number; height: number }) => string,
): FakeModel {
  return fakeModel('scene-reader', async (request) => {
    const text = lastUserText(request);
    const image = firstImage(request);
    const boxes = await findColouredBoxes(image);
    const side = [...text.matchAll(/Which side of (?:the )?(.+?) is (?:the )?(.+?)(?: located)?\?/g)].at(-1);
    if (side) {
      const reference = boxes.get(side[1]!);
      const subject = boxes.get(side[2]!);
      if (!reference || !subject) return 'I cannot see them.';
      const dx = (subject[0] + subject[2]) / 2 - (reference[0] + reference[2]) / 2;
      const dy = (subject[1] + subject[3]) / 2 - (reference[1] + reference[3]) / 2;
      // The released wording ("Which side of the X is the Y?") is only ever about left and right.
      const releasedForm = /Which side of the /.test(side[0]);
      if (!releasedForm && (/above|below/.test(text) || Math.abs(dy) > Math.abs(dx) * 1.5)) {
        return dy < 0 ? 'It is above it.' : 'It is below it.';
      }
      return dx < 0 ? `The ${side[2]} is on the left.` : `The ${side[2]} is on the right.`;
    }
    const presence = /Is there an? (.+?) in the (image|video)\?/.exec(text);
    if (presence) return boxes.has(presence[1]!) ? 'Yes, there is.' : 'No, there is not.';
    const described = /described (.+?) (?:located|in terms)/.exec(text);
    if (described && writeBox) {
      const box = boxes.get(described[1]!);
      const { width, height } = await sharp(
        'path' in image ? image.path : Buffer.from((image as { bytes: Uint8Array }).bytes),
      ).metadata();
      return box
        ? `It is located at ${writeBox(box, { width: width!, height: height! })}`
        : 'There is no such object in the image';
    }
    return 'I do not know.';
  });
}
