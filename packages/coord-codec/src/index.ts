export { CODEC_KINDS, type CodecSpec, createCodec, toCodec } from './codec.js';
export { type ConvertOptions, type ConvertResult, convert, convertDetailed } from './convert.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export {
  type CenterCropOptions,
  centerCrop,
  clipFrame,
  compose,
  FRAME_NAMES,
  type FrameName,
  type FrameOp,
  type FrameTransform,
  identity,
  LLAVA_PAD_FILL,
  llavaFrame,
  namedFrame,
  type PadToSquareOptions,
  padToSquare,
  type ResizeOptions,
  type ResizeTarget,
  type Rgb,
  resize,
  type SizeRounding,
  shortestEdgeSize,
} from './frames.js';
export { decodeLocations, parseLocations } from './parse.js';
export {
  measureTokenCost,
  type TokenCost,
  type TokenCostOptions,
  type TokenizeFn,
  tokensPerCoordinate,
} from './token-cost.js';
export type {
  Box,
  BoxLocation,
  Codec,
  CodecKind,
  CodecOptions,
  CommonCodecOptions,
  DigaOptions,
  FerretOptions,
  FlorenceOptions,
  ImageSize,
  IvbOptions,
  KosmosOptions,
  Location,
  NfpOptions,
  PaligemmaOptions,
  ParsedLocation,
  ParseIssue,
  ParseIssueCode,
  ParseResult,
  Point,
  PointLocation,
  QwenOptions,
  ShikraOptions,
} from './types.js';
export { clampLocation, isInside, locationCentre, toPoint, validateImageSize, validateLocation } from './validate.js';
