// Grounding metrics (Shikra-style REC): IoU of a predicted box with the target box in the same frame; an answer that
// could not be parsed into a box is a miss (IoU 0).
import { MetricError } from './errors.js';

/** A box [x1, y1, x2, y2] in pixels of one frame. */
export type Box = readonly [number, number, number, number];

/** Intersection over union of two boxes (continuous coordinates; degenerate boxes give 0). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const areaA = Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]);
  const areaB = Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Grounding summary: Shikra's accuracy uses IoU > 0.5; the >= variant is reported beside it. */
export interface GroundingMetrics {
  /** Share with IoU > threshold (Shikra's REC accuracy). */
  accuracyAboveThreshold: number;
  /** Share with IoU >= threshold. */
  accuracyAtLeastThreshold: number;
  /** Mean IoU, unparsable predictions counted as 0. */
  meanIou: number;
  /** Predictions that could not be parsed (null). */
  unparsable: number;
  ious: number[];
  count: number;
  threshold: number;
}

/** Score predicted boxes (null = unparsable answer) against target boxes. */
export function groundingMetrics(
  predictions: readonly (Box | null)[],
  targets: readonly Box[],
  threshold = 0.5,
): GroundingMetrics {
  if (predictions.length !== targets.length) {
    throw new MetricError('BAD_INPUT', `grounding: ${predictions.length} predictions but ${targets.length} targets`);
  }
  if (predictions.length === 0) throw new MetricError('BAD_INPUT', 'grounding: no predictions to score');
  let above = 0;
  let atLeast = 0;
  let unparsable = 0;
  const ious = predictions.map((p, i) => {
    if (p === null) {
      unparsable++;
      return 0;
    }
    const iou = boxIou(p, targets[i]!);
    if (iou > threshold) above++;
    if (iou >= threshold) atLeast++;
    return iou;
  });
  const count = predictions.length;
  return {
    accuracyAboveThreshold: above / count,
    accuracyAtLeastThreshold: atLeast / count,
    meanIou: ious.reduce((a, b) => a + b, 0) / count,
    unparsable,
    ious,
    count,
    threshold,
  };
}
