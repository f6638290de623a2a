// How a task writes and reads locations: a codec (location <-> text) applied in the model's input frame (the
// preprocessing transform). These are the shapes of @locvlm/coord-codec's Codec and FrameTransform; tasks store
// only the specs (codec options, frame name) so a saved task can rebuild them for re-scoring.
import { type CodecOptions, createCodec, namedFrame } from '@locvlm/coord-codec';
import { EvaluationError } from '../errors.js';
import type { Box, ImageSize } from './types.js';

export type LocationValue = { box: [number, number, number, number] } | { point: [number, number] };

export interface LocationCodecLike {
  encode(location: LocationValue, image: ImageSize): string;
  decode(text: string, image: ImageSize): LocationValue[];
}

export interface FrameLike {
  forward<L extends LocationValue>(location: L, image: ImageSize): L;
  inverse<L extends LocationValue>(location: L, image: ImageSize): L;
  outputSize(image: ImageSize): ImageSize;
}

/** JSON-serialisable description of a location format: codec options and a frame name. */
export interface LocationFormatSpec {
  /** Codec options as @locvlm/coord-codec's createCodec takes them, e.g. `{ kind: 'ivb', bins: 224 }`. */
  codec: CodecOptions;
  /** Frame name as @locvlm/coord-codec's namedFrame takes it: `none`, `pad-square`, `llava-336`, ... */
  frame: string;
}

export interface LocationFormat {
  spec: LocationFormatSpec;
  codec: LocationCodecLike;
  frame: FrameLike;
}

/** Location text for a box of the original image: forward into the model frame, then encode there. */
export function encodeBox(format: LocationFormat, box: Box, image: ImageSize): string {
  const inFrame = format.frame.forward({ box: [...box] as [number, number, number, number] }, image);
  return format.codec.encode(inFrame, format.frame.outputSize(image));
}

/** Boxes read from an answer, mapped back to original-image pixels (points are not boxes and are skipped). */
export function decodeBoxes(format: LocationFormat, text: string, image: ImageSize): Box[] {
  const frameSize = format.frame.outputSize(image);
  const boxes: Box[] = [];
  for (const location of format.codec.decode(text, frameSize)) {
    if (!('box' in location)) continue;
    const back = format.frame.inverse(location, image);
    boxes.push([...back.box] as Box);
  }
  return boxes;
}

/** Build the codec and frame a spec names, with @locvlm/coord-codec (errors name the bad option). */
export function createLocationFormat(spec: LocationFormatSpec): LocationFormat {
  try {
    return { spec, codec: createCodec(spec.codec), frame: namedFrame(spec.frame) };
  } catch (cause) {
    throw new EvaluationError('BAD_INPUT', `location format ${JSON.stringify(spec)}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
