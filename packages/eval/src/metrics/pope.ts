// POPE answer parsing and metrics exactly as LLaVA's llava/eval/eval_pope.py does them.
import { MetricError } from './errors.js';

/** A yes/no label or parsed answer. */
export type YesNo = 'yes' | 'no';

/**
 * LLaVA's POPE parsing: keep the text before the first '.', drop ',', split on single spaces; the answer is "no" when
 * one of the words is exactly "no", "No" or "not", otherwise "yes" (so "NO", "Not" or "no!" count as yes).
 */
export function parsePopeAnswer(text: string): YesNo {
  let t = text;
  const dot = t.indexOf('.');
  if (dot !== -1) t = t.slice(0, dot);
  const words = t.replaceAll(',', '').split(' ');
  return words.includes('No') || words.includes('not') || words.includes('no') ? 'no' : 'yes';
}

/** POPE metrics with yes as the positive class. */
export interface PopeMetrics {
  accuracy: number;
  /** TP / (TP + FP); NaN when nothing was predicted yes (LLaVA's script would raise). */
  precision: number;
  /** TP / (TP + FN); NaN when no label is yes. */
  recall: number;
  /** NaN when precision + recall is 0 or undefined. */
  f1: number;
  /** Share of answers parsed as yes. */
  yesRatio: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  count: number;
}

/** Score raw model answers against POPE labels ("no" is negative; any other label counts as yes, as in LLaVA). */
export function popeMetrics(answers: readonly string[], labels: readonly string[]): PopeMetrics {
  if (answers.length !== labels.length) {
    throw new MetricError('BAD_INPUT', `POPE: ${answers.length} answers but ${labels.length} labels`);
  }
  if (answers.length === 0) throw new MetricError('BAD_INPUT', 'POPE: no answers to score');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let yes = 0;
  answers.forEach((answer, i) => {
    const pred = parsePopeAnswer(answer) === 'yes';
    const label = labels[i] !== 'no';
    if (pred) yes++;
    if (pred && label) tp++;
    else if (pred && !label) fp++;
    else if (!pred && !label) tn++;
    else fn++;
  });
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  const f1 = (2 * precision * recall) / (precision + recall);
  return {
    accuracy: (tp + tn) / answers.length,
    precision,
    recall,
    f1,
    yesRatio: yes / answers.length,
    tp,
    fp,
    tn,
    fn,
    count: answers.length,
  };
}
