import { describe, expect, it } from 'vitest';
import { createRng } from './rng.js';
import {
  CAPTION_PROMPT_TEMPLATE,
  captionPrompt,
  descriptionText,
  hallucinationQuestion,
  LOCATION_QUESTION_TEMPLATES,
  locationQuestion,
  locPredTarget,
  NEGPRED_TARGET,
  REVLOC_QUESTION_TEMPLATES,
  revLocQuestion,
  revLocTarget,
} from './templates.js';
import { fillTemplate, indefiniteArticle } from './text.js';

describe('paper templates (Appendix B, C)', () => {
  it('keeps the five LocPred/NegPred templates verbatim, "the the" included', () => {
    expect(LOCATION_QUESTION_TEMPLATES).toEqual([
      'Where is the object described {category} located in image in terms of {repr}?',
      'What is the location of object described {category} in terms of {repr}?',
      'Localize the object described {category} in terms of {repr}?',
      'Provide a {repr} for the the object described {category}?',
      'Generate a {repr} for the the object described {category}?',
    ]);
    expect(REVLOC_QUESTION_TEMPLATES).toEqual([
      'Describe the object located at {loc}?',
      'Provide a caption for object at {loc}?',
      'What is at location {loc} in image?',
    ]);
    expect(NEGPRED_TARGET).toBe('There is no such object in the image');
    expect(CAPTION_PROMPT_TEMPLATE).toBe(
      'Describe the {category} in this image using one short sentence, referring to its visual features and spatial position relative to other objects in image.',
    );
  });

  it('fills {category} and {repr} for boxes and points', () => {
    expect(locationQuestion({ category: 'cat' }, 'box', 0)).toBe(
      'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?',
    );
    expect(locationQuestion({ category: 'cat' }, 'point', 3)).toBe(
      'Provide a (cx,cy) point for the the object described cat?',
    );
    expect(locPredTarget('(4, 52, 13, 63)')).toBe('It is located at (4, 52, 13, 63)');
    expect(revLocQuestion('(4, 52, 13, 63)', 2)).toBe('What is at location (4, 52, 13, 63) in image?');
  });

  it('inserts a pseudo-caption without its final period', () => {
    expect(descriptionText({ caption: '  A black cat on the sofa.  ' })).toBe('A black cat on the sofa');
    expect(() => descriptionText({ name: 'cat' } as never)).toThrow(
      /description must be \{ category \} or \{ caption \}/,
    );
    expect(() => descriptionText({ caption: '   ' })).toThrow(/description\.caption must be a non-empty string/);
    expect(locationQuestion({ caption: 'A black cat on the sofa.' }, 'box', 2)).toBe(
      'Localize the object described A black cat on the sofa in terms of (x1,y1,x2,y2) bbox?',
    );
  });

  it('reads RevLoc targets with the right article, or the caption itself', () => {
    expect(revLocTarget({ category: 'cat' })).toBe('There is a cat.');
    expect(revLocTarget({ category: 'orange' })).toBe('There is an orange.');
    expect(revLocTarget({ caption: ' A black cat on the sofa. ' })).toBe('A black cat on the sofa.');
  });

  it('builds the self-training caption prompt', () => {
    expect(captionPrompt('dog')).toBe(
      'Describe the dog in this image using one short sentence, referring to its visual features and spatial position relative to other objects in image.',
    );
  });

  it('draws every template with an Rng and rejects a bad index', () => {
    const rng = createRng(1);
    const seen = new Set(Array.from({ length: 200 }, () => locationQuestion({ category: 'x' }, 'box', rng)));
    expect(seen.size).toBe(5);
    expect(() => locationQuestion({ category: 'x' }, 'box', 5)).toThrow(/template index must be 0\.\.4, got 5/);
    expect(() => locationQuestion({ category: '' }, 'box', 0)).toThrow(/description\.category must be a non-empty/);
    expect(() => locationQuestion({ category: 'x' }, 'polygon' as never, 0)).toThrow(/shape must be 'box' or 'point'/);
  });

  it('fills slots in one pass so values holding "{loc}" or "$&" stay as they are', () => {
    expect(fillTemplate('a {category} b {loc}', { category: '{loc} $& $1', loc: 'L' })).toBe('a {loc} $& $1 b L');
    expect(() => fillTemplate('{missing}', {})).toThrow(/slot \{missing\} has no value/);
  });
});

describe('hallucination question', () => {
  it('chooses a/an by the first letter, either case', () => {
    expect(hallucinationQuestion('apple')).toBe('Is there an apple in the image?');
    expect(hallucinationQuestion('Umbrella')).toBe('Is there an Umbrella in the image?');
    expect(hallucinationQuestion('hair drier')).toBe('Is there a hair drier in the image?');
    expect(hallucinationQuestion('dog', 'video')).toBe('Is there a dog in the video?');
    expect(hallucinationQuestion('  elephant ')).toBe('Is there an elephant in the image?');
  });

  it("does not rewrite the a's inside other words (POPE's replace('a', 'an') bug)", () => {
    const question = hallucinationQuestion('apple');
    expect(question).not.toContain('imange');
    expect(question).not.toContain('anpple');
    expect(indefiniteArticle('')).toBe('a');
    expect(indefiniteArticle('Ostrich')).toBe('an');
    expect(indefiniteArticle('1 cup')).toBe('a');
  });

  it('rejects an empty object and an unknown medium', () => {
    expect(() => hallucinationQuestion(' ')).toThrow(/object must be a non-empty string/);
    expect(() => hallucinationQuestion('dog', 'audio' as never)).toThrow(/medium must be 'image' or 'video'/);
  });
});
