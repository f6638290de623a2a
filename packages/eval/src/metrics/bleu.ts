// Corpus BLEU-1..4 as pycocoevalcap's BleuScorer computes it (compute_score(option='closest')): clipped n-gram
// counts summed over the corpus, the closest reference length per segment (the shorter one on ties), one brevity
// penalty on corpus lengths, and the same tiny/small smoothing constants.
import { MetricError } from './errors.js';

/** A tokenised hypothesis (space-separated words) with its tokenised references. */
export interface CaptionPair {
  hypothesis: string;
  references: readonly string[];
}

/** BLEU result: bleu[n-1] is BLEU-n; lengths as pycocoevalcap reports them. */
export interface BleuResult {
  bleu: [number, number, number, number];
  testLength: number;
  referenceLength: number;
  ratio: number;
}

function ngramCounts(words: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      const gram = `${k}\u0000${words.slice(i, i + k).join('\u0000')}`;
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
  }
  return counts;
}

const TINY = 1e-15;
const SMALL = 1e-9;

/** Corpus BLEU-1..4 over whitespace-tokenised captions (pycocoevalcap Bleu(4) with 'closest' reference length). */
export function corpusBleu(pairs: readonly CaptionPair[]): BleuResult {
  const n = 4;
  const guess = [0, 0, 0, 0];
  const correct = [0, 0, 0, 0];
  let testLength = 0;
  let referenceLength = 0;
  pairs.forEach((pair, index) => {
    if (pair.references.length === 0) {
      throw new MetricError('BAD_INPUT', `BLEU: pair ${index} (${JSON.stringify(pair.hypothesis)}) has no references`);
    }
    const maxRefCounts = new Map<string, number>();
    const refLengths: number[] = [];
    for (const ref of pair.references) {
      const words = ref.split(/\s+/).filter(Boolean);
      refLengths.push(words.length);
      for (const [g, c] of ngramCounts(words, n)) maxRefCounts.set(g, Math.max(maxRefCounts.get(g) ?? 0, c));
    }
    const words = pair.hypothesis.split(/\s+/).filter(Boolean);
    const len = words.length;
    testLength += len;
    // min over (|l - testlen|, l): the closest length, the shorter one on ties.
    let best = refLengths[0]!;
    for (const l of refLengths) {
      if (Math.abs(l - len) < Math.abs(best - len) || (Math.abs(l - len) === Math.abs(best - len) && l < best))
        best = l;
    }
    referenceLength += best;
    for (let k = 1; k <= n; k++) guess[k - 1]! += Math.max(0, len - k + 1);
    for (const [g, c] of ngramCounts(words, n)) {
      const k = Number(g.slice(0, g.indexOf('\u0000')));
      correct[k - 1]! += Math.min(maxRefCounts.get(g) ?? 0, c);
    }
  });
  const ratio = (testLength + TINY) / (referenceLength + SMALL);
  const bleu: number[] = [];
  for (let nn = 1; nn <= n; nn++) {
    let b = 1;
    for (let k = 0; k < nn; k++) b *= (correct[k]! + TINY) / (guess[k]! + SMALL);
    let score = b ** (1 / nn);
    if (ratio < 1) score *= Math.exp(1 - 1 / ratio);
    bleu.push(score);
  }
  return { bleu: bleu as BleuResult['bleu'], testLength, referenceLength, ratio };
}
