// How a task writes and reads locations: a codec (location <-> text) applied in the model's input frame (the
// preprocessing transform). These are the shapes of @locvlm/coord-codec's Codec and FrameTransform; tasks store
// only the specs (codec options, frame name) so a saved task can rebuild them for re-scoring.
import { type CodecOptions, createCodec, namedFrame } from '@locvlm/coord-codec';
import { EvaluationError } from '../errors.js';
import type { Box, ImageSize } from './types.js';

/** A box or a point, in pixels. */
export type LocationValue = { box: [number, number, number, number] } | { point: [number, number] };

/** The part of a coord-codec codec the tasks use. */
export interface LocationCodecLike {
  /** Write a location as text for an image of `size`. */
  encode(location: LocationValue, image: ImageSize): string;
  /** Read every location in `text`, in pixels of an image of `size`. */
  decode(text: string, image: ImageSize): LocationValue[];
}

/** The part of a coord-codec frame transform the tasks use. */
export interface FrameLike {
  /** Map a location from original-image pixels into the frame. */
  forward<L extends LocationValue>(location: L, image: ImageSize): L;
  /** Map a location from the frame back to original-image pixels. */
  inverse<L extends LocationValue>(location: L, image: ImageSize): L;
  /** The frame's size for an image of `size`. */
  outputSize(image: ImageSize): ImageSize;
}

/** JSON-serialisable description of a location format: codec options and a frame name. */
export interface LocationFormatSpec {
  /** Codec options as @locvlm/coord-codec's createCodec takes them, e.g. `{ kind: 'ivb', bins: 224 }`. */
  codec: CodecOptions;
  /** Frame name as @locvlm/coord-codec's namedFrame takes it: `none`, `pad-square`, `llava-336`, ... */
  frame: string;
}

/** How a task writes and reads locations: the codec and the frame the numbers live in. */
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
