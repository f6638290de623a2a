// Public surface of the metrics; src/index.ts re-exports it.
export { type BleuResult, type CaptionPair, corpusBleu } from './bleu.js';
export { type CaptionItem, type CaptionMetrics, evaluateCaptions } from './captions.js';
export { type CiderResult, ciderD } from './cider.js';
export { type Box, boxIou, type GroundingMetrics, groundingMetrics } from './grounding.js';
export { containsWord, keywordAccuracy, parseYesNo, yesNoAccuracy } from './keyword.js';
export type { MeteorAlignment, MeteorMatch, MeteorModule } from './meteor/aligner.js';
export {
  MeteorJarBackend,
  type MeteorJarCorpusResult,
  type MeteorJarOptions,
  type MeteorJarProcess,
  type MeteorJarReadable,
  type MeteorJarWritable,
  meteorEvalLine,
  meteorScoreLine,
  parseMeteorScoreLine,
} from './meteor/jar.js';
export { type MeteorNormalization, meteorNormalizeLine, meteorTokenize } from './meteor/normalize.js';
export { ParaphraseTable } from './meteor/paraphrase.js';
export {
  createMeteorScorer,
  createSnowballEnglishStemmer,
  type FunctionWordSource,
  javaStringHash,
  type MeteorCorpusResult,
  type MeteorOptions,
  type MeteorPair,
  MeteorScorer,
  type MeteorSegmentResult,
  type MeteorWordNet,
} from './meteor/scorer.js';
export {
  aggregateMeteorStats,
  computeMeteorScore,
  emptyMeteorStats,
  formatMeteorStats,
  METEOR_EN_PARAMETERS,
  METEOR_EN_WEIGHTS,
  type MeteorParameters,
  type MeteorScoreDetail,
  type MeteorStats,
  parseMeteorStats,
} from './meteor/stats.js';
export {
  DEFAULT_WORDNET_DIR,
  type ResolvedWordNet,
  resolveWordNetDir,
  WORDNET_NPM_PACKAGE,
  type WordNetResolveContext,
  type WordNetSource,
  WordNetSynonyms,
} from './meteor/wordnet.js';
export { type PopeMetrics, parsePopeAnswer, popeMetrics, type YesNo } from './pope.js';
export { PTB_PUNCTUATION, ptbTokenize, ptbTokenizeToString } from './ptb-tokenize.js';
export {
  type JudgeVerdict,
  parseJudgeReply,
  VIDEO_QA_JUDGE_SYSTEM,
  videoQaJudgeMessages,
  videoQaJudgeMetrics,
  videoQaJudgeUserMessage,
} from './video-judge.js';
export {
  gqaExactMatch,
  gqaPostprocess,
  normalizeVqaAnswer,
  vqaAccuracy,
  vqaAccuracyMean,
  vqaProcessDigitArticle,
  vqaProcessPunctuation,
} from './vqa.js';
