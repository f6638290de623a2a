// ---- metrics (evalmetrics): METEOR 1.5, BLEU, CIDEr-D, POPE, VQAv2/GQA, grounding, keyword, video-QA judge ----

// ---- end metrics ----
// --- tasks, runs, backends and reports (evaltasks) ---
export { EvaluationError, type EvaluationErrorCode } from './errors.js';
export * from './metrics/index.js';
export {
  type BarMetric,
  type BarSeries,
  type MetricBarsInput,
  renderMetricBars,
  type SpreadValue,
  spreadOf,
} from './report/charts.js';
export {
  type HtmlReportOptions,
  type RenderedHtmlReport,
  type ReportPictureSummary,
  renderBarChart,
  renderHtmlReport,
  renderHtmlReportWithPictures,
} from './report/html.js';
export { type PictureContext, type PictureRef, pictureCandidates } from './report/images.js';
export {
  PAPER_TABLES,
  type PaperColumn,
  type PaperReferenceRow,
  type PaperTable,
  type ReportRun,
} from './report/paper-tables.js';
export {
  buildReport,
  type EvalReport,
  type ReportRunSummary,
  type ReportTable,
  type ReportTableRow,
} from './report/report.js';
export {
  loadReportRuns,
  type RunFolderRef,
  type WriteReportOptions,
  type WrittenReport,
  writeReport,
} from './report/write.js';
export { type JudgeRequestBuilder, type JudgeStageOptions, judgeStage } from './runs/judge.js';
export {
  type EvalProgress,
  type EvalRunResult,
  type LoadedRun,
  loadRunFolder,
  type Prediction,
  predictionKey,
  RUN_FILES,
  type RunEvalOptions,
  readRunFile,
  rescoreRun,
  runEval,
  samplesDigest,
} from './runs/run-eval.js';
export { judgeRequestBuilder, type ScoreInputs, scoreTask } from './runs/score.js';
export {
  COCO_CATEGORY_NAMES,
  type CocoAnnotation,
  type CocoImage,
  type CocoInstances,
  cocoInstancesSchema,
  readCocoInstances,
  xywhToBox,
} from './tasks/coco.js';
export {
  buildCocoSpatialPaper,
  type CocoSpatialPaperOptions,
  type CocoSpatialReleasedFile,
  type CocoSpatialReleasedOptions,
  type CocoSpatialTarget,
  loadCocoSpatialReleased,
  readCocoSpatialReleased,
  type SpatialAxis,
  type SpatialWord,
  scoreCocoSpatial,
} from './tasks/coco-spatial.js';
export {
  buildCocoGrounding,
  buildRefGrounding,
  type GroundingOptions,
  type GroundingTarget,
  type RefGroundingOptions,
  scoreGrounding,
} from './tasks/grounding.js';
export {
  type AdeImageAnnotation,
  buildHalAct,
  buildHalAde,
  buildHalCoco,
  buildPresenceTask,
  type HalActOptions,
  type HalAdeOptions,
  type HalCocoOptions,
  type PresenceItem,
  type PresenceTarget,
  type PresenceTaskOptions,
  readAdeImageAnnotation,
  readVideoObjects,
  scorePresence,
  type VideoObjects,
} from './tasks/hallucination.js';
export {
  createLocationFormat,
  decodeBoxes,
  encodeBox,
  type FrameLike,
  type LocationCodecLike,
  type LocationFormat,
  type LocationFormatSpec,
  type LocationValue,
} from './tasks/locations.js';
export {
  attachPopeLabels,
  buildPopeQuestions,
  POPE_SPLITS,
  type PopeBuildOptions,
  type PopeImageObjects,
  type PopeLine,
  type PopeQuestion,
  type PopeSplit,
  type PopeTarget,
  type PopeTaskOptions,
  popeObjectsFromCoco,
  popeQuestionsToJsonl,
  popeTask,
  readPopeFile,
  scorePope,
} from './tasks/pope.js';
export { type RefDataset, type RefRecord, readRefs, refsSchema } from './tasks/refs.js';
export {
  buildRegionDescription,
  type RegionDescriptionOptions,
  type RegionScoreOptions,
  type RegionTarget,
  scoreRegionDescription,
} from './tasks/region-description.js';
export { createTaskFromFiles, TASKS, type TaskDescription, type TaskFileOptions } from './tasks/registry.js';
export type {
  Box,
  EvalSample,
  EvalTask,
  GenerationSettings,
  ImageSize,
  LabelledBox,
  RunPaths,
  SampleScore,
  SampleView,
  TaskConfig,
  TaskKind,
  TaskScore,
  VideoFileInput,
} from './tasks/types.js';
export {
  DecodedVideoCache,
  decodeVideoFrames,
  isVideoFile,
  listFrames,
  resolveVideo,
  VIDEO_FILE_EXTENSIONS,
  type VideoSource,
  withDecodedVideo,
} from './tasks/video-input.js';
export {
  buildVideoQa,
  normalizeShortAnswer,
  readVideoQaPair,
  readVideoQaRaw,
  scoreVideoQa,
  type VideoQaDataset,
  type VideoQaOptions,
  type VideoQaRecord,
  type VideoQaTarget,
  videoQaJudgeRequest,
} from './tasks/video-qa.js';
export {
  buildGqa,
  buildVqav2,
  cocoImageFileName,
  type GqaQuestions,
  type GqaTarget,
  readGqaQuestions,
  readVqaAnnotations,
  readVqaQuestions,
  scoreGqa,
  scoreVqav2,
  type VqaAnnotations,
  type VqaOptions,
  type VqaQuestions,
  type VqaTarget,
} from './tasks/vqa.js';
// --- end tasks, runs, backends and reports ---
