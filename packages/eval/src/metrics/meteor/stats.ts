// Meteor's sufficient statistics and score (edu.cmu.meteor.scorer.MeteorStats / MeteorScorer.computeMetrics).
import { MetricError } from '../errors.js';

/** Meteor's parameters: alpha (precision/recall balance), beta (penalty shape), gamma (penalty weight), delta (content vs function words). */
export interface MeteorParameters {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
  /** Scoring weight of each configured module, in module order. */
  moduleWeights: readonly number[];
}

/** Meteor 1.5's English parameters (task "rank", the default): alpha 0.85, beta 0.20, gamma 0.60, delta 0.75. */
export const METEOR_EN_PARAMETERS = { alpha: 0.85, beta: 0.2, gamma: 0.6, delta: 0.75 } as const;
/** Meteor 1.5's English module weights: exact 1.0, stem 0.6, synonym 0.8, paraphrase 0.6. */
export const METEOR_EN_WEIGHTS = { exact: 1.0, stem: 0.6, synonym: 0.8, paraphrase: 0.6 } as const;

/** Sums Meteor keeps per segment and pools over a corpus (its "SS" line has these in this order). */
export interface MeteorStats {
  testLength: number;
  referenceLength: number;
  testFunctionWords: number;
  referenceFunctionWords: number;
  /** Per module (exact, stem, synonym, paraphrase slots): matched content/function words on each side. */
  testStageMatchesContent: number[];
  referenceStageMatchesContent: number[];
  testStageMatchesFunction: number[];
  referenceStageMatchesFunction: number[];
  chunks: number;
  testWordMatches: number;
  referenceWordMatches: number;
}

/** Scores derived from statistics. */
export interface MeteorScoreDetail {
  precision: number;
  recall: number;
  fMean: number;
  fragmentation: number;
  fragPenalty: number;
  score: number;
}

const MAX_MODULES = 4;

/** Precision, recall, Fmean, fragmentation penalty and score from statistics (0 when undefined). */
export function computeMeteorScore(stats: MeteorStats, params: MeteorParameters): MeteorScoreDetail {
  const { alpha, beta, gamma, delta, moduleWeights } = params;
  const testWeightedLength =
    delta * (stats.testLength - stats.testFunctionWords) + (1 - delta) * stats.testFunctionWords;
  const referenceWeightedLength =
    delta * (stats.referenceLength - stats.referenceFunctionWords) + (1 - delta) * stats.referenceFunctionWords;
  let testWeighted = 0;
  let referenceWeighted = 0;
  for (let i = 0; i < moduleWeights.length; i++) {
    testWeighted += (stats.testStageMatchesContent[i] ?? 0) * moduleWeights[i]! * delta;
    referenceWeighted += (stats.referenceStageMatchesContent[i] ?? 0) * moduleWeights[i]! * delta;
  }
  for (let i = 0; i < moduleWeights.length; i++) {
    testWeighted += (stats.testStageMatchesFunction[i] ?? 0) * moduleWeights[i]! * (1 - delta);
    referenceWeighted += (stats.referenceStageMatchesFunction[i] ?? 0) * moduleWeights[i]! * (1 - delta);
  }
  const precision = testWeighted / testWeightedLength;
  const recall = referenceWeighted / referenceWeightedLength;
  const fMean = 1 / ((1 - alpha) / precision + alpha / recall);
  const { testTotal, referenceTotal } = totals(stats);
  const fragmentation =
    testTotal === stats.testLength && referenceTotal === stats.referenceLength && stats.chunks === 1
      ? 0
      : stats.chunks / ((stats.testWordMatches + stats.referenceWordMatches) / 2);
  const fragPenalty = gamma * fragmentation ** beta;
  const raw = fMean * (1 - fragPenalty);
  // Java: NaN (0/0 anywhere above) becomes 0, otherwise max(score, 0).
  const score = Number.isNaN(raw) ? 0 : Math.max(raw, 0);
  return { precision, recall, fMean, fragmentation, fragPenalty, score };
}

function totals(stats: MeteorStats): { testTotal: number; referenceTotal: number } {
  let testTotal = 0;
  let referenceTotal = 0;
  for (let i = 0; i < stats.testStageMatchesContent.length; i++) {
    testTotal += (stats.testStageMatchesContent[i] ?? 0) + (stats.testStageMatchesFunction[i] ?? 0);
    referenceTotal += (stats.referenceStageMatchesContent[i] ?? 0) + (stats.referenceStageMatchesFunction[i] ?? 0);
  }
  return { testTotal, referenceTotal };
}

/** Empty statistics (the identity for aggregation). */
export function emptyMeteorStats(): MeteorStats {
  return {
    testLength: 0,
    referenceLength: 0,
    testFunctionWords: 0,
    referenceFunctionWords: 0,
    testStageMatchesContent: [0, 0, 0, 0],
    referenceStageMatchesContent: [0, 0, 0, 0],
    testStageMatchesFunction: [0, 0, 0, 0],
    referenceStageMatchesFunction: [0, 0, 0, 0],
    chunks: 0,
    testWordMatches: 0,
    referenceWordMatches: 0,
  };
}

/**
 * Pool segment statistics as Meteor's MeteorStats.addStats does: everything is summed, except that a segment
 * matched completely in one chunk adds no chunk (its fragmentation was 0).
 */
export function aggregateMeteorStats(segments: Iterable<MeteorStats>): MeteorStats {
  const sum = emptyMeteorStats();
  for (const s of segments) {
    sum.testLength += s.testLength;
    sum.referenceLength += s.referenceLength;
    sum.testFunctionWords += s.testFunctionWords;
    sum.referenceFunctionWords += s.referenceFunctionWords;
    for (let i = 0; i < s.testStageMatchesContent.length; i++) {
      sum.testStageMatchesContent[i] = (sum.testStageMatchesContent[i] ?? 0) + (s.testStageMatchesContent[i] ?? 0);
      sum.referenceStageMatchesContent[i] =
        (sum.referenceStageMatchesContent[i] ?? 0) + (s.referenceStageMatchesContent[i] ?? 0);
      sum.testStageMatchesFunction[i] = (sum.testStageMatchesFunction[i] ?? 0) + (s.testStageMatchesFunction[i] ?? 0);
      sum.referenceStageMatchesFunction[i] =
        (sum.referenceStageMatchesFunction[i] ?? 0) + (s.referenceStageMatchesFunction[i] ?? 0);
    }
    const { testTotal, referenceTotal } = totals(s);
    if (!(testTotal === s.testLength && referenceTotal === s.referenceLength && s.chunks === 1)) sum.chunks += s.chunks;
    sum.testWordMatches += s.testWordMatches;
    sum.referenceWordMatches += s.referenceWordMatches;
  }
  return sum;
}

/** Meteor's space-separated SS line (23 numbers, four module slots), as `-stdio` SCORE prints it. */
export function formatMeteorStats(stats: MeteorStats): string {
  const values = [stats.testLength, stats.referenceLength, stats.testFunctionWords, stats.referenceFunctionWords];
  for (let i = 0; i < MAX_MODULES; i++) {
    values.push(
      stats.testStageMatchesContent[i] ?? 0,
      stats.referenceStageMatchesContent[i] ?? 0,
      stats.testStageMatchesFunction[i] ?? 0,
      stats.referenceStageMatchesFunction[i] ?? 0,
    );
  }
  values.push(stats.chunks, stats.testWordMatches, stats.referenceWordMatches);
  // Java prints doubles with a ".0" for whole numbers.
  return values.map((v) => (Number.isInteger(v) ? v.toFixed(1) : String(v))).join(' ');
}

/** Parse Meteor's SS line (23 numbers); `source` names where it came from for error messages. */
export function parseMeteorStats(line: string, source = 'Meteor stats'): MeteorStats {
  const parts = line.trim().split(/\s+/);
  const values = parts.map(Number);
  if (parts.length < 4 + 4 * MAX_MODULES + 3 || values.some((v) => !Number.isFinite(v))) {
    throw new MetricError('BACKEND', `${source}: expected 23 numbers, got ${JSON.stringify(line)}`);
  }
  const stats = emptyMeteorStats();
  stats.testLength = values[0]!;
  stats.referenceLength = values[1]!;
  stats.testFunctionWords = values[2]!;
  stats.referenceFunctionWords = values[3]!;
  for (let i = 0; i < MAX_MODULES; i++) {
    stats.testStageMatchesContent[i] = values[4 + 4 * i]!;
    stats.referenceStageMatchesContent[i] = values[5 + 4 * i]!;
    stats.testStageMatchesFunction[i] = values[6 + 4 * i]!;
    stats.referenceStageMatchesFunction[i] = values[7 + 4 * i]!;
  }
  stats.chunks = values[20]!;
  stats.testWordMatches = values[21]!;
  stats.referenceWordMatches = values[22]!;
  return stats;
}
