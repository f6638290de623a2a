import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MetricError } from '../errors.js';
import { createMeteorScorer, javaStringHash } from './scorer.js';
import { aggregateMeteorStats, computeMeteorScore, formatMeteorStats, parseMeteorStats } from './stats.js';
import { WordNetSynonyms } from './wordnet.js';

const synonyms = WordNetSynonyms.load(fileURLToPath(new URL('./fixtures/wordnet', import.meta.url)));
// Meteor 1.5 English: alpha 0.85, beta 0.20, gamma 0.60, delta 0.75; exact 1.0, stem 0.6, synonym 0.8.
const penalty = (frag: number) => 0.6 * frag ** 0.2;

describe('METEOR 1.5 segment scores (hand-computed)', () => {
  it('identical lines: one chunk covering everything gives fragmentation 0 and score 1', () => {
    const m = createMeteorScorer({ synonyms, functionWords: ['the'] });
    const r = m.segment('The cat sat.', ['the cat sat .']);
    expect(r.stats.chunks).toBe(1);
    expect(r.detail.fragmentation).toBe(0);
    expect(r.score).toBe(1);
  });

  it('reordered halves: two chunks, frag = 2 / 6', () => {
    const m = createMeteorScorer({ synonyms, functionWords: [] });
    const r = m.segment('the cat sat on the mat', ['on the mat the cat sat']);
    expect(r.stats.chunks).toBe(2);
    expect(r.detail.precision).toBe(1);
    expect(r.score).toBeCloseTo(1 - penalty(2 / 6), 12); // 0.518355...
  });

  it('function words weigh 1 - delta, content words delta; stems count 0.6', () => {
    // test: a(f) man rides a(f) horse; every word matched in one chunk (rides~riding by stem).
    // matches = (2 exact + 0.6 stem) * 0.75 + 2 * 0.25 = 2.45; length = 3 * 0.75 + 2 * 0.25 = 2.75
    const m = createMeteorScorer({ modules: ['exact', 'stem'], functionWords: ['a'] });
    const r = m.segment('a man rides a horse', ['a man riding a horse']);
    expect(r.stats.testStageMatchesContent).toEqual([2, 1]);
    expect(r.stats.testStageMatchesFunction).toEqual([2, 0]);
    expect(r.stats.chunks).toBe(1);
    expect(r.detail.fragmentation).toBe(0);
    expect(r.score).toBeCloseTo(2.45 / 2.75, 12);
  });

  it('synonyms count 0.8 (car ~ automobile share a WordNet synset)', () => {
    // content: automobile/car (0.8), red (1); function: the, is. matches 1.8*0.75 + 2*0.25 = 1.85 of 2.0.
    const m = createMeteorScorer({ synonyms, functionWords: ['the', 'is'] });
    const r = m.segment('the automobile is red', ['the car is red']);
    expect(r.stats.testStageMatchesContent).toEqual([1, 0, 1]);
    expect(r.score).toBeCloseTo(0.925, 12);
  });

  it('a synonym through an irregular base form (mice ~ mouse via noun.exc)', () => {
    const m = createMeteorScorer({ synonyms, modules: ['exact', 'synonym'], functionWords: [] });
    const r = m.segment('mice', ['mouse']);
    expect(r.stats.testStageMatchesContent).toEqual([0, 1]);
    // P = R = 0.8; one chunk covering both lines -> no penalty.
    expect(r.score).toBeCloseTo(0.8, 12);
  });

  it('partial match: P and R differ, Fmean weights recall by alpha', () => {
    const m = createMeteorScorer({ synonyms, functionWords: [] });
    const r = m.segment('a dog', ['a dog on the grass']);
    const P = 1;
    const R = 2 / 5;
    const fMean = 1 / (0.15 / P + 0.85 / R);
    // one chunk but not everything matched: frag = 1 / 2
    expect(r.detail.fragmentation).toBe(0.5);
    expect(r.score).toBeCloseTo(fMean * (1 - penalty(0.5)), 12);
  });

  it('no match gives 0 (Meteor turns the undefined Fmean into 0)', () => {
    const m = createMeteorScorer({ synonyms, functionWords: [] });
    expect(m.score('zebra', ['giraffe'])).toBe(0);
    expect(m.score('', ['giraffe'])).toBe(0);
  });

  it('keeps the first best-scoring reference', () => {
    const m = createMeteorScorer({ synonyms, functionWords: [] });
    const r = m.segment('a red car', ['a blue bus', 'a red car', 'a red car']);
    expect(r.referenceIndex).toBe(1);
    expect(r.score).toBe(1);
  });

  it('fixed matches: a lone stem candidate is kept, but one tied with a synonym candidate loses to fewer chunks', () => {
    // Meteor's beam keeps weighted match counts in Java ints, so a 0.5-weight single-word match adds 0 and a
    // path that skips it (fewer chunks) wins the tie. With only the stem module the match is definite and kept.
    const stemOnly = createMeteorScorer({ modules: ['exact', 'stem'], functionWords: [] });
    expect(stemOnly.segment('dogs', ['dog']).stats.testStageMatchesContent).toEqual([0, 1]);
    const both = createMeteorScorer({ synonyms, functionWords: [] });
    // "runs" ~ "running": same stem (run) and shared synsets (runs by the "s" rule, running through verb.exc).
    const r = both.segment('a dog runs', ['a dog is running']);
    expect(r.stats.testWordMatches).toBe(2);
    expect(r.stats.chunks).toBe(1);
  });

  it('rejects a hypothesis without references and unknown modules', () => {
    const m = createMeteorScorer({ synonyms, functionWords: [] });
    expect(() => m.segment('a', [])).toThrowError(MetricError);
    expect(() => createMeteorScorer({ synonyms, modules: ['paraphrase'] })).toThrow(/paraphraseFile/);
  });
});

describe('NLTK meteor_score cross-check (same formulas, NLTK parameters)', () => {
  // NLTK: fmean = P R / (alpha P + (1 - alpha) R), penalty = gamma (chunks / matches)^beta, alpha 0.9, beta 3, gamma 0.5,
  // no function-word weighting. With no function words Meteor's formulas coincide except for Meteor's "one chunk
  // covering everything -> fragmentation 0" rule.
  const m = createMeteorScorer({
    synonyms,
    functionWords: [],
    modules: ['exact', 'stem'],
    parameters: { alpha: 0.9, beta: 3, gamma: 0.5 },
  });
  it('reordered sentence: NLTK gives 1 - 0.5 (2/6)^3 = 0.981481...', () => {
    expect(m.score('the cat sat on the mat', ['on the mat the cat sat'])).toBeCloseTo(1 - 0.5 * (2 / 6) ** 3, 12);
  });
  it('partial match: NLTK gives P R/(0.9 P + 0.1 R) (1 - 0.5 (1/2)^3)', () => {
    const P = 2 / 2;
    const R = 2 / 4;
    const nltk = ((P * R) / (0.9 * P + 0.1 * R)) * (1 - 0.5 * 0.5 ** 3);
    expect(m.score('black cat', ['a black cat sleeps'])).toBeCloseTo(nltk, 12);
  });
  it('identical sentence: NLTK 0.99768... but Meteor 1.5 gives exactly 1 (documented difference)', () => {
    expect(m.score('the cat sat on the mat', ['the cat sat on the mat'])).toBe(1);
  });
});

describe('METEOR corpus score from pooled statistics', () => {
  it('pools counts; a fully matched one-chunk segment adds no chunk', () => {
    const m = createMeteorScorer({ modules: ['exact'], functionWords: [] });
    const r = m.corpus([
      { hypothesis: 'a b c', references: ['a b c'] },
      { hypothesis: 'x y', references: ['y x'] },
    ]);
    expect(r.segmentScores[0]).toBe(1);
    expect(r.segmentScores[1]).toBeCloseTo(1 - 0.6 * 1 ** 0.2, 12); // 2 chunks / 2 matches
    // pooled: 5 matches of 5 words, chunks 0 + 2 -> frag 2/5
    expect(r.stats.chunks).toBe(2);
    expect(r.score).toBeCloseTo(1 - penalty(2 / 5), 12); // 0.500468..., not the mean 0.7
  });

  it('stats round-trip through the SS line format', () => {
    const m = createMeteorScorer({ modules: ['exact', 'stem'], functionWords: ['a'] });
    const s = m.segment('a man rides a horse', ['a man riding a horse']).stats;
    const line = formatMeteorStats(s);
    expect(line).toBe('5.0 5.0 2.0 2.0 2.0 2.0 2.0 2.0 1.0 1.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 1.0 5.0 5.0');
    const back = parseMeteorStats(line);
    const params = { ...m.parameters, moduleWeights: [1, 0.6, 0.8, 0.6] };
    expect(computeMeteorScore(back, params).score).toBeCloseTo(2.45 / 2.75, 12);
    expect(aggregateMeteorStats([back]).chunks).toBe(0);
    expect(() => parseMeteorStats('1 2 3')).toThrowError(MetricError);
  });
});

describe('javaStringHash', () => {
  it("matches Java's String.hashCode", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('Aa')).toBe(javaStringHash('BB')); // the classic collision
  });
});

describe('Meteor word identity', () => {
  it('compares words by Java hashCode, so colliding strings count as exact matches (as in Meteor)', () => {
    const m = createMeteorScorer({ modules: ['exact'], functionWords: [], normalization: 'none' });
    expect(m.score('Aa', ['BB'])).toBe(1);
    expect(m.score('Aa', ['Ab'])).toBe(0);
  });
  it('a smaller beam is accepted and still finds the one-chunk alignment of a simple pair', () => {
    const m = createMeteorScorer({ modules: ['exact'], functionWords: [], beamSize: 1 });
    expect(m.segment('a b a b', ['a b a b x']).stats.chunks).toBe(1);
    expect(() => createMeteorScorer({ modules: ['exact'], beamSize: 0 })).toThrowError(MetricError);
  });
});
