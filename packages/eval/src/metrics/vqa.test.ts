import { describe, expect, it } from 'vitest';
import {
  gqaExactMatch,
  gqaPostprocess,
  normalizeVqaAnswer,
  vqaAccuracy,
  vqaAccuracyMean,
  vqaProcessPunctuation,
} from './vqa.js';

describe('VQAv2 answer normalisation (vqaEval.py)', () => {
  it.each([
    ['Two dogs.', '2 dogs'],
    ['The red one', 'red 1'],
    ['none', '0'],
    ['dont', 'don’t'], // the table maps to a curly apostrophe
    ['1,000', '1000'], // a digit comma anywhere: punctuation removed, not spaced
    ['yes, sir', 'yes sir'],
    ['a/b', 'b'], // "/" becomes a space, then the article "a" is dropped
    ['3.5', '3.5'], // periods before digits stay
    ['end.', 'end'],
    ['  Yes\n', 'yes'],
  ])('%j -> %j', (raw, expected) => {
    expect(normalizeVqaAnswer(raw)).toBe(expected);
  });
  it('punctuation next to a space is removed, elsewhere replaced by a space', () => {
    expect(vqaProcessPunctuation('left; right')).toBe('left right');
    expect(vqaProcessPunctuation('left;right')).toBe('left right');
  });
});

describe('VQAv2 accuracy with leave-one-out over the human answers', () => {
  const humans = ['yes', 'yes', 'yes', 'no', 'no', 'no', 'no', 'no', 'no', 'no'];
  it('3 of 10 humans agree: (3 * 2/3 + 7 * 1) / 10 = 0.9', () => {
    expect(vqaAccuracy('Yes', humans)).toBeCloseTo(0.9, 12);
  });
  it('7 of 10 agree: 1; nobody agrees: 0', () => {
    expect(vqaAccuracy('no', humans)).toBe(1);
    expect(vqaAccuracy('maybe', humans)).toBe(0);
  });
  it('one human agrees: (1 * 0 + 9 * 1/3) / 10 = 0.3', () => {
    expect(vqaAccuracy('2', ['2', '3', '3', '3', '3', '3', '3', '3', '3', '3'])).toBeCloseTo(0.3, 12);
  });
  it('human answers get punctuation processing only (official quirk): "two" never matches the normalised "2"', () => {
    expect(
      vqaAccuracy('two', ['two', 'two', 'two', 'three', 'three', 'three', 'three', 'three', 'three', 'three']),
    ).toBe(0);
  });
  it('averages over questions', () => {
    const r = vqaAccuracyMean([
      { answer: 'no', humanAnswers: humans },
      { answer: 'maybe', humanAnswers: humans },
    ]);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
  });
});

describe("GQA exact match after LLaVA's rstrip('.').lower()", () => {
  it('strips every trailing period and lower-cases', () => {
    expect(gqaPostprocess('Yes..')).toBe('yes');
    expect(gqaPostprocess('On the left. ')).toBe('on the left. ');
    expect(gqaExactMatch('Left.', 'left')).toBe(true);
    expect(gqaExactMatch('The left.', 'left')).toBe(false);
  });
});
