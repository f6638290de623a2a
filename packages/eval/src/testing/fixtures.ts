// Small annotation fixtures for the tests, built in code (no downloads). Not part of the public API.
import type { CocoInstances } from '../tasks/coco.js';

/** A box [x, y, w, h] centred at (cx, cy). */
function centred(cx: number, cy: number, w = 40, h = 40): [number, number, number, number] {
  return [cx - w / 2, cy - h / 2, w, h];
}

/**
 * Three 640x480 images:
 * 1: dog (left), cat (right), chair (right), two persons (not single-instance), apple in the central band.
 * 2: bird (top), kite (top), boat (bottom) for the vertical axis; a single person in the middle.
 * 3: only two objects (too few for a triplet).
 */
export function cocoFixture(): CocoInstances {
  const categories = ['person', 'dog', 'cat', 'chair', 'apple', 'bird', 'kite', 'boat', 'umbrella', 'orange'].map(
    (name, i) => ({ id: i + 1, name }),
  );
  const id = (name: string) => categories.find((c) => c.name === name)!.id;
  let annotationId = 100;
  const ann = (imageId: number, name: string, bbox: [number, number, number, number]) => ({
    id: annotationId++,
    image_id: imageId,
    category_id: id(name),
    bbox,
    iscrowd: 0,
  });
  return {
    images: [
      { id: 1, file_name: 'img1.jpg', width: 640, height: 480 },
      { id: 2, file_name: 'img2.jpg', width: 640, height: 480 },
      { id: 3, file_name: 'img3.jpg', width: 640, height: 480 },
    ],
    annotations: [
      ann(1, 'dog', centred(100, 240)),
      ann(1, 'cat', centred(500, 100)),
      ann(1, 'chair', centred(560, 400)),
      ann(1, 'person', centred(300, 50)),
      ann(1, 'person', centred(200, 300)),
      ann(1, 'apple', centred(320, 240)),
      ann(2, 'bird', centred(100, 60)),
      ann(2, 'kite', centred(500, 80)),
      ann(2, 'boat', centred(300, 420)),
      ann(2, 'person', centred(320, 240)),
      ann(3, 'umbrella', centred(100, 100)),
      ann(3, 'orange', centred(500, 400)),
    ],
    categories,
  };
}
