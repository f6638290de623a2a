// The metric functions the task scorers call, in one place. The metrics themselves live in ../metrics (written
// separately); until that lands these are small local stand-ins with the same behaviour for the cases the task
// tests use, so switching over is a change to this file only.
import type { Box } from './types.js';

/** POPE / LLaVA eval_pope.py answer reading: text before the first '.', ',' removed, 'no'/'not'/'No' word -> no. */
export function parseYesNo(answer: string): 'yes' | 'no' {
  const head = answer.split('.')[0] ?? '';
  const words = head.replace(/,/g, '').split(' ');
  return words.includes('No') || words.includes('not') || words.includes('no') ? 'no' : 'yes';
}

export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  yesRatio: number;
}

/** Accuracy, precision, recall, F1 (positive = yes) and yes-ratio over labelled yes/no predictions. */
export function yesNoMetrics(labels: readonly ('yes' | 'no')[], predictions: readonly ('yes' | 'no')[]): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const yes = predictions[i] === 'yes';
    if (labels[i] === 'yes') yes ? tp++ : fn++;
    else yes ? fp++ : tn++;
  }
  const n = labels.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    accuracy: n === 0 ? 0 : (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    yesRatio: n === 0 ? 0 : (tp + fp) / n,
  };
}

/** Whether a keyword occurs in the answer as a whole word, ignoring case (COCO-Spatial's keyword scoring). */
export function containsKeyword(answer: string, keyword: string): boolean {
  return new RegExp(`\\b${keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(answer);
}

/** Intersection over union of two (x1, y1, x2, y2) boxes; 0 when either has no area. */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union <= 0 ? 0 : inter / union;
}
