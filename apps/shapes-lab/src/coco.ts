import type { CocoImage, CocoAnnotation as PseudoDataAnnotation } from '@locvlm/pseudo-data';
import { regionCaption, sceneCaption } from './captions.js';
import type { Relation, Scene } from './scene.js';
import { CATEGORIES, type Category, type Colour, categoryOf, type Shape, type Size } from './vocabulary.js';

// The world writes standard COCO: images and annotations are @locvlm/pseudo-data's types, plus two extra fields.
// `area` is the drawn shape's area (not its box's), as COCO's segmentation area.
export type { CocoImage };

export interface CocoAnnotation extends Omit<PseudoDataAnnotation, 'iscrowd'> {
  /** A single instance: the world never writes crowd regions. */
  iscrowd: 0;
  /** Attribute outside the category: the object's size word. */
  size: Size;
  /** Pseudo-caption of this object from the scene graph, e.g. "a small red circle left of the blue square". */
  caption: string;
}

/** COCO instances file (`instances_<split>.json`). */
export interface CocoInstances {
  info: { description: string; version: string; split: string; seed: number };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: Category[];
}

/** COCO captions file (`captions_<split>.json`): one relational caption per image. */
export interface CocoCaptions {
  info: CocoInstances['info'];
  images: CocoImage[];
  annotations: { id: number; image_id: number; caption: string }[];
}

/** Scene graph of one image (`scenes_<split>.json`), for base questions (attributes, counting, relations). */
export interface SceneGraph {
  image_id: number;
  file_name: string;
  width: number;
  height: number;
  background: 'light' | 'dark';
  objects: { annotation_id: number; category_id: number; shape: Shape; colour: Colour; size: Size; bbox: number[] }[];
  relations: Relation[];
}

const SHAPE_AREA: Record<Shape, number> = { circle: Math.PI / 4, square: 1, triangle: 0.5, diamond: 0.5 };

/** First image id of each split, so ids never collide across splits. */
export const SPLIT_ID_BASE: Record<string, number> = { train: 1, val: 1_000_000, test: 2_000_000 };

export interface SceneEntry {
  scene: Scene;
  imageId: number;
  fileName: string;
}

/** COCO instances, captions and scene graphs for a list of scenes. Annotation ids are image_id * 10 + index. */
export function toCoco(
  entries: readonly SceneEntry[],
  info: CocoInstances['info'],
): { instances: CocoInstances; captions: CocoCaptions; scenes: SceneGraph[] } {
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const captions: CocoCaptions['annotations'] = [];
  const scenes: SceneGraph[] = [];
  for (const { scene, imageId, fileName } of entries) {
    images.push({ id: imageId, file_name: fileName, width: scene.width, height: scene.height });
    captions.push({ id: imageId, image_id: imageId, caption: sceneCaption(scene) });
    const graph: SceneGraph = {
      image_id: imageId,
      file_name: fileName,
      width: scene.width,
      height: scene.height,
      background: scene.background.tone,
      objects: [],
      relations: scene.relations,
    };
    for (const o of scene.objects) {
      const id = imageId * 10 + o.index;
      const category = categoryOf(o.colour, o.shape);
      annotations.push({
        id,
        image_id: imageId,
        category_id: category.id,
        bbox: o.bbox,
        area: Math.round(o.bbox[2] * o.bbox[3] * SHAPE_AREA[o.shape] * 100) / 100,
        iscrowd: 0,
        size: o.size,
        caption: regionCaption(scene, o),
      });
      graph.objects.push({
        annotation_id: id,
        category_id: category.id,
        shape: o.shape,
        colour: o.colour,
        size: o.size,
        bbox: o.bbox,
      });
    }
    scenes.push(graph);
  }
  return {
    instances: { info, images, annotations, categories: [...CATEGORIES] },
    captions: { info, images, annotations: captions },
    scenes,
  };
}
