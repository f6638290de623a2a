// The three location tasks behind `locvlm locate | describe | ask` and the Studio: LocPred (object -> box), RevLoc
// (box -> description) and a free question whose answer may contain locations. Prompts come from @locvlm/prompts,
// location text from the codec, and the frame mapping from the model's own preprocessing.
import {
  type Codec,
  type FrameTransform,
  type ImageSize,
  identity,
  type Location,
  type ParseIssue,
} from '@locvlm/coord-codec';
import { type LocationShape, locationQuestion, revLocQuestion } from '@locvlm/prompts';
import { type AnswerLocation, ask, type GenerateOptions, type VisionLanguageModel } from '@locvlm/runtime';
import sharp from 'sharp';
import { CliError } from './io.js';

/** The transform from original pixels to the frame the model answers in (identity for a remote model). */
export function answerFrame(model: VisionLanguageModel): FrameTransform {
  const withFrame = model as VisionLanguageModel & { frameTransform?: () => FrameTransform };
  return typeof withFrame.frameTransform === 'function' ? withFrame.frameTransform() : identity();
}

/** The model family's own wording of LocPred / RevLoc (Florence-2's task tokens, PaliGemma's `detect`), if any. */
function familyPrompts(model: VisionLanguageModel): {
  locate?(object: string): string;
  describe?(text: string): string;
} {
  return (model as { locationPrompts?: ReturnType<typeof familyPrompts> }).locationPrompts ?? {};
}

/** Width and height of an encoded image (upright, as decoding sees it). */
export async function imageSize(bytes: Uint8Array, where: string): Promise<ImageSize> {
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no size in the header');
    return (meta.orientation ?? 1) >= 5
      ? { width: meta.height, height: meta.width }
      : { width: meta.width, height: meta.height };
  } catch (cause) {
    throw new CliError(`${where} cannot be read as an image: ${(cause as Error).message}`, { cause });
  }
}

export interface LocatedAnswer {
  question: string;
  answer: string;
  finishReason: 'stop' | 'length';
  /** Locations in the answer, in pixels of the original image. */
  locations: AnswerLocation[];
  issues: ParseIssue[];
  imageSize: ImageSize;
}

/**
 * LocPred: ask where `object` is, with the paper's first location-question template (or the family's own request,
 * e.g. Florence-2's `<CAPTION_TO_PHRASE_GROUNDING>`, for boxes).
 */
export async function locateObject(
  model: VisionLanguageModel,
  request: GenerateOptions & {
    image: Uint8Array;
    object: string;
    codec: Codec;
    shape?: LocationShape;
    /** The frame the answer's numbers live in (default: the model's own, see answerFrame). */
    frame?: FrameTransform;
  },
): Promise<LocatedAnswer> {
  const { image, object, codec, shape, frame, ...options } = request;
  if (object.trim() === '') throw new CliError('the object to locate is empty');
  const own = familyPrompts(model).locate;
  const question =
    own && shape !== 'point' ? own(object.trim()) : locationQuestion({ category: object.trim() }, shape ?? 'box', 0);
  const result = await ask(model, {
    ...options,
    image: { bytes: image },
    question,
    codec,
    frame: frame ?? answerFrame(model),
  });
  return {
    question,
    answer: result.text,
    finishReason: result.finishReason,
    locations: result.locations,
    issues: result.issues,
    imageSize: result.imageSize,
  };
}

/**
 * RevLoc: ask what is at `box` (pixels of the original image), written in the model's frame by the codec (the
 * family's own request when it has one, e.g. Florence-2's `<REGION_TO_DESCRIPTION>`).
 */
export async function describeRegion(
  model: VisionLanguageModel,
  request: GenerateOptions & {
    image: Uint8Array;
    box: [number, number, number, number];
    codec: Codec;
    frame?: FrameTransform;
  },
): Promise<LocatedAnswer & { locationText: string }> {
  const { image, box, codec, frame: frameOption, ...options } = request;
  const size = await imageSize(image, 'the image');
  const [x1, y1, x2, y2] = box;
  if (!(x1 < x2 && y1 < y2) || x1 < 0 || y1 < 0 || x2 > size.width || y2 > size.height)
    throw new CliError(
      `box ${box.join(',')} must have x1 < x2 and y1 < y2 and lie inside the ${size.width}x${size.height} image`,
    );
  const frame = frameOption ?? answerFrame(model);
  const inFrame = frame.forward<Location>({ box }, size);
  const locationText = codec.encode(inFrame, frame.outputSize(size));
  const question = familyPrompts(model).describe?.(locationText) ?? revLocQuestion(locationText, 0);
  const result = await ask(model, { ...options, image: { bytes: image }, question, codec, frame });
  return {
    question,
    locationText,
    answer: result.text,
    finishReason: result.finishReason,
    locations: result.locations,
    issues: result.issues,
    imageSize: result.imageSize,
  };
}

/** Locations in a finished answer (e.g. a streamed one), mapped back to pixels of the original image. */
export function locationsInAnswer(
  text: string,
  model: VisionLanguageModel,
  size: ImageSize,
  codec: Codec,
  frame: FrameTransform = answerFrame(model),
): { locations: Location[]; issues: ParseIssue[] } {
  const parsed = codec.parse(text, frame.outputSize(size));
  return { locations: parsed.locations.map((p) => frame.inverse(p.location, size)), issues: parsed.issues };
}

/** A PNG of `image` with the boxes (and points) drawn over it, via an SVG overlay. */
export async function drawLocations(
  image: Uint8Array,
  locations: readonly Location[],
  labels: readonly string[] = [],
): Promise<Buffer> {
  const base = sharp(image).rotate();
  const { width, height } = await imageSize(image, 'the image');
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 150));
  const font = Math.max(12, Math.round(Math.min(width, height) / 30));
  const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const shapes = locations.map((l, i) => {
    const label = labels[i] ?? '';
    if ('box' in l) {
      const [x1, y1, x2, y2] = l.box;
      const text = label
        ? `<text x="${x1 + stroke}" y="${Math.max(font, y1 - stroke)}" font-size="${font}" font-family="sans-serif" fill="#ff2d55" stroke="white" stroke-width="${stroke / 3}" paint-order="stroke">${escapeXml(label)}</text>`
        : '';
      return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="#ff2d55" stroke-width="${stroke}"/>${text}`;
    }
    const [cx, cy] = l.point;
    return `<circle cx="${cx}" cy="${cy}" r="${stroke * 3}" fill="#ff2d55" stroke="white" stroke-width="${stroke / 2}"/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  return base
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
