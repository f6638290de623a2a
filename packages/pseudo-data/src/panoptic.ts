// COCO panoptic format (cocodataset.org/#format-data, "panoptic segmentation"): a JSON file with per-image
// `segments_info` and one PNG per image whose pixels encode the segment id as id = R + 256*G + 256^2*B.
// SEEM, Mask2Former and Detectron2 write this format; it gives boxes per segment and, because every pixel is
// labelled, an exhaustive list of absent categories for NegPred.
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { cocoCategorySchema, cocoImageSchema, parseElement } from './coco.js';
import { PseudoDataError } from './errors.js';
import { readTopLevelArrayElements } from './json-elements.js';
import { type AnnotatedImage, type AnnotatedObject, cocoBoxToCorners } from './objects.js';

const id = z.number().int().nonnegative();

export const panopticSegmentSchema = z.object({
  id: z.number().int().positive(),
  category_id: id,
  iscrowd: z.union([z.literal(0), z.literal(1)]).default(0),
  bbox: z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]).optional(),
  area: z.number().nonnegative().optional(),
});

export const panopticAnnotationSchema = z.object({
  image_id: id,
  file_name: z.string().min(1),
  segments_info: z.array(panopticSegmentSchema),
});

export const panopticCategorySchema = cocoCategorySchema.extend({
  isthing: z.union([z.literal(0), z.literal(1)]).optional(),
});

/** One segment of a panoptic annotation (`segments_info`). */
export type PanopticSegmentInfo = z.infer<typeof panopticSegmentSchema>;

/** One panoptic category (thing or stuff). */
export interface PanopticCategory {
  id: number;
  name: string;
  isthing?: 0 | 1;
}

/** The panoptic annotation of one image: its PNG and segments. */
export interface PanopticAnnotation {
  image_id: number;
  file_name: string;
  segments_info: PanopticSegmentInfo[];
}

/** A COCO panoptic dataset: images, annotations and categories. */
export interface PanopticDataset {
  images: Array<{ id: number; file_name: string; width: number; height: number }>;
  annotations: PanopticAnnotation[];
  categories: PanopticCategory[];
}

const PANOPTIC_KEYS = new Set(['images', 'annotations', 'categories']);

/** Read a COCO panoptic JSON file (streamed, validated; errors name file, line and JSON path). */
export async function readPanopticJson(file: string): Promise<PanopticDataset> {
  const dataset: PanopticDataset = { images: [], annotations: [], categories: [] };
  const found = new Set<string>();
  for await (const batch of readTopLevelArrayElements(file, PANOPTIC_KEYS, { foundKeys: found })) {
    for (const element of batch) {
      if (element.key === 'images') dataset.images.push(parseElement(file, element, cocoImageSchema));
      else if (element.key === 'annotations')
        dataset.annotations.push(parseElement(file, element, panopticAnnotationSchema));
      else {
        const c = parseElement(file, element, panopticCategorySchema);
        dataset.categories.push(
          c.isthing === undefined ? { id: c.id, name: c.name } : { id: c.id, name: c.name, isthing: c.isthing },
        );
      }
    }
  }
  for (const key of PANOPTIC_KEYS) {
    if (!found.has(key)) {
      throw new PseudoDataError(
        'BAD_INPUT',
        `${file}: missing the top-level "${key}" array (not a COCO panoptic file?)`,
      );
    }
  }
  return dataset;
}

/** A segment found in a panoptic PNG: its id, pixel count and tight box (x1, y1, x2, y2), x2/y2 exclusive. */
export interface PanopticSegmentPixels {
  id: number;
  area: number;
  box: [number, number, number, number];
}

/**
 * Decode a panoptic PNG (RGB, id = R + 256*G + 256^2*B; 0 is unlabelled) and measure every segment in it. Boxes
 * are in pixel-edge coordinates: a segment covering columns 3..5 spans x1 = 3, x2 = 6, like COCO's boxes.
 */
export async function readPanopticPng(
  file: string,
): Promise<{ width: number; height: number; segments: Map<number, PanopticSegmentPixels> }> {
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new PseudoDataError('BAD_INPUT', `${file}: cannot read the panoptic PNG: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { data, info } = decoded;
  const { width, height, channels } = info;
  if (channels !== 3) throw new PseudoDataError('BAD_INPUT', `${file}: expected an RGB PNG, got ${channels} channels`);
  const segments = new Map<number, PanopticSegmentPixels>();
  let p = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p += 3) {
      const segmentId = (data[p] as number) + 256 * (data[p + 1] as number) + 65536 * (data[p + 2] as number);
      if (segmentId === 0) continue;
      const s = segments.get(segmentId);
      if (s === undefined) segments.set(segmentId, { id: segmentId, area: 1, box: [x, y, x + 1, y + 1] });
      else {
        s.area++;
        if (x < s.box[0]) s.box[0] = x;
        if (x + 1 > s.box[2]) s.box[2] = x + 1;
        if (y + 1 > s.box[3]) s.box[3] = y + 1; // rows are visited in order, so y1 never shrinks
      }
    }
  }
  return { width, height, segments };
}

/** Options of reading panoptic images into Localize-Instruct input. */
export interface PanopticImagesOptions {
  /** Folder of the panoptic PNGs (`file_name` of each annotation is relative to it). */
  pngDir: string;
  /**
   * Boxes from the PNG pixels (default, works for model outputs that omit `bbox`) or from `segments_info[].bbox`
   * (fast, no PNG decoding, as COCO ships it).
   */
  boxesFrom?: 'png' | 'json';
  /** Only 'thing' categories become objects (stuff still counts as present). Default false: every segment. */
  thingsOnly?: boolean;
  /** Called as images are read. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/**
 * Panoptic output -> images with a box per segment and the exhaustive absent-category list (every category of the
 * file not labelled anywhere in the image). Segment ids in `segments_info` must appear in the PNG when boxes come
 * from pixels (a segment listed but never painted is an error naming the file and `annotations[i].segments_info[j]`).
 */
export async function panopticImages(
  dataset: PanopticDataset,
  options: PanopticImagesOptions,
): Promise<AnnotatedImage[]> {
  const images = new Map(dataset.images.map((image) => [image.id, image]));
  const categoryIds = dataset.categories.map((c) => c.id).sort((a, b) => a - b);
  const things = new Set(dataset.categories.filter((c) => c.isthing !== 0).map((c) => c.id));
  const out: AnnotatedImage[] = [];
  for (const [i, annotation] of dataset.annotations.entries()) {
    const image = images.get(annotation.image_id);
    if (image === undefined) {
      throw new PseudoDataError('BAD_INPUT', `annotations[${i}].image_id ${annotation.image_id} names no image`);
    }
    let pixels: Map<number, PanopticSegmentPixels> | undefined;
    if ((options.boxesFrom ?? 'png') === 'png') {
      const png = join(options.pngDir, annotation.file_name);
      const decoded = await readPanopticPng(png);
      if (decoded.width !== image.width || decoded.height !== image.height) {
        throw new PseudoDataError(
          'BAD_INPUT',
          `${png}: ${decoded.width}x${decoded.height} but image ${image.id} is ${image.width}x${image.height}`,
        );
      }
      pixels = decoded.segments;
    }
    const present = new Set<number>();
    const objects: AnnotatedObject[] = [];
    for (const [j, segment] of annotation.segments_info.entries()) {
      present.add(segment.category_id);
      let box: [number, number, number, number];
      if (pixels !== undefined) {
        const found = pixels.get(segment.id);
        if (found === undefined) {
          throw new PseudoDataError(
            'BAD_INPUT',
            `${annotation.file_name}: annotations[${i}].segments_info[${j}] (segment ${segment.id}) has no pixels in the PNG`,
          );
        }
        box = found.box;
      } else {
        if (segment.bbox === undefined) {
          throw new PseudoDataError(
            'BAD_INPUT',
            `annotations[${i}].segments_info[${j}].bbox is missing (use boxesFrom 'png')`,
          );
        }
        box = cocoBoxToCorners(segment.bbox, image.width, image.height);
      }
      if (options.thingsOnly && !things.has(segment.category_id)) continue;
      objects.push({ id: segment.id, categoryId: segment.category_id, box, crowd: segment.iscrowd === 1 });
    }
    out.push({
      id: image.id,
      file: image.file_name,
      width: image.width,
      height: image.height,
      objects,
      absentCategoryIds: categoryIds.filter((c) => !present.has(c)),
    });
    options.onProgress?.({ done: i + 1, total: dataset.annotations.length });
  }
  return out;
}
