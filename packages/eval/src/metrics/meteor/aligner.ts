// Meteor 1.5's aligner (edu.cmu.meteor.aligner.Aligner), re-expressed: every module proposes matches between the
// test (line 1) and reference (line 2) words; matches that are the only candidate and overlap nothing are fixed; a
// left-to-right beam search over reference positions picks the rest. Paths are ranked by weighted match count (as
// Java ints, so fractional weights truncate), then fewer chunks, then smaller summed position distance — the
// PARTIAL_COMPARE_TOTAL order Meteor's scorer uses, with exact 1.0 and every other module 0.5.
import type { ParaphraseTable } from './paraphrase.js';
import { sharesSynset, type WordNetSynonyms } from './wordnet.js';

/** Meteor's matching modules, in the order they run. */
export type MeteorModule = 'exact' | 'stem' | 'synonym' | 'paraphrase';

/** One match: reference words [start, start+length) with test words [matchStart, matchStart+matchLength). */
export interface MeteorMatch {
  start: number;
  length: number;
  matchStart: number;
  matchLength: number;
  /** Index of the module (in the configured module list) that proposed it. */
  module: number;
}

/** Word-level facts the matchers need, cached per distinct word. */
export interface WordInfo {
  /** Java String.hashCode of the word: Meteor compares words by it. */
  key: number;
  /** Java String.hashCode of the word's Snowball stem. */
  stemKey: number;
  /** Sorted WordNet synset ids (own and base form's). */
  synsets: Int32Array;
  /** In Meteor's function-word list. */
  isFunctionWord: boolean;
}

/** What the aligner needs besides the words. */
export interface AlignerConfig {
  modules: readonly MeteorModule[];
  beamSize: number;
  synonyms?: WordNetSynonyms;
  paraphrases?: ParaphraseTable;
  /** Precomputed {@link searchWeightsFor} of `modules`. */
  searchWeights?: readonly number[];
}

/** The chosen alignment with Meteor's per-module content/function match counts. */
export interface MeteorAlignment {
  /** matches[j] is the match starting at reference word j, if any. */
  matches: (MeteorMatch | null)[];
  testMatches: number;
  referenceMatches: number;
  chunks: number;
  /** Per module: test/reference content and function word matches. */
  testContent: number[];
  referenceContent: number[];
  testFunction: number[];
  referenceFunction: number[];
  testFunctionWords: number;
  referenceFunctionWords: number;
}

// Weights MeteorScorer hands the aligner for choosing between alignments (not the scoring weights).
const SEARCH_WEIGHT_EXACT = 1.0;
const SEARCH_WEIGHT_OTHER = 0.5;

class Path {
  matches: (MeteorMatch | null)[];
  matchCount = 0;
  matches1 = 0;
  matches2 = 0;
  allMatches1 = 0;
  allMatches2 = 0;
  chunks = 0;
  idx = 0;
  lastMatchEnd = -1;
  distance = 0;
  // Plain arrays: cheaper than typed arrays to copy at caption lengths.
  used1: boolean[];
  used2: boolean[];

  constructor(matches: (MeteorMatch | null)[], used1: boolean[], used2: boolean[]) {
    this.matches = matches;
    this.used1 = used1;
    this.used2 = used2;
  }

  copy(): Path {
    const p = new Path(this.matches.slice(), this.used1.slice(), this.used2.slice());
    p.matchCount = this.matchCount;
    p.matches1 = this.matches1;
    p.matches2 = this.matches2;
    p.allMatches1 = this.allMatches1;
    p.allMatches2 = this.allMatches2;
    p.chunks = this.chunks;
    p.idx = this.idx;
    p.lastMatchEnd = this.lastMatchEnd;
    p.distance = this.distance;
    return p;
  }

  isUsed(m: MeteorMatch): boolean {
    for (let i = 0; i < m.length; i++) if (this.used2[m.start + i]) return true;
    for (let i = 0; i < m.matchLength; i++) if (this.used1[m.matchStart + i]) return true;
    return false;
  }

  setUsed(m: MeteorMatch): void {
    for (let i = 0; i < m.length; i++) this.used2[m.start + i] = true;
    for (let i = 0; i < m.matchLength; i++) this.used1[m.matchStart + i] = true;
  }
}

function comparePaths(x: Path, y: Path): number {
  const matchDiff = y.matches1 + y.matches2 - (x.matches1 + x.matches2);
  if (matchDiff > 0) return 1;
  if (matchDiff < 0) return -1;
  const chunkDiff = x.chunks - y.chunks;
  if (chunkDiff !== 0) return chunkDiff;
  return x.distance - y.distance;
}

/** Align test words (line 1) to reference words (line 2) as Meteor 1.5 does. */
export function meteorAlign(
  test: readonly WordInfo[],
  testWords: readonly string[],
  ref: readonly WordInfo[],
  refWords: readonly string[],
  config: AlignerConfig,
): MeteorAlignment {
  const n1 = test.length;
  const n2 = ref.length;
  const candidates: MeteorMatch[][] = Array.from({ length: n2 }, () => []);
  const coverage1 = new Int32Array(n1);
  const coverage2 = new Int32Array(n2);
  const searchWeights = config.searchWeights ?? searchWeightsFor(config.modules);

  // Identical lines need only the first module (Meteor's guard against beam-search errors).
  let identical = n1 === n2;
  for (let i = 0; identical && i < n1; i++) if (test[i]!.key !== ref[i]!.key) identical = false;
  const modulesUsed = identical ? Math.min(1, config.modules.length) : config.modules.length;

  for (let module = 0; module < modulesUsed; module++) {
    const kind = config.modules[module]!;
    if (kind === 'exact') {
      for (let j = 0; j < n2; j++)
        for (let i = 0; i < n1; i++)
          if (test[i]!.key === ref[j]!.key) addWordMatch(candidates, coverage1, coverage2, i, j, module);
    } else if (kind === 'stem') {
      for (let j = 0; j < n2; j++)
        for (let i = 0; i < n1; i++)
          if (test[i]!.stemKey === ref[j]!.stemKey && test[i]!.key !== ref[j]!.key)
            addWordMatch(candidates, coverage1, coverage2, i, j, module);
    } else if (kind === 'synonym') {
      for (let j = 0; j < n2; j++)
        for (let i = 0; i < n1; i++)
          if (test[i]!.key !== ref[j]!.key && sharesSynset(test[i]!.synsets, ref[j]!.synsets))
            addWordMatch(candidates, coverage1, coverage2, i, j, module);
    } else if (config.paraphrases) {
      paraphraseMatches(config.paraphrases, testWords, refWords, module, candidates, coverage1, coverage2);
    }
  }

  // One-to-one matches that are a position's only candidate and overlap nothing are definite.
  const initial = new Path(
    new Array<MeteorMatch | null>(n2).fill(null),
    new Array<boolean>(n1).fill(false),
    new Array<boolean>(n2).fill(false),
  );
  for (let j = 0; j < n2; j++) {
    const list = candidates[j]!;
    if (list.length !== 1) continue;
    const m = list[0]!;
    let overlap = false;
    for (let k = 0; k < m.length; k++) if (coverage2[j + k] !== 1) overlap = true;
    for (let k = 0; k < m.matchLength; k++) if (coverage1[m.matchStart + k] !== 1) overlap = true;
    if (!overlap) {
      initial.matches[j] = m;
      initial.setUsed(m);
    }
  }

  // When every candidate was fixed the beam has a single path whose matches are the fixed ones.
  let open = false;
  for (let j = 0; j < n2 && !open; j++) {
    const list = candidates[j]!;
    if (list.length > 1 || (list.length === 1 && initial.matches[j] !== list[0])) open = true;
  }
  const best = open ? resolve(candidates, initial, config.beamSize, searchWeights) : initial;

  const moduleCount = config.modules.length;
  const result: MeteorAlignment = {
    matches: best.matches,
    testMatches: 0,
    referenceMatches: 0,
    chunks: 0,
    testContent: new Array<number>(moduleCount).fill(0),
    referenceContent: new Array<number>(moduleCount).fill(0),
    testFunction: new Array<number>(moduleCount).fill(0),
    referenceFunction: new Array<number>(moduleCount).fill(0),
    testFunctionWords: 0,
    referenceFunctionWords: 0,
  };
  for (const w of test) if (w.isFunctionWord) result.testFunctionWords++;
  for (const w of ref) if (w.isFunctionWord) result.referenceFunctionWords++;
  for (const m of best.matches) {
    if (!m) continue;
    for (let k = 0; k < m.matchLength; k++) {
      if (test[m.matchStart + k]!.isFunctionWord) result.testFunction[m.module]!++;
      else result.testContent[m.module]!++;
    }
    for (let k = 0; k < m.length; k++) {
      if (ref[m.start + k]!.isFunctionWord) result.referenceFunction[m.module]!++;
      else result.referenceContent[m.module]!++;
    }
  }
  // Count matches and chunks over the final alignment, walking the reference.
  let idx = 0;
  let lastMatchEnd = -1;
  while (idx < n2) {
    const m = best.matches[idx];
    if (!m) {
      if (lastMatchEnd !== -1) {
        result.chunks++;
        lastMatchEnd = -1;
      }
      idx++;
    } else {
      result.testMatches += m.matchLength;
      result.referenceMatches += m.length;
      if (lastMatchEnd !== -1 && m.matchStart !== lastMatchEnd) result.chunks++;
      idx = m.start + m.length;
      lastMatchEnd = m.matchStart + m.matchLength;
    }
  }
  if (lastMatchEnd !== -1) result.chunks++;
  return result;
}

/** The weights Meteor's scorer hands the aligner for ranking paths: exact 1.0, every other module 0.5. */
export function searchWeightsFor(modules: readonly MeteorModule[]): number[] {
  return modules.map((m) => (m === 'exact' ? SEARCH_WEIGHT_EXACT : SEARCH_WEIGHT_OTHER));
}

function addWordMatch(
  candidates: MeteorMatch[][],
  coverage1: Int32Array,
  coverage2: Int32Array,
  i: number,
  j: number,
  module: number,
): void {
  candidates[j]!.push({ start: j, length: 1, matchStart: i, matchLength: 1, module });
  coverage1[i]!++;
  coverage2[j]!++;
}

function extend(path: Path, m: MeteorMatch, weights: readonly number[]): void {
  const w = weights[m.module]!;
  path.matchCount++;
  // Java int += double: the weighted sum is truncated back to an int at every step.
  path.matches1 = Math.trunc(path.matches1 + m.matchLength * w);
  path.matches2 = Math.trunc(path.matches2 + m.length * w);
  path.allMatches1 += m.matchLength;
  path.allMatches2 += m.length;
  if (path.lastMatchEnd !== -1 && m.matchStart !== path.lastMatchEnd) path.chunks++;
  path.idx = m.start + m.length;
  path.lastMatchEnd = m.matchStart + m.matchLength;
}

function resolve(candidates: MeteorMatch[][], start: Path, beamSize: number, weights: readonly number[]): Path {
  const n2 = candidates.length;
  let next: Path[] = [start];
  for (let current = 0; current <= n2; current++) {
    const paths = next;
    next = [];
    paths.sort(comparePaths);
    for (let rank = 0; rank < beamSize && rank < paths.length; rank++) {
      const path = paths[rank]!;
      if (current === n2) {
        if (path.lastMatchEnd !== -1) path.chunks++;
        next.push(path);
        continue;
      }
      if (path.used2[current]) {
        if (current < path.idx) {
          next.push(path);
        } else {
          const fixed = path.matches[path.idx];
          if (fixed) {
            extend(path, fixed, weights);
            path.distance += Math.abs(fixed.start - fixed.matchStart);
            next.push(path);
          }
        }
        continue;
      }
      for (const m of candidates[current]!) {
        if (path.isUsed(m)) continue;
        const branch = path.copy();
        branch.setUsed(m);
        branch.matches[current] = m;
        extend(branch, m, weights);
        // Meteor adds this distance to the parent path, not the branch; kept for identical tie-breaking.
        path.distance += Math.abs(m.start - m.matchStart);
        next.push(branch);
      }
      if (path.lastMatchEnd !== -1) {
        path.chunks++;
        path.lastMatchEnd = -1;
      }
      path.idx++;
      next.push(path);
    }
    if (next.length === 0) next.push(paths[0]!);
  }
  next.sort(comparePaths);
  return next[0]!;
}

function paraphraseMatches(
  table: ParaphraseTable,
  testWords: readonly string[],
  refWords: readonly string[],
  module: number,
  candidates: MeteorMatch[][],
  coverage1: Int32Array,
  coverage2: Int32Array,
): void {
  const line1 = Int32Array.from(testWords, (w) => table.wordId(w));
  const line2 = Int32Array.from(refWords, (w) => table.wordId(w));
  // Reference phrases with a paraphrase found in the test line.
  for (let j = 0; j < line2.length; j++) {
    const pars = table.pathsFrom(line2, j);
    for (let p = 0; p < pars.length; p += 2) {
      const len = pars[p]!;
      const words = table.paraphrase(pars[p + 1]!);
      for (let i = 0; i < line1.length; i++) {
        if (!occursAt(line1, i, words)) continue;
        coverage1[i]!++;
        coverage2[j]!++;
        candidates[j]!.push({ start: j, length: len, matchStart: i, matchLength: words.length, module });
      }
    }
  }
  // Test phrases with a paraphrase found in the reference line.
  for (let i = 0; i < line1.length; i++) {
    const pars = table.pathsFrom(line1, i);
    for (let p = 0; p < pars.length; p += 2) {
      const len = pars[p]!;
      const words = table.paraphrase(pars[p + 1]!);
      for (let j = 0; j < line2.length; j++) {
        if (!occursAt(line2, j, words)) continue;
        const m = { start: j, length: words.length, matchStart: i, matchLength: len, module };
        // Meteor lists this match twice for its start position; kept so beam ranks tie-break identically.
        candidates[j]!.push(m, m);
        coverage1[i]!++;
        coverage2[j]!++;
      }
    }
  }
}

function occursAt(line: Int32Array, at: number, words: Int32Array): boolean {
  for (let k = 0; k < words.length; k++) if (at + k === line.length || line[at + k] !== words[k]) return false;
  return true;
}
