// What one vision-language family needs from us when transformers.js runs it: how a chat becomes the processor's
// inputs, how the answer is decoded, which location format it writes and in which frame of the photo.
import type { CodecSpec, FrameTransform } from '@locvlm/coord-codec';
import type { ChatMessage } from '../model.js';

/** The transformers.js module (loaded lazily; an optional peer dependency). */
export type TransformersJs = typeof import('@huggingface/transformers');
export type TjsProcessor = Awaited<ReturnType<TransformersJs['AutoProcessor']['from_pretrained']>>;
export type TjsTokenizer = Awaited<ReturnType<TransformersJs['AutoTokenizer']['from_pretrained']>>;
export type TjsRawImage = InstanceType<TransformersJs['RawImage']>;

/** The JSON files of a model directory a family reads. */
export interface FamilyFiles {
  dir: string;
  config: Record<string, unknown>;
  preprocessor: Record<string, unknown>;
}

export interface FamilyContext extends FamilyFiles {
  tjs: TransformersJs;
  processor: TjsProcessor;
  tokenizer: TjsTokenizer;
}

/** The processor's output for one request, ready for `model.generate({ ...inputs })`. */
export interface PreparedInputs {
  inputs: Record<string, unknown>;
  /** The prompt text the processor was given (after the chat template), for describe/debugging. */
  prompt: string;
}

export interface TransformersJsFamily {
  /** Our name for the family, e.g. 'florence2'. */
  name: string;
  /** config.json `model_type` values it covers. */
  modelTypes: readonly string[];
  /** The transformers.js model class that loads it, e.g. 'Florence2ForConditionalGeneration'. */
  modelClass: string;
  /** The location format it writes (coord-codec), when it was trained to write one. */
  codec?: CodecSpec;
  /**
   * The frame its location numbers live in, as a transform of the photo (the family's exact preprocessing), for
   * this directory's preprocessor_config.json.
   */
  frame(files: FamilyFiles): FrameTransform;
  /** Chat messages (images already decoded, in order) -> the processor's inputs, as a transformers.js user builds them. */
  prepare(context: FamilyContext, messages: readonly ChatMessage[], images: TjsRawImage[]): Promise<PreparedInputs>;
  /** Task prompts the family knows (Florence-2's `<OD>`, ...), mapped to what they do; absent: free text only. */
  tasks?: Readonly<Record<string, string>>;
  /**
   * The family's own wording of LocPred and RevLoc (object -> box, box -> description), as its model card or
   * reference prompts them; absent: the paper's questions (@locvlm/prompts) are asked.
   */
  prompts?: LocationPrompts;
}

/** How a family is asked where an object is, and what is in a region (given as its own location text). */
export interface LocationPrompts {
  /** The request for the box of `object` (LocPred). */
  locate?(object: string): string;
  /** The request for a description of the region written as `locationText` (RevLoc). */
  describe?(locationText: string): string;
}
