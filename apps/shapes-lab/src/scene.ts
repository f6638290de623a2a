import type { Rng } from './rng.js';
import { CATEGORIES, COLOUR_HSL, type Colour, type Shape, type Size } from './vocabulary.js';

/** A box as COCO writes it: [x, y, width, height] in image pixels. */
export type XywhBox = [number, number, number, number];

export interface SceneObject {
  /** Index in the scene, 0-based. */
  index: number;
  shape: Shape;
  colour: Colour;
  size: Size;
  /** Tight box of the drawn shape. */
  bbox: XywhBox;
  /** The fill actually drawn, `hsl(h, s%, l%)`. */
  fill: string;
}

export type Predicate = 'left of' | 'right of' | 'above' | 'below';

/** `subject predicate object`, e.g. object 0 `left of` object 2; only relations the boxes make unambiguous. */
export interface Relation {
  subject: number;
  predicate: Predicate;
  object: number;
}

export interface Background {
  kind: 'solid' | 'gradient';
  /** One colour for solid, two for gradient. */
  colours: string[];
  /** Gradient direction in degrees. */
  angle: number;
  /** Words for captions: "light", "dark". */
  tone: 'light' | 'dark';
}

export interface Scene {
  width: number;
  height: number;
  background: Background;
  objects: SceneObject[];
  relations: Relation[];
}

export interface SceneOptions {
  /** Image side in pixels (scenes are square). */
  size: number;
  minObjects: number;
  maxObjects: number;
  /** Probability that an object repeats the category of one already placed (so counting and instance filters matter). */
  repeatCategory: number;
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = { size: 64, minObjects: 2, maxObjects: 5, repeatCategory: 0.15 };

/** Side of an object as a fraction of the image side, by size word. At 64 px: small 10-13 px, large 17-21 px (diamonds 0.8 as wide, triangles 0.9 as tall). */
const SIDE_FRACTION: Record<Size, [number, number]> = { small: [0.16, 0.2], large: [0.26, 0.33] };
/** Gap kept between any two boxes, as a fraction of the image side, so no object hides another. */
const GAP_FRACTION = 0.04;

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function sampleBackground(rng: Rng): Background {
  const tone = rng.next() < 0.5 ? 'light' : 'dark';
  const neutral = () => {
    const hue = rng.int(0, 359);
    const sat = rng.int(0, 18);
    const light = tone === 'light' ? rng.int(78, 94) : rng.int(10, 24);
    return `hsl(${hue}, ${sat}%, ${light}%)`;
  };
  if (rng.next() < 0.5) return { kind: 'solid', colours: [neutral()], angle: 0, tone };
  return { kind: 'gradient', colours: [neutral(), neutral()], angle: rng.int(0, 359), tone };
}

function sampleFill(rng: Rng, colour: Colour): string {
  const r = COLOUR_HSL[colour];
  const hue = (Math.round(rng.float(r.hue[0], r.hue[1])) + 360) % 360;
  return `hsl(${hue}, ${Math.round(rng.float(r.sat[0], r.sat[1]))}%, ${Math.round(rng.float(r.light[0], r.light[1]))}%)`;
}

/** Width and height of a shape's tight box for a given side length. */
function shapeExtent(shape: Shape, side: number): [number, number] {
  switch (shape) {
    case 'circle':
    case 'square':
      return [side, side];
    case 'triangle':
      return [side, side * 0.9];
    case 'diamond':
      return [side * 0.8, side];
  }
}

function boxesClear(a: XywhBox, b: XywhBox, gap: number): boolean {
  return (
    a[0] + a[2] + gap <= b[0] || b[0] + b[2] + gap <= a[0] || a[1] + a[3] + gap <= b[1] || b[1] + b[3] + gap <= a[1]
  );
}

/** Relations that hold without ambiguity: no overlap at all along the axis in question. */
export function relationsOf(objects: readonly Pick<SceneObject, 'bbox'>[]): Relation[] {
  const out: Relation[] = [];
  objects.forEach((a, i) => {
    objects.forEach((b, j) => {
      if (i === j) return;
      if (a.bbox[0] + a.bbox[2] <= b.bbox[0]) out.push({ subject: i, predicate: 'left of', object: j });
      if (b.bbox[0] + b.bbox[2] <= a.bbox[0]) out.push({ subject: i, predicate: 'right of', object: j });
      if (a.bbox[1] + a.bbox[3] <= b.bbox[1]) out.push({ subject: i, predicate: 'above', object: j });
      if (b.bbox[1] + b.bbox[3] <= a.bbox[1]) out.push({ subject: i, predicate: 'below', object: j });
    });
  });
  return out;
}

/** Draw one scene from `rng`: the layout only, no pixels. */
export function sampleScene(rng: Rng, options: SceneOptions = DEFAULT_SCENE_OPTIONS): Scene {
  const { size } = options;
  const target = rng.int(options.minObjects, options.maxObjects);
  const objects: SceneObject[] = [];
  const gap = GAP_FRACTION * size;
  for (let attempt = 0; objects.length < target && attempt < 400; attempt++) {
    let shape: Shape;
    let colour: Colour;
    const repeat = objects.length > 0 && rng.next() < options.repeatCategory;
    if (repeat) {
      const twin = rng.pick(objects);
      shape = twin.shape;
      colour = twin.colour;
    } else {
      const unused = CATEGORIES.filter((c) => !objects.some((o) => o.shape === c.shape && o.colour === c.colour));
      const cat = rng.pick(unused);
      shape = cat.shape;
      colour = cat.colour;
    }
    const sizeWord: Size = rng.next() < 0.5 ? 'small' : 'large';
    const [lo, hi] = SIDE_FRACTION[sizeWord];
    const [w, h] = shapeExtent(shape, rng.float(lo, hi) * size);
    const x = rng.float(1, size - 1 - w);
    const y = rng.float(1, size - 1 - h);
    const bbox: XywhBox = [round2(x), round2(y), round2(w), round2(h)];
    if (!objects.every((o) => boxesClear(o.bbox, bbox, gap))) continue;
    objects.push({ index: objects.length, shape, colour, size: sizeWord, bbox, fill: sampleFill(rng, colour) });
  }
  return { width: size, height: size, background: sampleBackground(rng), objects, relations: relationsOf(objects) };
}
