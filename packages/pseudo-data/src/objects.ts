// Per-image view of annotations, and the selection rules of Localize-Instruct (paper Sec. 3.3-3.4, Appendix C).
import type { Box } from '@locvlm/coord-codec';
import type { CocoDataset } from './coco.js';

/** One annotated object in pixels of its image: box as (x1, y1, x2, y2). */
export interface AnnotatedObject {
  /** Stable id (the COCO annotation id, a panoptic segment id, ...). */
  id: number;
  categoryId: number;
  box: Box;
  /** A crowd region (COCO iscrowd = 1): several instances under one annotation. */
  crowd: boolean;
}

/** An image with everything known about what is in it. */
export interface AnnotatedImage {
  id: number;
  /** Path of the image file as the source names it (COCO `file_name`). */
  file: string;
  width: number;
  height: number;
  objects: AnnotatedObject[];
  /**
   * Category ids known to be absent, when the source is exhaustive about absence (panoptic labels every pixel).
   * When undefined, absence is inferred from `objects`: every category of the dataset with no annotation here.
   */
  absentCategoryIds?: number[];
}

const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);

/** COCO [x, y, w, h] -> (x1, y1, x2, y2), clamped to the image (COCO boxes sometimes overshoot by a fraction). */
export function cocoBoxToCorners(bbox: readonly [number, number, number, number], width: number, height: number): Box {
  const [x, y, w, h] = bbox;
  return [clamp(x, width), clamp(y, height), clamp(x + w, width), clamp(y + h, height)];
}

/** Images in order, with a count: an array, or a collection that builds each image when it is reached. */
export type ImageCollection = Iterable<AnnotatedImage> & { readonly length: number };

/**
 * The same images as `imagesFromCoco`, built one at a time while iterating. At COCO-train scale this avoids keeping
 * 860k more objects alive, which the garbage collector would otherwise copy around for the whole build. Iterate as
 * often as needed.
 */
export function cocoImages(dataset: CocoDataset): ImageCollection {
  const { images, annotations } = dataset;
  const indexOf = new Map<number, number>();
  images.forEach((image, i) => {
    indexOf.set(image.id, i);
  });
  // Counting sort of annotations by image, keeping file order within an image. What the objects need (id,
  // category, clamped box, crowd flag) is copied, in image order, into flat typed arrays: annotations sit in file
  // order, and reaching them image by image jumps all over the heap (measured: 0.8 s of cache misses per pass at
  // COCO-train scale, against a few milliseconds reading the flat arrays in order).
  const start = new Int32Array(images.length + 1);
  const imageOf = new Int32Array(annotations.length);
  for (let k = 0; k < annotations.length; k++) {
    const i = indexOf.get((annotations[k] as CocoDataset['annotations'][number]).image_id) ?? -1;
    imageOf[k] = i;
    if (i >= 0) start[i + 1] = (start[i + 1] as number) + 1;
  }
  for (let i = 0; i < images.length; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const fill = start.slice(0, images.length);
  const count = start[images.length] as number;
  const objectIds = new Float64Array(count);
  const categoryIds = new Float64Array(count);
  const boxes = new Float64Array(count * 4);
  const crowd = new Uint8Array(count);
  const widths = Float64Array.from(images, (image) => image.width);
  const heights = Float64Array.from(images, (image) => image.height);
  for (let k = 0; k < annotations.length; k++) {
    const i = imageOf[k] as number;
    if (i < 0) continue;
    const a = annotations[k] as CocoDataset['annotations'][number];
    const j = (fill[i] as number)++;
    objectIds[j] = a.id;
    categoryIds[j] = a.category_id;
    // cocoBoxToCorners, written out: it runs 860k times and TypedArray.set from a fresh array is slow.
    const [x, y, w, h] = a.bbox;
    const width = widths[i] as number;
    const height = heights[i] as number;
    boxes[j * 4] = clamp(x, width);
    boxes[j * 4 + 1] = clamp(y, height);
    boxes[j * 4 + 2] = clamp(x + w, width);
    boxes[j * 4 + 3] = clamp(y + h, height);
    crowd[j] = a.iscrowd === 1 ? 1 : 0;
  }
  return {
    length: images.length,
    *[Symbol.iterator]() {
      for (let i = 0; i < images.length; i++) {
        const image = images[i] as CocoDataset['images'][number];
        const objects: AnnotatedObject[] = [];
        for (let j = start[i] as number; j < (start[i + 1] as number); j++) {
          objects.push({
            id: objectIds[j] as number,
            categoryId: categoryIds[j] as number,
            box: [
              boxes[j * 4] as number,
              boxes[j * 4 + 1] as number,
              boxes[j * 4 + 2] as number,
              boxes[j * 4 + 3] as number,
            ],
            crowd: crowd[j] === 1,
          });
        }
        yield { id: image.id, file: image.file_name, width: image.width, height: image.height, objects };
      }
    },
  };
}

/** Group a COCO dataset's annotations by image, images in file order, objects in file order. */
export function imagesFromCoco(dataset: CocoDataset): AnnotatedImage[] {
  const byId = new Map<number, AnnotatedImage>();
  const images = dataset.images.map((image) => {
    const annotated: AnnotatedImage = {
      id: image.id,
      file: image.file_name,
      width: image.width,
      height: image.height,
      objects: [],
    };
    byId.set(image.id, annotated);
    return annotated;
  });
  for (const a of dataset.annotations) {
    const image = byId.get(a.image_id);
    if (image === undefined) continue; // readCocoInstances already refuses dangling ids
    image.objects.push({
      id: a.id,
      categoryId: a.category_id,
      box: cocoBoxToCorners(a.bbox, image.width, image.height),
      crowd: a.iscrowd === 1,
    });
  }
  return images;
}

/** Why an object was not used as a LocPred / RevLoc target. */
export type SkipReason = 'repeated-category' | 'crowd' | 'empty-box';

/**
 * The objects whose category occurs exactly once in the image, the paper's "unique instances" that make a category
 * name an unambiguous description. Crowd annotations count as occurrences (a crowd of people means several
 * people), so a category with a crowd region is never unique, and crowd regions are never targets themselves.
 * Boxes with no area after clamping are skipped.
 */
export function selectUniqueObjects(
  image: AnnotatedImage,
  onSkip?: (object: AnnotatedObject, reason: SkipReason) => void,
): AnnotatedObject[] {
  const objects = image.objects;
  const unique: AnnotatedObject[] = [];
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i] as AnnotatedObject;
    // Images hold a handful of objects: comparing pairs is faster than a Map per image at COCO scale.
    let repeated = false;
    for (let j = 0; j < objects.length && !repeated; j++) {
      repeated = j !== i && (objects[j] as AnnotatedObject).categoryId === object.categoryId;
    }
    if (object.crowd) onSkip?.(object, 'crowd');
    else if (repeated) onSkip?.(object, 'repeated-category');
    else if (!(object.box[2] > object.box[0] && object.box[3] > object.box[1])) onSkip?.(object, 'empty-box');
    else unique.push(object);
  }
  return unique;
}

/**
 * Categories absent from the image: the source's exhaustive list when it has one (panoptic), else every dataset
 * category with no annotation in the image (crowd regions count as present). Ascending category id.
 */
export function absentCategoryIds(image: AnnotatedImage, allCategoryIds: readonly number[]): number[] {
  if (image.absentCategoryIds !== undefined) return [...image.absentCategoryIds].sort((a, b) => a - b);
  const present = new Set(image.objects.map((object) => object.categoryId));
  return allCategoryIds.filter((id) => !present.has(id)).sort((a, b) => a - b);
}
