import { describe, expect, it } from 'vitest';
import { oppositeSide, spatialAnswer, spatialDirectPrompt, spatialIclPrompt, spatialQuestion } from './spatial.js';

describe('COCO-Spatial prompts', () => {
  it('reproduces the paper ICL prompt of Appendix E word for word', () => {
    const { prompt, expectedSide } = spatialIclPrompt({
      alone: 'obj_1',
      aloneSide: 'left',
      exampleOther: 'obj_2',
      queryOther: 'obj_3',
    });
    expect(prompt).toBe(
      'Q: Which side of obj_1 is obj_2 located? A: The obj_1 is located to the left of obj_2. Q: Which side of obj_2 is obj_1 located? A: The obj_2 is located to the right of obj_1. Q: Which side of obj_3 is obj_1 located?',
    );
    expect(expectedSide).toBe('left');
  });

  it('asks the direct question in the paper and released wordings', () => {
    expect(spatialQuestion({ reference: 'dog', subject: 'cat' })).toBe('Which side of dog is cat located?');
    expect(spatialQuestion({ reference: 'dog', subject: 'cat' }, 'released')).toBe('Which side of the dog is the cat?');
    expect(spatialDirectPrompt({ reference: 'dog', subject: 'cat', subjectSide: 'right' }, 'released')).toEqual({
      prompt: 'Which side of the dog is the cat?',
      expectedSide: 'right',
    });
  });

  it('writes solved answers like the released data and like the paper', () => {
    expect(spatialAnswer({ reference: 'dog', subject: 'cat', subjectSide: 'right' }, 'released')).toBe(
      'The cat is on the right side of the dog.',
    );
    expect(spatialAnswer({ reference: 'dog', subject: 'cat', subjectSide: 'above' }, 'released')).toBe(
      'The cat is above the dog.',
    );
    expect(spatialAnswer({ reference: 'dog', subject: 'cat', subjectSide: 'right' }, 'paper')).toBe(
      'The dog is located to the left of cat.',
    );
    expect(spatialAnswer({ reference: 'dog', subject: 'cat', subjectSide: 'below' }, 'paper')).toBe(
      'The dog is located above cat.',
    );
  });

  it('builds the released-form ICL prompt for the vertical axis', () => {
    const { prompt, expectedSide } = spatialIclPrompt(
      { alone: 'kite', aloneSide: 'above', exampleOther: 'person', queryOther: 'dog' },
      'released',
    );
    expect(prompt).toBe(
      'Q: Which side of the kite is the person? A: The person is below the kite. Q: Which side of the person is the kite? A: The kite is above the person. Q: Which side of the dog is the kite?',
    );
    expect(expectedSide).toBe('above');
  });

  it('rejects unknown sides and forms and empty names', () => {
    expect(oppositeSide('left')).toBe('right');
    expect(() => oppositeSide('up' as never)).toThrow(/side must be left, right, above or below, got up/);
    expect(() => spatialQuestion({ reference: 'a', subject: 'b' }, 'other' as never)).toThrow(/form must be/);
    expect(() => spatialQuestion({ reference: '', subject: 'b' })).toThrow(/pair\.reference must be a non-empty/);
    expect(() =>
      spatialIclPrompt({ alone: 'a', aloneSide: 'middle' as never, exampleOther: 'b', queryOther: 'c' }),
    ).toThrow(/triplet\.aloneSide must be left, right, above or below/);
  });
});
