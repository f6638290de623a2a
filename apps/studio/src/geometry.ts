// Boxes between the displayed image (CSS pixels) and the original image (its natural pixels).

export type Box = [number, number, number, number];

export interface Scale {
  /** Natural image width / displayed width. */
  x: number;
  y: number;
}

/** A box from two drag corners in display pixels, ordered, clipped to the display, in image pixels (rounded). */
export function dragToImageBox(
  a: { x: number; y: number },
  b: { x: number; y: number },
  display: { width: number; height: number },
  scale: Scale,
): Box {
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const x1 = clip(Math.min(a.x, b.x), display.width);
  const x2 = clip(Math.max(a.x, b.x), display.width);
  const y1 = clip(Math.min(a.y, b.y), display.height);
  const y2 = clip(Math.max(a.y, b.y), display.height);
  return [Math.round(x1 * scale.x), Math.round(y1 * scale.y), Math.round(x2 * scale.x), Math.round(y2 * scale.y)];
}

/** An image-pixel box in display pixels. */
export function imageToDisplayBox(box: Box, scale: Scale): Box {
  return [box[0] / scale.x, box[1] / scale.y, box[2] / scale.x, box[3] / scale.y];
}

/** Large enough to describe (a click is not a box). */
export function isUsableBox(box: Box): boolean {
  return box[2] - box[0] >= 2 && box[3] - box[1] >= 2;
}
