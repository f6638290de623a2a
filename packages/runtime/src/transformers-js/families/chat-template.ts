// Families whose processor renders a chat template with typed image parts and then takes (text, images):
// SmolVLM / Idefics3 (image splitting, <fake_token_around_image>, <row_r_col_c>, <global-img>) and Gemma 3
// (<start_of_image> + mm_tokens_per_image soft tokens). Neither was trained to write boxes: give a codec.
import { identity } from '@locvlm/coord-codec';
import type { TransformersJsFamily } from '../family.js';
import { prepareFromChatTemplate } from './chat.js';
import { stretchFrame } from './paligemma.js';

const prepare = prepareFromChatTemplate;

export const smolvlm: TransformersJsFamily = {
  name: 'smolvlm',
  modelTypes: ['smolvlm', 'idefics3'],
  modelClass: 'Idefics3ForConditionalGeneration',
  // Tiles plus a global image: no single frame holds the numbers; answers are read in the photo's own frame.
  frame: () => identity(),
  prepare,
};

export const gemma3: TransformersJsFamily = {
  name: 'gemma3',
  modelTypes: ['gemma3'],
  modelClass: 'Gemma3ForConditionalGeneration',
  frame: (files) => stretchFrame(files, 896),
  prepare,
};
