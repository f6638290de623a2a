// One entry for any local model directory: our own engine for the LLaVA family (where owning the decode loop buys
// speed), transformers.js for every other family it runs. Callers get the same VisionLanguageModel either way;
// `model.engine` says which runs it.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RuntimeError } from './errors.js';
import { LOCAL_FAMILIES, loadOnnxModel, type OnnxModelOptions, type OnnxVisionLanguageModel } from './onnx/model.js';
import { TransformersJsModel } from './transformers-js/model.js';
import { TRANSFORMERS_JS_FAMILIES } from './transformers-js/registry.js';

/** A local model, whichever engine runs it. */
export type LocalModel = OnnxVisionLanguageModel | TransformersJsModel;

/** Options for `loadModel`; the LLaVA engine's extra settings apply to it only. */
export type LoadModelOptions = OnnxModelOptions;

/** Every config.json model_type a local directory may have: ours, then the ones transformers.js runs. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = [...LOCAL_FAMILIES, ...TRANSFORMERS_JS_FAMILIES];

async function modelTypeOf(dir: string): Promise<string> {
  const path = join(dir, 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new RuntimeError(
      'MODEL_FILES',
      missing ? `model file ${path} is missing` : `cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const type = (config as { model_type?: unknown } | null)?.model_type;
  if (typeof type !== 'string') throw new RuntimeError('MODEL_CONFIG', `${path}: model_type is missing`);
  return type;
}

/**
 * Load a model directory in the layout transformers.js / Optimum export: the LLaVA family (llava, llava_qwen2,
 * llava_onevision) on this package's engine, Florence-2, Qwen2/2.5/3-VL, PaliGemma, SmolVLM/Idefics3 and Gemma 3
 * on transformers.js (an optional peer dependency: `npm install @huggingface/transformers`), local files only.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LocalModel> {
  const abs = resolve(dir);
  const type = await modelTypeOf(abs);
  if ((LOCAL_FAMILIES as readonly string[]).includes(type)) return loadOnnxModel(abs, options);
  if (TRANSFORMERS_JS_FAMILIES.includes(type))
    return TransformersJsModel.load(abs, {
      ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.imageLimits !== undefined ? { imageLimits: options.imageLimits } : {}),
    });
  throw new RuntimeError(
    'MODEL_CONFIG',
    `${join(abs, 'config.json')}: model_type ${JSON.stringify(type)} is not supported; supported families: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
  );
}
