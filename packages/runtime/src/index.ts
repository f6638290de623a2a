export { RuntimeError, type RuntimeErrorCode } from './errors.js';
export { modelFrameTransform } from './image/frame.js';
export {
  clipPlan,
  cropRgb,
  decodeImage,
  type ExecutePlanOptions,
  executePlan,
  type PadCanvas,
  type PixelOp,
  type PreprocessedImage,
  type PreprocessPlan,
  padBackground,
  padRgb,
  preprocessRgb,
  type RgbImage,
  resizePadded,
  summarisePlan,
  toPixelValues,
} from './image/preprocess.js';
export { type ImageLimits, parseDataUrl, readImageSource } from './image/source.js';
export { writeFileAtomic } from './jobs/atomic-write.js';
export { diffJson, type JsonValue, openRunFile, type RunFile } from './jobs/run-file.js';
export { type JobEntry, type JobProgress, type RunJobOptions, runJob } from './jobs/run-job.js';
export { type LoadModelOptions, type LocalModel, loadModel, SUPPORTED_MODEL_TYPES } from './load-model.js';
export { type AnswerLocation, type AskRequest, type AskResult, ask } from './locate.js';
export type {
  ChatMessage,
  ContentPart,
  GenerateOptions,
  GenerateRequest,
  GenerateResult,
  ImageSource,
  VisionLanguageModel,
} from './model.js';
export type { ChatTemplateSource } from './onnx/chat-template.js';
export { type ImageProcessingConfig, loadModelConfig, type ModelConfig } from './onnx/config.js';
export {
  defaultIntraOpThreads,
  type SessionOptions,
  SMALL_DECODER_BYTES,
} from './onnx/engine.js';
export {
  type CompletionRequest,
  type CompletionResult,
  LOCAL_FAMILIES,
  loadOnnxModel,
  type MediaInput,
  type ModelDescription,
  type OnnxModelOptions,
  OnnxVisionLanguageModel,
  type PromptRenderer,
  type VideoFrames,
  type VideoPooling,
} from './onnx/model.js';
export {
  type ComponentFile,
  DTYPES,
  type Dtype,
  type DtypeOption,
  parseDtypeOption,
} from './onnx/model-files.js';
export { chooseExecutionProvider, type DeviceChoice, type ExecutionProviderChoice } from './onnx/ort.js';
export { conversationRenderer, DEFAULT_CONVERSATION_TEMPLATE } from './onnx/render.js';
export { SeededRandom } from './onnx/sampling.js';
export {
  createOpenAIModel,
  OpenAICompatibleModel,
  type OpenAIEndpoint,
  type OpenAIModelOptions,
  sniffImageType,
} from './openai/model.js';
export type { LocationPrompts } from './transformers-js/family.js';
export { TransformersJsModel, type TransformersJsModelOptions } from './transformers-js/model.js';
export { TRANSFORMERS_JS_FAMILIES } from './transformers-js/registry.js';
