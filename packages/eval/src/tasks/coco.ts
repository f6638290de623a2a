// COCO instances annotations (instances_{train,val}2014/2017.json): the fields the tasks read.
import { z } from 'zod';
import { readJsonFile } from './data.js';
import type { Box } from './types.js';

/** The zod schema COCO instances files are validated with. */
export const cocoInstancesSchema = z.object({
  images: z.array(
    z.object({
      id: z.number().int(),
      file_name: z.string(),
      width: z.number().positive(),
      height: z.number().positive(),
    }),
  ),
  annotations: z.array(
    z.object({
      id: z.number().int(),
      image_id: z.number().int(),
      category_id: z.number().int(),
      bbox: z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]),
      iscrowd: z.number().int().optional(),
    }),
  ),
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

/** A COCO instances file: images, annotations and categories. */
export type CocoInstances = z.infer<typeof cocoInstancesSchema>;
/** One COCO image entry. */
export type CocoImage = CocoInstances['images'][number];
/** One COCO instance annotation (`bbox` is [x, y, width, height]). */
export type CocoAnnotation = CocoInstances['annotations'][number];

/** Read and validate a COCO instances JSON file. */
export function readCocoInstances(file: string): CocoInstances {
  return readJsonFile(cocoInstancesSchema, file);
}

/** COCO's [x, y, w, h] to [x1, y1, x2, y2]. */
export function xywhToBox(bbox: readonly [number, number, number, number]): Box {
  return [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]];
}

export interface CocoIndex {
  images: Map<number, CocoImage>;
  /** Annotations per image id, in file order. */
  annotationsByImage: Map<number, CocoAnnotation[]>;
  categoryNames: Map<number, string>;
  annotations: Map<number, CocoAnnotation>;
}

export function indexCoco(data: CocoInstances): CocoIndex {
  const images = new Map(data.images.map((image) => [image.id, image]));
  const annotationsByImage = new Map<number, CocoAnnotation[]>();
  for (const image of data.images) annotationsByImage.set(image.id, []);
  for (const annotation of data.annotations) annotationsByImage.get(annotation.image_id)?.push(annotation);
  return {
    images,
    annotationsByImage,
    categoryNames: new Map(data.categories.map((c) => [c.id, c.name])),
    annotations: new Map(data.annotations.map((a) => [a.id, a])),
  };
}

/** Annotations of categories that occur exactly once in the image (crowd regions count as occurrences). */
export function singleInstanceAnnotations(annotations: readonly CocoAnnotation[]): CocoAnnotation[] {
  const counts = new Map<number, number>();
  for (const a of annotations) counts.set(a.category_id, (counts.get(a.category_id) ?? 0) + 1);
  return annotations.filter((a) => counts.get(a.category_id) === 1 && !a.iscrowd);
}

/** Distinct category names present in the image, in order of first annotation. */
export function presentCategoryNames(annotations: readonly CocoAnnotation[], names: Map<number, string>): string[] {
  const seen = new Set<string>();
  for (const a of annotations) {
    const name = names.get(a.category_id);
    if (name !== undefined) seen.add(name);
  }
  return [...seen];
}

/** The 80 COCO category names (for excluding COCO classes from Hal-ADE). */
export const COCO_CATEGORY_NAMES: readonly string[] = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
];
