// Regenerates the test fixtures in fixtures/ (run: npm run fixtures -w @locvlm/pseudo-data).
// Images are drawn by sharp from SVG; the COCO, panoptic and refs JSON describe exactly what is drawn.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const root = new URL('../fixtures/', import.meta.url).pathname;

interface Shape {
  /** COCO annotation id. */
  id: number;
  category: number;
  kind: 'rect' | 'circle';
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
  iscrowd?: 0 | 1;
}

const categories = [
  { id: 1, name: 'person', supercategory: 'person' },
  { id: 2, name: 'dog', supercategory: 'animal' },
  { id: 3, name: 'cat', supercategory: 'animal' },
  { id: 5, name: 'apple', supercategory: 'food' },
  { id: 7, name: 'umbrella', supercategory: 'accessory' },
  { id: 9, name: 'stop sign', supercategory: 'outdoor' },
];

// Each image exercises a rule: unique objects, repeated categories, crowd regions, an empty box, no objects.
const images: Array<{ id: number; file: string; width: number; height: number; shapes: Shape[] }> = [
  {
    id: 101,
    file: 'cat-and-two-dogs.png',
    width: 160,
    height: 120,
    shapes: [
      { id: 1001, category: 3, kind: 'circle', x: 10, y: 20, w: 40, h: 40, fill: '#f28c28' },
      { id: 1002, category: 2, kind: 'rect', x: 70, y: 10, w: 30, h: 25, fill: '#8b5a2b' },
      { id: 1003, category: 2, kind: 'rect', x: 110, y: 70, w: 40, h: 35, fill: '#6b4423' },
    ],
  },
  {
    id: 102,
    file: 'apple-and-people.png',
    width: 128,
    height: 96,
    shapes: [
      { id: 1004, category: 5, kind: 'circle', x: 80, y: 40, w: 30, h: 30, fill: '#d22' },
      { id: 1005, category: 1, kind: 'rect', x: 5, y: 5, w: 20, h: 60, fill: '#3366cc' },
      { id: 1006, category: 1, kind: 'rect', x: 30, y: 10, w: 40, h: 70, fill: '#2255aa', iscrowd: 1 },
    ],
  },
  {
    id: 103,
    file: 'umbrella-and-stop-sign.png',
    width: 100,
    height: 100,
    shapes: [
      { id: 1007, category: 7, kind: 'rect', x: 20, y: 30, w: 0, h: 20, fill: '#000' },
      { id: 1008, category: 9, kind: 'rect', x: 50, y: 50, w: 40, h: 40, fill: '#c00' },
      { id: 1009, category: 2, kind: 'circle', x: 5, y: 60, w: 30, h: 30, fill: '#a0522d' },
    ],
  },
  { id: 104, file: 'empty.png', width: 64, height: 48, shapes: [] },
];

/** Panoptic colour of a segment id: id = R + 256*G + 256^2*B. */
function idColour(segmentId: number): string {
  const r = segmentId % 256;
  const g = Math.floor(segmentId / 256) % 256;
  const b = Math.floor(segmentId / 65536) % 256;
  return `rgb(${r},${g},${b})`;
}

function svg(width: number, height: number, body: string, background: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" shape-rendering="crispEdges">` +
      `<rect x="0" y="0" width="${width}" height="${height}" fill="${background}"/>${body}</svg>`,
  );
}

function shapeSvg(shape: Shape, fill: string, rectOnly: boolean): string {
  if (shape.kind === 'circle' && !rectOnly) {
    return `<ellipse cx="${shape.x + shape.w / 2}" cy="${shape.y + shape.h / 2}" rx="${shape.w / 2}" ry="${shape.h / 2}" fill="${fill}"/>`;
  }
  return `<rect x="${shape.x}" y="${shape.y}" width="${shape.w}" height="${shape.h}" fill="${fill}"/>`;
}

rmSync(root, { recursive: true, force: true });
mkdirSync(join(root, 'images'), { recursive: true });
mkdirSync(join(root, 'panoptic'), { recursive: true });

const cocoImages = images.map(({ id, file, width, height }) => ({ id, file_name: file, width, height }));
const annotations = images.flatMap((image) =>
  image.shapes.map((s) => ({
    id: s.id,
    image_id: image.id,
    category_id: s.category,
    bbox: [s.x, s.y, s.w, s.h],
    area: s.w * s.h,
    iscrowd: s.iscrowd ?? 0,
    segmentation: [[s.x, s.y, s.x + s.w, s.y, s.x + s.w, s.y + s.h, s.x, s.y + s.h]],
  })),
);
writeFileSync(
  join(root, 'instances.json'),
  `${JSON.stringify({ info: { description: 'LocVLM-TS pseudo-data fixture' }, images: cocoImages, annotations, categories }, null, 1)}\n`,
);

// Panoptic: every shape drawn as a rectangle in its segment colour (boxes are then exact), plus a 'wall' stuff
// segment along the bottom row so stuff categories are exercised.
const panopticCategories = [
  ...categories.map((c) => ({ ...c, isthing: 1 })),
  { id: 200, name: 'wall', supercategory: 'wall', isthing: 0 },
];
const panopticAnnotations = [];
for (const image of images) {
  const shapes = image.shapes.filter((s) => s.w > 0 && s.h > 0);
  const wallId = 7000 + image.id;
  const body =
    shapes.map((s) => shapeSvg(s, idColour(s.id), true)).join('') +
    `<rect x="0" y="${image.height - 4}" width="${image.width}" height="4" fill="${idColour(wallId)}"/>`;
  const png = image.file.replace(/\.png$/, '_panoptic.png');
  await sharp(svg(image.width, image.height, body, 'rgb(0,0,0)'))
    .png()
    .toFile(join(root, 'panoptic', png));
  panopticAnnotations.push({
    image_id: image.id,
    file_name: png,
    segments_info: [
      ...shapes.map((s) => ({
        id: s.id,
        category_id: s.category,
        iscrowd: s.iscrowd ?? 0,
        bbox: [s.x, s.y, s.w, s.h],
        area: s.w * s.h,
      })),
      { id: wallId, category_id: 200, iscrowd: 0, bbox: [0, image.height - 4, image.width, 4], area: image.width * 4 },
    ],
  });
}
writeFileSync(
  join(root, 'panoptic.json'),
  `${JSON.stringify({ images: cocoImages, annotations: panopticAnnotations, categories: panopticCategories }, null, 1)}\n`,
);

for (const image of images) {
  const body = image.shapes
    .filter((s) => s.w > 0)
    .map((s) => shapeSvg(s, s.fill, false))
    .join('');
  await sharp(svg(image.width, image.height, body, '#e8e8e0'))
    .png()
    .toFile(join(root, 'images', image.file));
}

// refer-style refs (JSON form of refs(unc).p) for two objects.
const refs = [
  {
    ref_id: 1,
    ann_id: 1001,
    image_id: 101,
    category_id: 3,
    split: 'train',
    sentences: [
      { sent: 'orange cat on the left', sent_id: 1 },
      { sent: 'round orange thing', sent_id: 2 },
    ],
    file_name: 'cat-and-two-dogs.png',
  },
  {
    ref_id: 2,
    ann_id: 1008,
    image_id: 103,
    category_id: 9,
    split: 'val',
    sentences: [{ sent: 'red square bottom right', sent_id: 3 }],
    file_name: 'umbrella-and-stop-sign.png',
  },
];
writeFileSync(join(root, 'refs.json'), `${JSON.stringify(refs, null, 1)}\n`);
console.log(`fixtures written to ${root}`);
