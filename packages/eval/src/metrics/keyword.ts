// Keyword scoring (COCO-Spatial: the target side word must appear in the answer) and yes/no helpers for the
// hallucination sets.
import { MetricError } from './errors.js';
import type { YesNo } from './pope.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `word` occurs in `answer` as a whole word, ignoring case ("left" matches "Left." but not "leftover"). */
export function containsWord(answer: string, word: string): boolean {
  if (word.trim() === '') throw new MetricError('BAD_INPUT', 'keyword match: empty target word');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'iu').test(answer);
}

/** Accuracy of answers that contain their target word. */
export function keywordAccuracy(items: readonly { answer: string; target: string }[]): {
  accuracy: number;
  correct: boolean[];
} {
  if (items.length === 0) throw new MetricError('BAD_INPUT', 'keyword accuracy: no answers to score');
  const correct = items.map((it) => containsWord(it.answer, it.target));
  return { accuracy: correct.filter(Boolean).length / items.length, correct };
}

/** The first standalone "yes" or "no" in an answer (case-insensitive), or null when neither occurs. */
export function parseYesNo(answer: string): YesNo | null {
  const m = /(?<![\p{L}\p{N}])(yes|no)(?![\p{L}\p{N}])/iu.exec(answer);
  return m ? (m[1]!.toLowerCase() as YesNo) : null;
}

/** Yes/no accuracy for the hallucination sets; an answer with neither word is wrong. */
export function yesNoAccuracy(items: readonly { answer: string; label: YesNo }[]): {
  accuracy: number;
  unparsable: number;
} {
  if (items.length === 0) throw new MetricError('BAD_INPUT', 'yes/no accuracy: no answers to score');
  let correct = 0;
  let unparsable = 0;
  for (const it of items) {
    const p = parseYesNo(it.answer);
    if (p === null) unparsable++;
    else if (p === it.label) correct++;
  }
  return { accuracy: correct / items.length, unparsable };
}
