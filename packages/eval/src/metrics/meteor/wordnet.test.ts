import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MetricError } from '../errors.js';
import { sharesSynset, WordNetSynonyms } from './wordnet.js';

const fixture = fileURLToPath(new URL('./fixtures/wordnet', import.meta.url));

describe('WordNetSynonyms (fixture database)', () => {
  const wn = WordNetSynonyms.load(fixture);

  it('pools synsets of every part of speech and skips licence header lines', () => {
    expect(wn.synsets.get('run')?.length).toBe(3); // one noun + two verb synsets
    expect(wn.synsets.has('1')).toBe(false);
  });

  it('words sharing a synset are synonyms (car / automobile), others are not (car / dog)', () => {
    expect(sharesSynset(wn.lookup('car'), wn.lookup('automobile'))).toBe(true);
    expect(sharesSynset(wn.lookup('car'), wn.lookup('dog'))).toBe(false);
  });

  it('keeps noun and verb offsets apart even when the numbers coincide', () => {
    // run (verb 02075049) and scat (verb 02075049) share; no noun uses that offset
    expect(sharesSynset(wn.lookup('run'), wn.lookup('scat'))).toBe(true);
  });

  it('uses the exception lists for irregular forms (mice -> mouse, ran -> run)', () => {
    expect(sharesSynset(wn.lookup('mice'), wn.lookup('mouse'))).toBe(true);
    expect(sharesSynset(wn.lookup('ran'), wn.lookup('scat'))).toBe(true);
  });

  it('detaches suffixes in rule order, needing a known lemma (boxes -> box, axes -> axe, cars -> car)', () => {
    expect(wn.morph('boxes')).toBe('box');
    expect(wn.morph('axes')).toBe('axe'); // rule "s" comes before "xes"
    expect(wn.morph('cars')).toBe('car');
    expect(wn.morph('dogged')).toBe(''); // no consonant undoubling: dogge / dogg are not lemmas
    expect(wn.morph('zebras')).toBe('');
  });

  it('words ending in "ss" or of two letters are their own base; "-ful" words have none', () => {
    expect(wn.morph('glass')).toBe('glass');
    expect(wn.morph('ox')).toBe('ox');
    expect(wn.morph('boxful')).toBe('');
  });

  it('reports a missing database with the path and the fix', () => {
    expect(() => WordNetSynonyms.load('/nonexistent/wordnet')).toThrowError(MetricError);
    expect(() => WordNetSynonyms.load('/nonexistent/wordnet')).toThrow(/wordnet-base/);
  });
});
