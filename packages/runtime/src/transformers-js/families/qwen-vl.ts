// Qwen2-VL, Qwen2.5-VL and Qwen3-VL: the chat template renders each image as <|vision_start|><|image_pad|><|vision_end|>,
// the processor smart-resizes the photo to multiples of patch_size * merge_size and expands <|image_pad|> to one
// token per merged patch. Boxes: Qwen2-VL writes <|box_start|>(x1,y1),(x2,y2)<|box_end|> in 0..1000 of the input,
// Qwen2.5-VL JSON bbox_2d in pixels of the resized input, Qwen3-VL JSON bbox_2d in 0..1000.
import { smartResize } from '@locvlm/coord-codec';
import type { FamilyFiles, TransformersJsFamily } from '../family.js';
import { prepareFromChatTemplate } from './chat.js';

function qwenFrame({ preprocessor }: FamilyFiles) {
  const size = (preprocessor.size ?? {}) as { shortest_edge?: number; longest_edge?: number };
  const patch = Number(preprocessor.patch_size ?? 14);
  const merge = Number(preprocessor.merge_size ?? 2);
  const minPixels = Number(preprocessor.min_pixels ?? size.shortest_edge ?? 56 * 56);
  const maxPixels = Number(preprocessor.max_pixels ?? size.longest_edge ?? 28 * 28 * 1280);
  // transformers.js's rounding: the size it actually feeds the model (Python's differs for ~1% of photos).
  return smartResize({ factor: patch * merge, minPixels, maxPixels, rounding: 'transformers-js' });
}

// The Qwen2.5-VL / Qwen3-VL cookbooks' grounding request (spatial understanding).
const prompts = {
  locate: (object: string) => `Outline the position of ${object} and output all the coordinates in JSON format.`,
};

const prepare = prepareFromChatTemplate;

export const qwen2Vl: TransformersJsFamily = {
  name: 'qwen2-vl',
  modelTypes: ['qwen2_vl'],
  modelClass: 'Qwen2VLForConditionalGeneration',
  codec: { kind: 'qwen2-vl' },
  frame: qwenFrame,
  prompts,
  prepare,
};

export const qwen25Vl: TransformersJsFamily = {
  name: 'qwen2.5-vl',
  modelTypes: ['qwen2_5_vl'],
  modelClass: 'Qwen2_5_VLForConditionalGeneration',
  codec: { kind: 'qwen' },
  frame: qwenFrame,
  prompts,
  prepare,
};

export const qwen3Vl: TransformersJsFamily = {
  name: 'qwen3-vl',
  modelTypes: ['qwen3_vl'],
  modelClass: 'Qwen3VLForConditionalGeneration',
  codec: { kind: 'qwen', scale: 1000 },
  frame: qwenFrame,
  prompts,
  prepare,
};
