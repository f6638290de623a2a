import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.js';
import { evaluateCaptions } from './captions.js';
import { ciderD } from './cider.js';
import { MetricError } from './errors.js';
import { createMeteorScorer } from './meteor/scorer.js';

describe('evaluateCaptions (COCOEvalCap order: tokenise, then score)', () => {
  const meteor = createMeteorScorer({ modules: ['exact', 'stem'], functionWords: ['a', 'the'] });
  const items = [
    { id: '1', hypothesis: 'A man, riding a horse.', references: ['a man rides a horse', 'A person on a horse!'] },
    { id: '2', hypothesis: 'The red car.', references: ['the red car on the left'] },
  ];
  it('scores the PTB-tokenised text with every metric', () => {
    const r = evaluateCaptions(items, meteor);
    const tok = [
      { hypothesis: 'a man riding a horse', references: ['a man rides a horse', 'a person on a horse'] },
      { hypothesis: 'the red car', references: ['the red car on the left'] },
    ];
    expect(r.Bleu_1).toBeCloseTo(corpusBleu(tok).bleu[0], 12);
    expect(r.METEOR).toBeCloseTo(meteor.corpus(tok).score, 12);
    expect(r.CIDEr).toBeCloseTo(ciderD(tok).score, 12);
    expect(r.perItem.map((p) => p.id)).toEqual(['1', '2']);
  });
  it('rejects duplicate ids and empty references', () => {
    expect(() => evaluateCaptions([items[0]!, items[0]!], meteor)).toThrowError(MetricError);
    expect(() => evaluateCaptions([{ id: 'x', hypothesis: 'a', references: [] }], meteor)).toThrow(/no references/);
  });
});
