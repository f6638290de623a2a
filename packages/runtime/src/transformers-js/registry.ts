// The families transformers.js runs for us, found by config.json `model_type`.

import { gemma3, smolvlm } from './families/chat-template.js';
import { florence2 } from './families/florence2.js';
import { paligemma } from './families/paligemma.js';
import { qwen2Vl, qwen3Vl, qwen25Vl } from './families/qwen-vl.js';
import type { TransformersJsFamily } from './family.js';

const FAMILIES: readonly TransformersJsFamily[] = [florence2, qwen2Vl, qwen25Vl, qwen3Vl, paligemma, smolvlm, gemma3];

/** config.json model_type values that transformers.js runs for this package. */
export const TRANSFORMERS_JS_FAMILIES: readonly string[] = FAMILIES.flatMap((f) => f.modelTypes);

export function transformersJsFamily(modelType: string): TransformersJsFamily | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}
