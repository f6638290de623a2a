import { type CodecSpec, toCodec } from './codec.js';
import type { FrameTransform } from './frames.js';
import type { ImageSize, Location, ParseIssue } from './types.js';

/** Options of `convert`: the two representations, the image size, and the frames each side is in. */
export interface ConvertOptions {
  /** The representation the text is written in. */
  from: CodecSpec;
  /** The representation to write. */
  to: CodecSpec;
  /** The original image's size. */
  image: ImageSize;
  /**
   * The frame the `from` text's numbers live in, as a transform from the original image; default the original
   * image itself. E.g. `padToSquare()` for Shikra and LLaVA-1.5 answers.
   */
  fromFrame?: FrameTransform;
  /** The frame to write the `to` text in, as a transform from the original image; default the original image. */
  toFrame?: FrameTransform;
}

/** What `convert` returns with details: the converted text and what was parsed on the way. */
export interface ConvertResult {
  /** The locations written in the `to` representation (encodeAll), '' when none were found. */
  text: string;
  /** The locations found, in pixels of the original image. */
  locations: Location[];
  /** The same locations in pixels of the `to` frame (what `text` encodes). */
  target: Location[];
  /** What could not be read from the input text. */
  issues: ParseIssue[];
}

/**
 * Re-write every location found in `text` from one representation (and frame) into another:
 * decode in the `from` frame, map back to original-image pixels through the inverse of `fromFrame`, forward
 * through `toFrame`, encode. Throws CodecError when a location falls outside the target frame (e.g. cut away
 * by a centre crop) unless the `to` codec was created with `clamp: true`.
 */
export function convertDetailed(text: string, options: ConvertOptions): ConvertResult {
  const from = toCodec(options.from);
  const to = toCodec(options.to);
  const { image, fromFrame, toFrame } = options;
  const fromSize = fromFrame ? fromFrame.outputSize(image) : image;
  const toSize = toFrame ? toFrame.outputSize(image) : image;
  const parsed = from.parse(text, fromSize);
  const locations = parsed.locations.map((p) => (fromFrame ? fromFrame.inverse(p.location, image) : p.location));
  const target = locations.map((l) => (toFrame ? toFrame.forward(l, image) : l));
  return {
    text: target.length === 0 ? '' : to.encodeAll(target, toSize),
    locations,
    target,
    issues: parsed.issues,
  };
}

/** `convertDetailed(text, options).text`: the locations of `text` re-written in another representation. */
export function convert(text: string, options: ConvertOptions): string {
  return convertDetailed(text, options).text;
}
