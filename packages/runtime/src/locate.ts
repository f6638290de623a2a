// Ask a model about an image and read the locations in its answer back in original-image pixels: the codec parses
// the numbers in the model's input frame, and the inverse of the exact preprocessing maps them to the original.
import {
  type CodecSpec,
  type FrameTransform,
  type ImageSize,
  identity,
  type Location,
  type ParseIssue,
  parseLocations,
} from '@locvlm/coord-codec';
import { RuntimeError } from './errors.js';
import { loadSharp } from './image/preprocess.js';
import { DEFAULT_MAX_IMAGE_PIXELS, describeSource, readImageSource } from './image/source.js';
import type { GenerateOptions, GenerateResult, ImageSource, VisionLanguageModel } from './model.js';

/** A question about one image, and how to read the locations in the answer. */
export interface AskRequest extends GenerateOptions {
  image: ImageSource;
  /** The user's text; the image goes in front of it (LLaVA's `<image>\n` + question). */
  question: string;
  /**
   * How the model writes locations (coord-codec spec, e.g. `'ivb'` or `{ kind: 'ivb', bins: 336 }`). Default: the
   * model's own format when its family has one (Florence-2, PaliGemma, Qwen-VL, ...).
   */
  codec?: CodecSpec;
  /**
   * The frame the answer's numbers live in, as a transform from the original image. Default: the model's own
   * preprocessing when it has one (a local ONNX model: pad-to-square, resize, centre crop), else the original image.
   */
  frame?: FrameTransform;
  /** A system text in place of the template's. */
  system?: string;
}

/** A location read from an answer, in photo pixels and as the model wrote it. */
export interface AnswerLocation {
  /** In pixels of the original image. */
  location: Location;
  /** As the model wrote it, in pixels of the answer frame (the model's input image). */
  inputLocation: Location;
  /** The text the location was read from and its offsets in the answer. */
  text: string;
  start: number;
  end: number;
}

/** The answer to `ask`, with every location in it mapped back to the photo. */
export interface AskResult extends GenerateResult {
  locations: AnswerLocation[];
  /** Text that looked like a location but could not be read (partial, out of range, malformed). */
  issues: ParseIssue[];
  imageSize: ImageSize;
  /** Size of the answer frame. */
  frameSize: ImageSize;
}

/** A model that knows the frame transform of its own preprocessing (and maybe the location format it writes). */
interface HasFrame {
  frameTransform(): FrameTransform;
  readonly locationCodec?: CodecSpec;
}

function hasFrame(model: VisionLanguageModel): model is VisionLanguageModel & HasFrame {
  return typeof (model as Partial<HasFrame>).frameTransform === 'function';
}

/** Width and height of an encoded image, from its header. */
async function imageSizeOf(source: ImageSource): Promise<ImageSize> {
  const bytes = await readImageSource(source);
  const sharp = await loadSharp();
  try {
    const meta = await sharp(bytes, { limitInputPixels: DEFAULT_MAX_IMAGE_PIXELS }).metadata();
    if (!meta.width || !meta.height) throw new Error('no size in the header');
    // EXIF orientations 5-8 swap width and height once the image is rotated upright (as decoding does).
    const swap = (meta.orientation ?? 1) >= 5;
    return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch (cause) {
    throw new RuntimeError(
      'IMAGE',
      `${describeSource(source)} cannot be read as an image: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * Ask `model` a question about one image and return its answer with every location in it, mapped back to pixels
 * of the original image through the inverse of the preprocessing (`frame`).
 */
export async function ask(model: VisionLanguageModel, request: AskRequest): Promise<AskResult> {
  const { image, question, codec, frame, system, ...options } = request;
  if (typeof question !== 'string' || question.trim() === '')
    throw new RuntimeError('BAD_INPUT', 'the question is empty');
  const transform = frame ?? (hasFrame(model) ? model.frameTransform() : identity());
  const spec = codec ?? (hasFrame(model) ? model.locationCodec : undefined);
  if (spec === undefined)
    throw new RuntimeError(
      'BAD_INPUT',
      `${model.id} has no location format of its own: pass the codec it writes (e.g. 'ivb' or { kind: 'qwen' })`,
    );
  const imageSize = await imageSizeOf(image);
  const frameSize = transform.outputSize(imageSize);
  const result = await model.generate({
    ...options,
    messages: [
      ...(system !== undefined ? [{ role: 'system' as const, content: system }] : []),
      {
        role: 'user',
        content: [
          { type: 'image', image },
          { type: 'text', text: question },
        ],
      },
    ],
  });
  let parsed: ReturnType<typeof parseLocations>;
  try {
    parsed = parseLocations(result.text, spec, frameSize);
  } catch (cause) {
    throw new RuntimeError('BAD_INPUT', `codec ${JSON.stringify(spec)}: ${(cause as Error).message}`, { cause });
  }
  return {
    ...result,
    locations: parsed.locations.map((p) => ({
      location: transform.inverse(p.location, imageSize),
      inputLocation: p.location,
      text: p.text,
      start: p.start,
      end: p.end,
    })),
    issues: parsed.issues,
    imageSize,
    frameSize,
  };
}
