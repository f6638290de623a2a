// COCO instances format (cocodataset.org/#format-data), read streamed and validated element by element.
import { z } from 'zod';
import { PseudoDataError } from './errors.js';
import { type JsonElement, readTopLevelArrayElements } from './json-elements.js';

/** A COCO box: [x, y, width, height] in pixels, top-left origin (as in the file). */
export type CocoBox = [x: number, y: number, width: number, height: number];

/** One COCO image entry. */
export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

/** One COCO instance annotation (`bbox` is [x, y, width, height]). */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: CocoBox;
  /** 1 marks a crowd region (several instances under one mask), 0 a single instance. */
  iscrowd: 0 | 1;
  area: number;
}

/** One COCO category. */
export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

/** What Localize-Instruct needs from a COCO file; segmentation masks are not kept. */
export interface CocoDataset {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

const id = z.number().int().nonnegative();
const finite = z.number().finite();

export const cocoImageSchema = z.object({
  id,
  file_name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const cocoAnnotationSchema = z.object({
  id,
  image_id: id,
  category_id: id,
  bbox: z.tuple([finite, finite, finite.nonnegative(), finite.nonnegative()]),
  iscrowd: z.union([z.literal(0), z.literal(1)]).default(0),
  area: finite.nonnegative().optional(),
});

export const cocoCategorySchema = z.object({
  id,
  name: z.string().min(1),
  supercategory: z.string().optional(),
});

/** `annotations[12]` + zod path ['bbox', 2] -> `annotations[12].bbox[2]`. */
export function jsonPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** JSON.parse one element and validate it; errors name the file, line and JSON path. */
export function parseElement<T>(file: string, element: JsonElement, schema: z.ZodType<T>): T {
  return validateElement(file, element, parseElementJson(file, element), schema);
}

function parseElementJson(file: string, element: JsonElement): unknown {
  try {
    return JSON.parse(element.text);
  } catch (error) {
    throw new PseudoDataError(
      'BAD_INPUT',
      `${file}:${element.line}: ${element.key}[${element.index}] is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function validateElement<T>(file: string, element: JsonElement, value: unknown, schema: z.ZodType<T>): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = jsonPath(`${element.key}[${element.index}]`, issue?.path ?? []);
    const got = valueAt(value, issue?.path ?? []);
    throw new PseudoDataError(
      'BAD_INPUT',
      `${file}:${element.line}: ${where}: ${issue?.message ?? 'invalid'} (got ${preview(got)})`,
      { cause: result.error },
    );
  }
  return result.data;
}

// Fast checks for well-formed elements (exported for tests only, not from index.ts). zod's general object parsing
// costs several microseconds per element, a large part of reading 1M COCO elements, and its intermediate objects
// load the garbage collector. These checks accept a subset of what the schemas above accept (safe integers, finite
// numbers, exact shapes) and build the same output; anything else goes to zod, which gives the verdict and the
// error message, so validation is unchanged.
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A validated annotation (members in the schema's order, `area` filled from the box when missing), or undefined. */
export function fastAnnotation(value: unknown): CocoAnnotation | undefined {
  const o = asRecord(value);
  if (o === undefined) return undefined;
  const { id, image_id, category_id, bbox, iscrowd, area } = o;
  if (!isId(id) || !isId(image_id) || !isId(category_id)) return undefined;
  if (!Array.isArray(bbox) || bbox.length !== 4) return undefined;
  const [x, y, w, h] = bbox as unknown[];
  if (!isFiniteNumber(x) || !isFiniteNumber(y) || !isFiniteNumber(w) || !isFiniteNumber(h)) return undefined;
  if (w < 0 || h < 0) return undefined;
  if (iscrowd !== undefined && iscrowd !== 0 && iscrowd !== 1) return undefined;
  if (area !== undefined && !(isFiniteNumber(area) && area >= 0)) return undefined;
  // The parsed box array is fresh and checked: kept as is rather than copied (one allocation less per annotation).
  return { id, image_id, category_id, bbox: bbox as CocoBox, iscrowd: iscrowd ?? 0, area: area ?? w * h };
}

export function fastImage(value: unknown): CocoImage | undefined {
  const o = asRecord(value);
  if (o === undefined) return undefined;
  const { id, file_name, width, height } = o;
  if (!isId(id) || !isName(file_name) || !isPositiveInt(width) || !isPositiveInt(height)) return undefined;
  return { id, file_name, width, height };
}

export function fastCategory(value: unknown): CocoCategory | undefined {
  const o = asRecord(value);
  if (o === undefined) return undefined;
  const { id, name, supercategory } = o;
  if (!isId(id) || !isName(name)) return undefined;
  if (supercategory === undefined) return { id, name };
  return typeof supercategory === 'string' ? { id, name, supercategory } : undefined;
}

function valueAt(value: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Options of `readCocoInstances`. */
export interface ReadCocoOptions {
  /** Called after each chunk with the number of elements read so far. */
  onProgress?: (progress: { images: number; annotations: number; categories: number }) => void;
}

const INSTANCE_KEYS = new Set(['images', 'annotations', 'categories']);
// Masks are most of a COCO file and Localize-Instruct needs boxes only: never parsed.
const SKIPPED = new Set(['segmentation']);

/**
 * Read a COCO instances JSON file (e.g. instances_train2017.json) streamed: memory holds the kept fields only, never
 * the file text or the masks. Every image, annotation and category is validated; ids must be unique and every
 * annotation must name an existing image and category. Errors are `PseudoDataError('BAD_INPUT')` naming file, line
 * and JSON path (`annotations[1234].bbox`).
 */
export async function readCocoInstances(file: string, options: ReadCocoOptions = {}): Promise<CocoDataset> {
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const categories: CocoCategory[] = [];
  const found = new Set<string>();
  for await (const batch of readTopLevelArrayElements(file, INSTANCE_KEYS, {
    skipMembers: SKIPPED,
    foundKeys: found,
  })) {
    for (const element of batch) {
      const value = parseElementJson(file, element);
      if (element.key === 'annotations') {
        annotations.push(fastAnnotation(value) ?? annotationFromSchema(file, element, value));
      } else if (element.key === 'images') {
        images.push(fastImage(value) ?? imageFromSchema(file, element, value));
      } else {
        categories.push(fastCategory(value) ?? categoryFromSchema(file, element, value));
      }
    }
    options.onProgress?.({ images: images.length, annotations: annotations.length, categories: categories.length });
  }
  for (const key of ['images', 'annotations', 'categories']) {
    if (!found.has(key)) {
      throw new PseudoDataError(
        'BAD_INPUT',
        `${file}: missing the top-level "${key}" array (not a COCO instances file?)`,
      );
    }
  }
  const dataset = { images, annotations, categories };
  checkReferences(file, dataset);
  return dataset;
}

// The slow paths: zod validates (and throws naming the element) when a fast check refused an element.
function annotationFromSchema(file: string, element: JsonElement, value: unknown): CocoAnnotation {
  const a = validateElement(file, element, value, cocoAnnotationSchema);
  return { ...a, area: a.area ?? a.bbox[2] * a.bbox[3] };
}

function imageFromSchema(file: string, element: JsonElement, value: unknown): CocoImage {
  const image = validateElement(file, element, value, cocoImageSchema);
  return { id: image.id, file_name: image.file_name, width: image.width, height: image.height };
}

function categoryFromSchema(file: string, element: JsonElement, value: unknown): CocoCategory {
  const category = validateElement(file, element, value, cocoCategorySchema);
  return category.supercategory === undefined
    ? { id: category.id, name: category.name }
    : { id: category.id, name: category.name, supercategory: category.supercategory };
}

/** Unique ids, and every annotation's image_id and category_id pointing at something that exists. */
export function checkReferences(file: string, dataset: CocoDataset): void {
  const imageIds = new Set<number>();
  dataset.images.forEach((image, i) => {
    if (imageIds.has(image.id))
      throw new PseudoDataError('BAD_INPUT', `${file}: images[${i}].id ${image.id} is used twice`);
    imageIds.add(image.id);
  });
  const categoryIds = new Set<number>();
  dataset.categories.forEach((category, i) => {
    if (categoryIds.has(category.id)) {
      throw new PseudoDataError('BAD_INPUT', `${file}: categories[${i}].id ${category.id} is used twice`);
    }
    categoryIds.add(category.id);
  });
  // 860k ids: a sorted typed array finds duplicates several times faster than a Set.
  const ids = Float64Array.from(dataset.annotations, (a) => a.id).sort();
  for (let k = 1; k < ids.length; k++) {
    if (ids[k] === ids[k - 1]) {
      const i = dataset.annotations.findIndex(
        (a, j) => a.id === ids[k] && dataset.annotations.findIndex((b) => b.id === a.id) !== j,
      );
      throw new PseudoDataError('BAD_INPUT', `${file}: annotations[${i}].id ${ids[k]} is used twice`);
    }
  }
  dataset.annotations.forEach((a, i) => {
    if (!imageIds.has(a.image_id)) {
      throw new PseudoDataError('BAD_INPUT', `${file}: annotations[${i}].image_id ${a.image_id} names no image`);
    }
    if (!categoryIds.has(a.category_id)) {
      throw new PseudoDataError(
        'BAD_INPUT',
        `${file}: annotations[${i}].category_id ${a.category_id} names no category`,
      );
    }
  });
}
