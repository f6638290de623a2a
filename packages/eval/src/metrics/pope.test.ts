import { describe, expect, it } from 'vitest';
import { MetricError } from './errors.js';
import { parsePopeAnswer, popeMetrics } from './pope.js';

describe("POPE answer parsing (LLaVA's eval_pope.py)", () => {
  it.each([
    ['Yes, there is a dog in the image.', 'yes'],
    ['No, there is no dog.', 'no'],
    ['There is no dog', 'no'],
    ['I do not see one.', 'no'],
    ['no', 'no'],
    ['No,', 'no'], // commas are removed before splitting
    ['Yes. No.', 'yes'], // only the text before the first period counts
    ['. no', 'yes'], // ... even when it is empty
    ['NO', 'yes'], // only "no", "No" and "not" are negative words
    ['Not really', 'yes'],
    ['no!', 'yes'], // "no!" is not the word "no"
    ['no\nthere is none', 'yes'], // split on single spaces only
    ['nothing', 'yes'],
  ])('%j -> %s', (text, expected) => {
    expect(parsePopeAnswer(text)).toBe(expected);
  });
});

describe('POPE metrics', () => {
  it('counts TP/FP/TN/FN with yes as positive, and the yes ratio', () => {
    const answers = ['Yes', 'Yes', 'No', 'No', 'Yes.'];
    const labels = ['yes', 'no', 'no', 'yes', 'yes'];
    const m = popeMetrics(answers, labels);
    expect([m.tp, m.fp, m.tn, m.fn]).toEqual([2, 1, 1, 1]);
    expect(m.accuracy).toBeCloseTo(3 / 5, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.yesRatio).toBeCloseTo(3 / 5, 12);
  });
  it('labels other than "no" count as yes; no yes prediction leaves precision undefined (NaN)', () => {
    const m = popeMetrics(['no', 'no'], ['YES', 'no']);
    expect(m.fn).toBe(1);
    expect(Number.isNaN(m.precision)).toBe(true);
  });
  it('rejects mismatched lengths and empty input', () => {
    expect(() => popeMetrics(['yes'], [])).toThrowError(MetricError);
    expect(() => popeMetrics([], [])).toThrowError(MetricError);
  });
});
