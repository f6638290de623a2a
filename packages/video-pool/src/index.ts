// @locvlm/video-pool: frame sampling, ffmpeg decoding and Video-ChatGPT spatio-temporal token pooling.

export {
  chooseFrameIndices,
  type ExtractedFrames,
  type ExtractFramesOptions,
  extractFrames,
  type FrameSampling,
  outputSize,
  type ScaleAlgorithm,
  type VideoFrame,
} from './decode.js';
export { VideoPoolError, type VideoPoolErrorCode } from './errors.js';
export { floatToHalfBits, fromFloat16Bits, toFloat16Bits } from './float16.js';
export { buildPoolingOnnxModel, POOLING_ONNX_OPSET, type PoolingOnnxOptions } from './onnx.js';
export {
  type FeatureArray,
  type FeatureTensor,
  type FrameFeatures,
  LOCVLM_VID_POOLING,
  type PooledFeatures,
  type PoolingOptions,
  type PoolingOrder,
  pooledTokenCount,
  poolSpatioTemporal,
  SpatioTemporalPooler,
  VIDEO_CHATGPT_POOLING,
} from './pool.js';
export { type ProbeOptions, parseProbeOutput, probeVideo, type VideoInfo } from './probe.js';
export {
  FFMPEG_NPM_PACKAGE,
  FFPROBE_NPM_PACKAGE,
  type FfmpegBinaries,
  type FfmpegSource,
  type NpmBinary,
  type ResolveContext,
  type ResolvedBinary,
  resolveFfmpeg,
  resolveFfprobe,
} from './process.js';
export {
  evenlySpacedTimestamps,
  frameIndexAt,
  LOCVLM_VID_FRAMES,
  roundHalfEven,
  VIDEO_CHATGPT_FRAMES,
  videoChatGptFrameIndices,
} from './sampling.js';
