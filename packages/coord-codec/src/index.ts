export { CodecError, type CodecErrorCode } from './errors.js';
export type { Box, BoxLocation, Codec, CodecKind, ImageSize, Location, Point, PointLocation } from './types.js';
