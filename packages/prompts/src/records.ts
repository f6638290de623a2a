import { type Codec, type ImageSize, type Location, toPoint } from '@locvlm/coord-codec';
import type { ConversationTurn } from './chat.js';
import { PromptError } from './errors.js';
import { createRng, type Rng, type Seed } from './rng.js';
import {
  type Description,
  type LocationShape,
  locationQuestion,
  locPredTarget,
  NEGPRED_TARGET,
  revLocQuestion,
  revLocTarget,
  type TemplateChoice,
} from './templates.js';
import { requireText } from './text.js';

/**
 * What the builders need from a codec: `encode`. Any coord-codec `Codec` fits (`createCodec({ kind: 'ivb', bins: 224 })`).
 */
export type LocationEncoder = Pick<Codec, 'encode'>;

/** One question and its answer, before it becomes two conversation turns. */
export interface QaPair {
  question: string;
  answer: string;
}

/** A LLaVA training record. `image` is a path relative to the trainer's image folder, kept exactly as given. */
export interface LlavaRecord {
  id: string;
  image: string;
  conversations: ConversationTurn[];
}

/**
 * A Video-ChatGPT training record: `video` names the file under the trainer's video folder (Video-ChatGPT uses
 * `<video_id>.pkl`, its pre-extracted CLIP features). `frames`, when given, lists the sampled frame images the
 * locations refer to; Video-ChatGPT's trainer ignores unknown fields.
 */
export interface VideoRecord {
  id: string;
  video: string;
  frames?: string[];
  conversations: ConversationTurn[];
}

/**
 * Where the media placeholder goes in the first human turn: before the question ("<image>\nQ"), after it
 * ("Q\n<image>"), or either, drawn from the record's seed. Video-ChatGPT's converter alternates front and end
 * ("This is critical"); LLaVA's trainer moves `<image>` to the front anyway.
 */
export type MediaTokenPlacement = 'front' | 'end' | 'random';

/** Which shape a location is written in: the location's own, always box, always point, or drawn per question. */
export type ShapeChoice = LocationShape | 'mixed';

/** 'box' or 'point', by which key the location has. */
export function shapeOf(location: Location): LocationShape {
  if (location !== null && typeof location === 'object') {
    if ('box' in location && Array.isArray(location.box)) return 'box';
    if ('point' in location && Array.isArray(location.point)) return 'point';
  }
  throw new PromptError(
    'BAD_INPUT',
    `location must be { box: [x1, y1, x2, y2] } or { point: [x, y] }, got ${JSON.stringify(location)}`,
  );
}

/**
 * The location in the requested shape. A box becomes its centre ((x1+x2)/2, (y1+y2)/2) for 'point', as in the
 * paper; a point cannot become a box.
 */
export function locationAs(location: Location, shape: LocationShape): Location {
  const own = shapeOf(location);
  if (own === shape) return location;
  if (shape === 'point') return toPoint(location);
  throw new PromptError('BAD_INPUT', `a point location cannot be written as a box: ${JSON.stringify(location)}`);
}

/** What a LocPred or RevLoc question needs: the object, where it is (pixels of `imageSize`), and how to write it. */
export interface LocatedObject {
  description: Description;
  location: Location;
}

export interface LocatedPairArgs extends LocatedObject {
  /** The frame the location's pixels live in (for LLaVA-1.5: the padded square, mapped with coord-codec's transforms). */
  imageSize: ImageSize;
  codec: LocationEncoder;
  /** Default: the location's own shape. */
  shape?: ShapeChoice;
  /** A template index, or an Rng that draws the template (and the shape when `shape` is 'mixed'). */
  choice: TemplateChoice;
}

function resolveShape(location: Location, shape: ShapeChoice | undefined, choice: TemplateChoice): LocationShape {
  if (shape === undefined) return shapeOf(location);
  if (shape === 'mixed') {
    if (shapeOf(location) === 'point') return 'point';
    if (typeof choice === 'number') {
      throw new PromptError('BAD_INPUT', "shape 'mixed' needs an Rng as choice, not a template index");
    }
    return choice.chance(0.5) ? 'box' : 'point';
  }
  if (shape !== 'box' && shape !== 'point') {
    throw new PromptError('BAD_INPUT', `shape must be 'box', 'point' or 'mixed', got ${String(shape)}`);
  }
  return shape;
}

/** LocPred: "Where is the object described dog located ... bbox?" -> "It is located at (4, 52, 13, 63)". */
export function locPredPair(args: LocatedPairArgs): QaPair {
  const shape = resolveShape(args.location, args.shape, args.choice);
  const question = locationQuestion(args.description, shape, args.choice);
  return { question, answer: locPredTarget(args.codec.encode(locationAs(args.location, shape), args.imageSize)) };
}

/** NegPred: the LocPred templates about an absent category -> "There is no such object in the image". */
export function negPredPair(args: { category: string; shape: LocationShape; choice: TemplateChoice }): QaPair {
  const category = requireText(args.category, 'negPredPair: category');
  return { question: locationQuestion({ category }, args.shape, args.choice), answer: NEGPRED_TARGET };
}

/** RevLoc: "Describe the object located at (4, 52, 13, 63)?" -> "There is a cat." (or the pseudo-caption). */
export function revLocPair(args: LocatedPairArgs): QaPair {
  const shape = resolveShape(args.location, args.shape, args.choice);
  const locationText = args.codec.encode(locationAs(args.location, shape), args.imageSize);
  return { question: revLocQuestion(locationText, args.choice), answer: revLocTarget(args.description) };
}

function placeToken(token: string, question: string, placement: MediaTokenPlacement, rng: Rng): string {
  const where = placement === 'random' ? (rng.chance(0.5) ? 'front' : 'end') : placement;
  if (where === 'front') return `${token}\n${question}`;
  if (where === 'end') return `${question}\n${token}`;
  throw new PromptError('BAD_INPUT', `token placement must be 'front', 'end' or 'random', got ${String(placement)}`);
}

/**
 * Conversation turns for QA pairs, the media token in the first human turn only (LLaVA-Instruct style).
 * `rng` is needed only for placement 'random'.
 */
export function conversationTurns(
  pairs: readonly QaPair[],
  options: { mediaToken: '<image>' | '<video>'; placement?: MediaTokenPlacement; rng?: Rng },
): ConversationTurn[] {
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new PromptError('BAD_INPUT', 'conversationTurns: pairs must be a non-empty array of { question, answer }');
  }
  const placement = options.placement ?? 'front';
  if (placement === 'random' && options.rng === undefined) {
    throw new PromptError('BAD_INPUT', "conversationTurns: placement 'random' needs an rng");
  }
  return pairs.flatMap((pair, i) => {
    const question = requireText(pair?.question, `pairs[${i}].question`);
    const answer = requireText(pair.answer, `pairs[${i}].answer`);
    const value = i === 0 ? placeToken(options.mediaToken, question, placement, options.rng as Rng) : question;
    return [
      { from: 'human', value },
      { from: 'gpt', value: answer },
    ] satisfies ConversationTurn[];
  });
}

/** What an image training record is built from: the key, image path, objects and codec. */
export interface ImageRecordArgs {
  id: string;
  image: string;
  pairs: readonly QaPair[];
  /** Default 'front' ("<image>\nQ"). */
  imageToken?: MediaTokenPlacement;
  /** Needed only for imageToken 'random'; default: createRng(seed ?? 0, id). */
  seed?: Seed;
}

/** A LLaVA record from QA pairs. */
export function imageRecord(args: ImageRecordArgs): LlavaRecord {
  const id = requireText(args.id, 'imageRecord: id');
  const image = requireText(args.image, `imageRecord(${id}): image`);
  const conversations = withContext(`imageRecord(${id})`, () =>
    conversationTurns(args.pairs, {
      mediaToken: '<image>',
      placement: args.imageToken ?? 'front',
      rng: createRng(args.seed ?? 0, id, 'token'),
    }),
  );
  return { id, image, conversations };
}

/** What a video training record is built from: the key, video path, objects and codec. */
export interface VideoRecordArgs {
  id: string;
  video: string;
  frames?: readonly string[];
  pairs: readonly QaPair[];
  /** Default 'random' (seeded), like Video-ChatGPT's mix of "Q\n<video>" and "<video>\nQ". */
  videoToken?: MediaTokenPlacement;
  seed?: Seed;
}

/** A Video-ChatGPT record from QA pairs. */
export function videoRecord(args: VideoRecordArgs): VideoRecord {
  const id = requireText(args.id, 'videoRecord: id');
  const video = requireText(args.video, `videoRecord(${id}): video`);
  const conversations = withContext(`videoRecord(${id})`, () =>
    conversationTurns(args.pairs, {
      mediaToken: '<video>',
      placement: args.videoToken ?? 'random',
      rng: createRng(args.seed ?? 0, id, 'token'),
    }),
  );
  if (args.frames === undefined) return { id, video, conversations };
  const frames = args.frames.map((frame, i) => requireText(frame, `videoRecord(${id}): frames[${i}]`));
  return { id, video, frames, conversations };
}

/** Common arguments of the one-question record builders. Templates are drawn from `createRng(seed, id)`. */
export interface SingleRecordArgs {
  id: string;
  image: string;
  seed: Seed;
  imageToken?: MediaTokenPlacement;
}

export interface LocatedRecordArgs extends SingleRecordArgs, LocatedObject {
  imageSize: ImageSize;
  codec: LocationEncoder;
  shape?: ShapeChoice;
}

/** One LocPred question as a LLaVA record. */
export function locPredRecord(args: LocatedRecordArgs): LlavaRecord {
  const pair = withContext(args.id, () => locPredPair({ ...args, choice: createRng(args.seed, args.id) }));
  return imageRecord({ ...args, pairs: [pair] });
}

/** One NegPred question as a LLaVA record. */
export function negPredRecord(args: SingleRecordArgs & { category: string; shape: LocationShape }): LlavaRecord {
  const pair = withContext(args.id, () => negPredPair({ ...args, choice: createRng(args.seed, args.id) }));
  return imageRecord({ ...args, pairs: [pair] });
}

/** One RevLoc question as a LLaVA record. */
export function revLocRecord(args: LocatedRecordArgs): LlavaRecord {
  const pair = withContext(args.id, () => revLocPair({ ...args, choice: createRng(args.seed, args.id) }));
  return imageRecord({ ...args, pairs: [pair] });
}

/** One image (or video) and everything known about it, for the multi-turn builders. */
export interface LocalizeInput {
  /** A stable key, e.g. the COCO image id; record ids are `${key}:locpred` and `${key}:revloc`. */
  key: string;
  /** Size of the frame the locations live in. */
  imageSize: ImageSize;
  /** Objects with their locations: one LocPred and one RevLoc question each. */
  objects: readonly LocatedObject[];
  /** Absent categories: one NegPred question each, mixed into the LocPred conversation. */
  negatives?: readonly string[];
  codec: LocationEncoder;
  seed: Seed;
  /** Default: each location's own shape. NegPred questions use 'box' unless this is 'point' (or 'mixed': drawn). */
  shape?: ShapeChoice;
}

/** The two conversations of Localize-Instruct for one image, as QA pairs: LocPred + NegPred, and RevLoc. */
export interface LocalizeConversations {
  locPred: QaPair[];
  revLoc: QaPair[];
}

/**
 * The QA pairs of one image's two Localize-Instruct conversations. Each conversation draws from its own stream,
 * `createRng(seed, key, 'locpred' | 'revloc')`; turns are shuffled so NegPred questions do not always come last.
 */
export function localizeConversations(input: LocalizeInput): LocalizeConversations {
  const key = requireText(input.key, 'localize: key');
  if (!Array.isArray(input.objects)) throw new PromptError('BAD_INPUT', `localize(${key}): objects must be an array`);
  const negatives = input.negatives ?? [];
  if (!Array.isArray(negatives)) throw new PromptError('BAD_INPUT', `localize(${key}): negatives must be an array`);

  // Arguments are listed rather than spread from `input`: spreading the whole input per object is V8's slow path
  // and dominated COCO-scale builds (pseudo-data's benchmark).
  const { imageSize, codec, shape } = input;
  const locRng = createRng(input.seed, key, 'locpred');
  const locPred = input.objects.map(({ description, location }, i) =>
    withContext(`${key} objects[${i}]`, () =>
      locPredPair({ description, location, imageSize, codec, shape, choice: locRng }),
    ),
  );
  negatives.forEach((category, i) => {
    const shape = input.shape === 'point' ? 'point' : input.shape === 'mixed' && locRng.chance(0.5) ? 'point' : 'box';
    locPred.push(withContext(`${key} negatives[${i}]`, () => negPredPair({ category, shape, choice: locRng })));
  });

  const revRng = createRng(input.seed, key, 'revloc');
  const revLoc = input.objects.map(({ description, location }, i) =>
    withContext(`${key} objects[${i}]`, () =>
      revLocPair({ description, location, imageSize, codec, shape, choice: revRng }),
    ),
  );
  return { locPred: locRng.shuffle(locPred), revLoc: revRng.shuffle(revLoc) };
}

/**
 * Localize-Instruct records for one image (Appendix C): a LocPred conversation (one question per object, plus
 * NegPred questions about absent categories) and a RevLoc conversation (one question per object), so each image
 * appears twice. Conversations with no questions are left out.
 */
export function localizeInstructRecords(
  input: LocalizeInput & { image: string; imageToken?: MediaTokenPlacement },
): LlavaRecord[] {
  const { locPred, revLoc } = localizeConversations(input);
  const records: LlavaRecord[] = [];
  const common = { image: input.image, seed: input.seed, imageToken: input.imageToken ?? 'front' } as const;
  if (locPred.length > 0) records.push(imageRecord({ ...common, id: `${input.key}:locpred`, pairs: locPred }));
  if (revLoc.length > 0) records.push(imageRecord({ ...common, id: `${input.key}:revloc`, pairs: revLoc }));
  return records;
}

/**
 * The video variant (Appendix D): the same templates and targets, built from a video's static objects (boxes
 * averaged over the sampled frames, in frame pixels) and its absent categories, as Video-ChatGPT records.
 */
export function localizeVideoRecords(
  input: LocalizeInput & { video: string; frames?: readonly string[]; videoToken?: MediaTokenPlacement },
): VideoRecord[] {
  const { locPred, revLoc } = localizeConversations(input);
  const records: VideoRecord[] = [];
  const common = {
    video: input.video,
    seed: input.seed,
    videoToken: input.videoToken ?? 'random',
    ...(input.frames === undefined ? {} : { frames: input.frames }),
  } as const;
  if (locPred.length > 0) records.push(videoRecord({ ...common, id: `${input.key}:locpred`, pairs: locPred }));
  if (revLoc.length > 0) records.push(videoRecord({ ...common, id: `${input.key}:revloc`, pairs: revLoc }));
  return records;
}

/** Run `build`, naming `where` in the message of any error it throws (codec errors included). */
function withContext<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PromptError('BAD_INPUT', `${where}: ${message}`, { cause: error });
  }
}
