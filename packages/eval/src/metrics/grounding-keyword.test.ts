import { describe, expect, it } from 'vitest';
import { MetricError } from './errors.js';
import { boxIou, groundingMetrics } from './grounding.js';
import { containsWord, keywordAccuracy, parseYesNo, yesNoAccuracy } from './keyword.js';

describe('grounding', () => {
  it('IoU of overlapping, identical, disjoint and degenerate boxes', () => {
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 12);
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(boxIou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
  it('IoU exactly 0.5 counts for the >= variant only; unparsable answers are misses with IoU 0', () => {
    const m = groundingMetrics(
      [[0, 0, 10, 5], [0, 0, 10, 10], null],
      [
        [0, 0, 10, 10],
        [0, 0, 10, 10],
        [0, 0, 10, 10],
      ],
    );
    expect(m.accuracyAboveThreshold).toBeCloseTo(1 / 3, 12);
    expect(m.accuracyAtLeastThreshold).toBeCloseTo(2 / 3, 12);
    expect(m.meanIou).toBeCloseTo(0.5, 12);
    expect(m.unparsable).toBe(1);
    expect(() => groundingMetrics([null], [])).toThrowError(MetricError);
  });
});

describe('keyword scoring (COCO-Spatial) and yes/no helpers', () => {
  it('matches the target as a whole word, ignoring case', () => {
    expect(containsWord('The dog is on the Left.', 'left')).toBe(true);
    expect(containsWord('left-hand side', 'left')).toBe(true);
    expect(containsWord('leftover pizza', 'left')).toBe(false);
    expect(containsWord('ABOVE the table', 'above')).toBe(true);
  });
  it('keyword accuracy', () => {
    const r = keywordAccuracy([
      { answer: 'It is to the right.', target: 'right' },
      { answer: 'It is to the left.', target: 'right' },
    ]);
    expect(r.accuracy).toBe(0.5);
    expect(r.correct).toEqual([true, false]);
  });
  it('yes/no parsing takes the first standalone yes or no', () => {
    expect(parseYesNo('Yes, there is one.')).toBe('yes');
    expect(parseYesNo('No. Yes.')).toBe('no');
    expect(parseYesNo('I know there is')).toBeNull();
    expect(
      yesNoAccuracy([
        { answer: 'Yes', label: 'yes' },
        { answer: 'nope', label: 'no' },
      ]),
    ).toEqual({ accuracy: 0.5, unparsable: 1 });
  });
});
