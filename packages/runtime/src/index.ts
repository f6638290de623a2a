export { RuntimeError, type RuntimeErrorCode } from './errors.js';
export { writeFileAtomic } from './jobs/atomic-write.js';
export { diffJson, type JsonValue, openRunFile, type RunFile } from './jobs/run-file.js';
export { type JobEntry, type JobProgress, type RunJobOptions, runJob } from './jobs/run-job.js';
export type {
  ChatMessage,
  ContentPart,
  GenerateOptions,
  GenerateRequest,
  GenerateResult,
  ImageSource,
  VisionLanguageModel,
} from './model.js';
