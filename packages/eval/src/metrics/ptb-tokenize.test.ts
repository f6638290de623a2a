import { describe, expect, it } from 'vitest';
import { ptbTokenize, ptbTokenizeToString } from './ptb-tokenize.js';

describe('PTB-style caption tokenisation (pycocoevalcap)', () => {
  it('lower-cases, splits clitics and drops the punctuation list', () => {
    expect(ptbTokenize("A man's dog, (running) quickly.")).toEqual(['a', 'man', "'s", 'dog', 'running', 'quickly']);
    expect(ptbTokenize("Don't stop!")).toEqual(['do', "n't", 'stop']);
    expect(ptbTokenizeToString('She said: "hello" -- twice; ok?')).toBe('she said hello twice ok');
  });
  it('keeps hyphenated words, dotted abbreviations and decimals', () => {
    expect(ptbTokenize('A well-known U.S. flag, 3.5 m tall...')).toEqual([
      'a',
      'well-known',
      'u.s.',
      'flag',
      '3.5',
      'm',
      'tall',
    ]);
  });
});
