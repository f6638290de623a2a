import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meteorNormalizeLine, meteorTokenize, normalizeGeneral } from './normalize.js';

describe('Meteor -norm normalisation (English)', () => {
  it('separates punctuation but keeps it', () => {
    expect(meteorNormalizeLine('A man, riding a horse!')).toBe('A man , riding a horse !');
  });
  it('splits English contractions to the right', () => {
    expect(meteorNormalizeLine("the man's dog isn't here")).toBe("the man 's dog isn 't here");
  });
  it('keeps digit commas and decimal points, splits a sentence-final period', () => {
    expect(meteorNormalizeLine('it costs 1,000.50 dollars.')).toBe('it costs 1,000.50 dollars .');
  });
  it('undots acronyms and splits dashes between words', () => {
    expect(meteorNormalizeLine('the U.S.-based left-hand side')).toBe('the US based left hand side');
  });
  it('keeps nonbreaking prefixes and periods followed by a lower-case word', () => {
    expect(meteorNormalizeLine('Mr. Smith and Fig. Two')).toBe('Mr. Smith and Fig . Two');
    expect(meteorNormalizeLine('Fig. b')).toBe('Fig. b');
    expect(meteorNormalizeLine('No. 5 and No. Five')).toBe('No. 5 and No . Five');
  });
  it('normalises curly quotes and dashes, keeps ellipses together', () => {
    expect(meteorNormalizeLine('“hi” – wait...')).toBe('" hi " - wait ...');
  });
  it('lower-cases and splits into words', () => {
    expect(meteorTokenize('A Dog.', 'norm')).toEqual(['a', 'dog', '.']);
    expect(meteorTokenize('A Dog.', 'lowercase')).toEqual(['a', 'dog.']);
    expect(meteorTokenize('A Dog.', 'none')).toEqual(['A', 'Dog.']);
    expect(meteorTokenize('A, dog.', 'normNoPunct')).toEqual(['a', 'dog']);
  });
});

describe('plain-text fast path', () => {
  it('agrees with the full rule set on letters, digits, spaces and a final period', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 ]{0,30}\.? {0,2}$/), (line) => {
        expect(meteorNormalizeLine(line)).toBe(normalizeGeneral(line));
      }),
      { numRuns: 500 },
    );
    for (const line of ['A.', 'Mr.', 'No.', 'a dog.', 'a dog .', ' .', '.', 'Dr. Smith.', 'I saw Capt.']) {
      expect(meteorNormalizeLine(line)).toBe(normalizeGeneral(line));
    }
  });
});
