// PaliGemma: no chat template; the processor takes `<image>` + the prompt ("detect cat", "caption en", ...),
// expands `<image>` to image_seq_length tokens, adds BOS after them and "\n" at the end. The image is stretched to
// size.height x size.width. Boxes: <locNNNN> x4, y1 x1 y2 x2, 1024 bins of the input.
import { resize } from '@locvlm/coord-codec';
import type { FamilyFiles, TransformersJsFamily } from '../family.js';
import { expectImages, lastUserText } from './chat.js';

/** An exact resize to preprocessor_config.json's size.height x size.width (no aspect kept, no crop). */
export function stretchFrame({ preprocessor }: FamilyFiles, fallback: number) {
  const size = (preprocessor.size ?? {}) as { height?: number; width?: number };
  return resize({ width: size.width ?? fallback, height: size.height ?? fallback });
}

export const paligemma: TransformersJsFamily = {
  name: 'paligemma',
  modelTypes: ['paligemma'],
  modelClass: 'PaliGemmaForConditionalGeneration',
  codec: { kind: 'paligemma' },
  frame: (files) => stretchFrame(files, 224),
  // big_vision's detection prefix: the answer is `<locNNNN>x4 label`.
  prompts: { locate: (object) => `detect ${object}` },
  async prepare({ processor }, messages, images) {
    // `<image>` in front, as PaliGemma's processor expects (without it, it guesses and warns).
    const prompt = `<image>${lastUserText(messages, 'PaliGemma')}`;
    const inputs = await (processor as unknown as (i: unknown, t: string) => Promise<Record<string, unknown>>)(
      expectImages(images, 1, 'PaliGemma'),
      prompt,
    );
    return { prompt, inputs };
  },
};
