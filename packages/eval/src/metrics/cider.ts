// CIDEr-D as pycocoevalcap computes it (cider/cider_scorer.py): TF-IDF n-gram vectors (n = 1..4) with document
// frequency counted over the reference sets of the evaluated images, clipped hypothesis weights, a Gaussian length
// penalty (sigma 6), mean over n, mean over references, times 10. Quirk kept: the "length" in the penalty is the
// number of bigrams, as the reference code counts it.
import type { CaptionPair } from './bleu.js';
import { MetricError } from './errors.js';

/** CIDEr-D over the evaluated set: the mean and one score per pair. */
export interface CiderResult {
  score: number;
  scores: number[];
}

type Vec = { weights: Map<string, number>[]; norms: number[]; length: number };

function counts(sentence: string, n: number): Map<string, number> {
  const words = sentence.split(/\s+/).filter(Boolean);
  const out = new Map<string, number>();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      const g = `${k}\u0000${words.slice(i, i + k).join('\u0000')}`;
      out.set(g, (out.get(g) ?? 0) + 1);
    }
  }
  return out;
}

/** CIDEr-D (sigma 6, n 4) over whitespace-tokenised captions; document frequency from these references. */
export function ciderD(pairs: readonly CaptionPair[], options: { sigma?: number; n?: number } = {}): CiderResult {
  const sigma = options.sigma ?? 6;
  const n = options.n ?? 4;
  if (pairs.length === 0) throw new MetricError('BAD_INPUT', 'CIDEr-D: no pairs to score');
  const refCounts = pairs.map((p, i) => {
    if (p.references.length === 0) {
      throw new MetricError('BAD_INPUT', `CIDEr-D: pair ${i} (${JSON.stringify(p.hypothesis)}) has no references`);
    }
    return p.references.map((r) => counts(r, n));
  });
  const df = new Map<string, number>();
  for (const refs of refCounts) {
    const seen = new Set<string>();
    for (const r of refs) for (const g of r.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const refLen = Math.log(pairs.length);
  const toVec = (c: Map<string, number>): Vec => {
    const weights = Array.from({ length: n }, () => new Map<string, number>());
    const norms = new Array<number>(n).fill(0);
    let length = 0;
    for (const [g, tf] of c) {
      const k = Number(g.slice(0, g.indexOf('\u0000'))) - 1;
      const w = tf * (refLen - Math.log(Math.max(1, df.get(g) ?? 0)));
      weights[k]!.set(g, w);
      norms[k]! += w * w;
      if (k === 1) length += tf;
    }
    return { weights, norms: norms.map(Math.sqrt), length };
  };
  const scores = pairs.map((p, i) => {
    const hyp = toVec(counts(p.hypothesis, n));
    const total = new Array<number>(n).fill(0);
    for (const rc of refCounts[i]!) {
      const ref = toVec(rc);
      const delta = hyp.length - ref.length;
      for (let k = 0; k < n; k++) {
        let val = 0;
        for (const [g, w] of hyp.weights[k]!) {
          const r = ref.weights[k]!.get(g) ?? 0;
          val += Math.min(w, r) * r;
        }
        if (hyp.norms[k] !== 0 && ref.norms[k] !== 0) val /= hyp.norms[k]! * ref.norms[k]!;
        val *= Math.exp(-(delta * delta) / (2 * sigma * sigma));
        total[k]! += val;
      }
    }
    const mean = total.reduce((a, b) => a + b, 0) / n;
    return (mean / refCounts[i]!.length) * 10;
  });
  return { score: scores.reduce((a, b) => a + b, 0) / scores.length, scores };
}
