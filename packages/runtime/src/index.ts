export { RuntimeError, type RuntimeErrorCode } from './errors.js';
export type {
  ChatMessage,
  ContentPart,
  GenerateOptions,
  GenerateRequest,
  GenerateResult,
  ImageSource,
  VisionLanguageModel,
} from './model.js';
