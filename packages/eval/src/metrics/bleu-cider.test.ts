import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.js';
import { ciderD } from './cider.js';
import { MetricError } from './errors.js';

describe('corpus BLEU (pycocoevalcap)', () => {
  it('hand-computed clipped precisions for one pair', () => {
    const r = corpusBleu([{ hypothesis: 'the cat sat on the mat', references: ['the cat is on the mat'] }]);
    expect(r.bleu[0]).toBeCloseTo(5 / 6, 9);
    expect(r.bleu[1]).toBeCloseTo(Math.sqrt((5 / 6) * (3 / 5)), 9);
    expect(r.bleu[2]).toBeCloseTo(0.5, 9);
    // no 4-gram matches: pycocoevalcap's tiny/small constants leave a tiny positive value
    expect(r.bleu[3]).toBeCloseTo(((1e-15 / (3 + 1e-9)) * (5 / 6) * (3 / 5) * (1 / 4)) ** 0.25, 12);
  });

  it('uses the closest reference length, the shorter on ties, and a corpus brevity penalty', () => {
    const tie = corpusBleu([{ hypothesis: 'a b c d e', references: ['a b c d', 'a b c d e f'] }]);
    expect(tie.referenceLength).toBe(4);
    const short = corpusBleu([{ hypothesis: 'a b', references: ['a b c d'] }]);
    expect(short.bleu[0]).toBeCloseTo(Math.exp(1 - 4 / 2), 9);
  });

  it('sums counts over the corpus rather than averaging sentence scores', () => {
    const r = corpusBleu([
      { hypothesis: 'a b', references: ['a b'] },
      { hypothesis: 'c d', references: ['x y'] },
    ]);
    expect(r.bleu[0]).toBeCloseTo(2 / 4, 9);
    expect(() => corpusBleu([{ hypothesis: 'a', references: [] }])).toThrowError(MetricError);
  });
});

describe('CIDEr-D (pycocoevalcap)', () => {
  it('a two-word caption equal to its only reference scores 10 * (1 + 1 + 0 + 0) / 4 = 5', () => {
    const r = ciderD([
      { hypothesis: 'a b', references: ['a b'] },
      { hypothesis: 'c d', references: ['c d'] },
    ]);
    expect(r.scores[0]).toBeCloseTo(5, 9);
    expect(r.score).toBeCloseTo(5, 9);
  });

  it('document frequency comes from the evaluated references: a single image gives idf 0 and score 0', () => {
    expect(ciderD([{ hypothesis: 'a b', references: ['a b'] }]).score).toBe(0);
  });

  it('clips hypothesis weights and applies the Gaussian length penalty on bigram counts', () => {
    // "a a" vs "a b": unigram "a" has tf 2 in the hypothesis but 1 in the reference -> clipped to the reference weight.
    const r = ciderD([
      { hypothesis: 'a a', references: ['a b'] },
      { hypothesis: 'z', references: ['y'] },
    ]);
    const idf = Math.log(2);
    const hypNorm = 2 * idf;
    const refNorm = Math.sqrt(2) * idf;
    const unigram = (Math.min(2 * idf, idf) * idf) / (hypNorm * refNorm);
    // bigram lengths 1 and 1 -> no penalty; the bigram "a a" does not occur in the reference
    expect(r.scores[0]).toBeCloseTo((10 * unigram) / 4, 9);
  });
});
