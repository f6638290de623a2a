// Reads and validates the JSON files of a transformers.js / Optimum LLaVA model directory.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RuntimeError } from '../errors.js';
import type { TransformersJsConfig } from './model-files.js';

const textConfigSchema = z.looseObject({
  model_type: z.string().optional(),
  vocab_size: z.number().int().positive().optional(),
  hidden_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().optional(),
  head_dim: z.number().int().positive().optional(),
  max_position_embeddings: z.number().int().positive().optional(),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  bos_token_id: z.number().int().optional(),
  pad_token_id: z.number().int().optional(),
});

const configSchema = z.looseObject({
  model_type: z.string(),
  image_token_index: z.number().int().nonnegative().optional(),
  image_token_id: z.number().int().nonnegative().optional(),
  /** Absent in flat configs (FastVLM's llava_qwen2 keeps the Qwen2 settings at the top level). */
  text_config: textConfigSchema.optional(),
  vision_config: z.looseObject({ image_size: z.number().int().positive().optional() }).optional(),
  /** transformers.js's per-model settings (default dtype, external data); checked where files are chosen. */
  'transformers.js_config': z
    .looseObject({
      dtype: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
      device: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
      device_config: z.record(z.string(), z.looseObject({})).optional(),
      use_external_data_format: z
        .union([z.boolean(), z.number().int().nonnegative(), z.record(z.string(), z.union([z.boolean(), z.number()]))])
        .optional(),
    })
    .optional(),
  /** LocVLM's own hints: which chat template and image aspect handling the model was trained with. */
  locvlm: z
    .looseObject({
      conversation_template: z.string().optional(),
      image_aspect_ratio: z.enum(['pad', 'square', 'none']).optional(),
    })
    .optional(),
});

const sizeSchema = z.union([
  z.number().int().positive(),
  z.looseObject({
    shortest_edge: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    width: z.number().int().positive().optional(),
  }),
]);

// Real exports write null for settings left at their default (e.g. SigLIP's do_convert_rgb), so null means unset.
const preprocessorSchema = z.looseObject({
  image_processor_type: z.string().optional(),
  do_resize: z.boolean().nullish(),
  size: sizeSchema.optional(),
  resample: z.number().int().nullish(),
  do_center_crop: z.boolean().nullish(),
  crop_size: sizeSchema.nullish(),
  do_rescale: z.boolean().nullish(),
  rescale_factor: z.number().nullish(),
  do_normalize: z.boolean().nullish(),
  image_mean: z.union([z.number(), z.array(z.number()).length(3)]).optional(),
  image_std: z.union([z.number(), z.array(z.number()).length(3)]).optional(),
  do_convert_rgb: z.boolean().nullish(),
  do_pad: z.boolean().nullish(),
});

const processorSchema = z.looseObject({
  image_token: z.string().optional(),
  patch_size: z.number().int().positive().optional(),
  num_additional_image_tokens: z.number().int().nonnegative().optional(),
  /** LLaVA-OneVision states the count per image directly (and has no patch_size). */
  num_image_tokens: z.number().int().positive().optional(),
});

const generationSchema = z.looseObject({
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  bos_token_id: z.number().int().optional(),
  pad_token_id: z.number().int().optional(),
  max_new_tokens: z.number().int().positive().optional(),
});

/** CLIP-style preprocessing numbers, resolved from preprocessor_config.json. */
export interface ImageProcessingConfig {
  /** Shortest edge after resize. */
  resizeShortestEdge: number;
  /**
   * Resize to exactly this size, aspect ratio not kept (preprocessor `size` given as height + width with no
   * shortest_edge, e.g. SigLIP's 384x384); when absent, the shortest edge goes to `resizeShortestEdge`.
   */
  resizeTo?: { width: number; height: number };
  /** Centre crop size (equal to the resize edge when the config has no crop). */
  cropWidth: number;
  cropHeight: number;
  /** PIL resample code: 2 bilinear, 3 bicubic (CLIP's), 0 nearest. */
  resample: 0 | 2 | 3;
  rescaleFactor: number;
  mean: [number, number, number];
  std: [number, number, number];
  doNormalize: boolean;
  doRescale: boolean;
}

/** What a LLaVA-family model directory's JSON files say, resolved and checked (see `loadModelConfig`). */
export interface ModelConfig {
  dir: string;
  modelType: string;
  imageTokenId: number;
  imageToken: string;
  /** Rows of image features the vision encoder gives for one image, as the processor config promises. */
  imageTokensPerImage: number;
  hiddenSize: number;
  numLayers: number;
  numKeyValueHeads: number;
  headDim: number;
  vocabSize?: number;
  maxPositions: number;
  eosTokenIds: number[];
  padTokenId: number;
  bosTokenId?: number;
  image: ImageProcessingConfig;
  conversationTemplate?: string;
  /**
   * LLaVA-1.5's `image_aspect_ratio`: `pad` pads to a square with the mean colour first. From config.json's
   * `locvlm.image_aspect_ratio`, else `none`: what transformers.js's processor does with the directory (its
   * `do_pad` pads bottom/right to a fixed size, not LLaVA's square, so it is not taken as a hint).
   */
  imageAspectRatio: 'pad' | 'square' | 'none';
  /** config.json's `transformers.js_config` (default dtype, external data), as written. */
  transformersJs: TransformersJsConfig;
  /** text_config.model_type, e.g. 'llama' or 'qwen2'. */
  textModelType?: string;
}

/**
 * Families whose config.json keeps the language model's settings at the top level instead of in text_config, with
 * the decoder type they hold.
 */
const FLAT_CONFIG_FAMILIES: Record<string, string> = { llava_qwen2: 'qwen2' };

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError('MODEL_FILES', `cannot read model file ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new RuntimeError('MODEL_CONFIG', `${path}: ${where}: ${issue?.message ?? 'invalid'}`, {
      cause: result.error,
    });
  }
  return result.data;
}

function edge(size: z.infer<typeof sizeSchema> | undefined, path: string, key: string): { w: number; h: number } {
  if (size === undefined) throw new RuntimeError('MODEL_CONFIG', `${path}: ${key} is missing`);
  if (typeof size === 'number') return { w: size, h: size };
  if (size.shortest_edge !== undefined) return { w: size.shortest_edge, h: size.shortest_edge };
  if (size.width !== undefined && size.height !== undefined) return { w: size.width, h: size.height };
  throw new RuntimeError(
    'MODEL_CONFIG',
    `${path}: ${key} ${JSON.stringify(size)} has neither shortest_edge nor width+height`,
  );
}

function triple(v: number | number[] | undefined, fallback: [number, number, number]): [number, number, number] {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return [v, v, v];
  return [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
}

/** Load config.json, preprocessor_config.json, processor_config.json and generation_config.json of a model dir. */
export async function loadModelConfig(dir: string): Promise<ModelConfig> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new RuntimeError('MODEL_FILES', `model path ${dir} is not a directory`);
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
    throw new RuntimeError('MODEL_FILES', `model directory ${dir} cannot be read: ${(cause as Error).message}`, {
      cause,
    });
  }
  const configPath = join(dir, 'config.json');
  const preprocessorPath = join(dir, 'preprocessor_config.json');
  const processorPath = join(dir, 'processor_config.json');
  const generationPath = join(dir, 'generation_config.json');
  const config = parseWith(configSchema, await readJson(configPath, true), configPath);
  const pre = parseWith(preprocessorSchema, await readJson(preprocessorPath, true), preprocessorPath);
  const proc = parseWith(processorSchema, (await readJson(processorPath, false)) ?? {}, processorPath);
  const gen = parseWith(generationSchema, (await readJson(generationPath, false)) ?? {}, generationPath);

  // FastVLM (llava_qwen2) writes a flat Qwen2 config with the LLaVA keys beside it, as transformers.js reads it.
  const text =
    config.text_config ??
    (Object.hasOwn(FLAT_CONFIG_FAMILIES, config.model_type)
      ? parseWith(textConfigSchema, config, `${configPath} (flat ${config.model_type} config)`)
      : undefined);
  if (text === undefined) throw new RuntimeError('MODEL_CONFIG', `${configPath}: text_config is missing`);
  const imageTokenId = config.image_token_index ?? config.image_token_id;
  if (imageTokenId === undefined) {
    throw new RuntimeError('MODEL_CONFIG', `${configPath}: image_token_index is missing`);
  }
  const headDim = text.head_dim ?? text.hidden_size / text.num_attention_heads;
  if (!Number.isInteger(headDim)) {
    throw new RuntimeError(
      'MODEL_CONFIG',
      `${configPath}: text_config.hidden_size ${text.hidden_size} is not divisible by num_attention_heads ${text.num_attention_heads}`,
    );
  }
  const resize = edge(pre.size, preprocessorPath, 'size');
  const exact =
    pre.size !== undefined && typeof pre.size === 'object' && pre.size.shortest_edge === undefined
      ? { width: resize.w, height: resize.h }
      : undefined;
  const crop = pre.do_center_crop === false ? resize : edge(pre.crop_size ?? pre.size, preprocessorPath, 'crop_size');
  const patch = proc.patch_size;
  const visionPatch = (config.vision_config as { patch_size?: number } | undefined)?.patch_size;
  const patchSize = patch ?? visionPatch;
  let imageTokensPerImage = proc.num_image_tokens;
  if (imageTokensPerImage === undefined) {
    if (patchSize === undefined)
      throw new RuntimeError(
        'MODEL_CONFIG',
        `${processorPath}: neither num_image_tokens nor patch_size is given (and config.json vision_config has no patch_size)`,
      );
    imageTokensPerImage =
      Math.floor(crop.h / patchSize) * Math.floor(crop.w / patchSize) + (proc.num_additional_image_tokens ?? 0);
  }
  const eos = gen.eos_token_id ?? text.eos_token_id ?? 2;
  const resample = pre.resample ?? 2;
  if (resample !== 0 && resample !== 2 && resample !== 3) {
    throw new RuntimeError('MODEL_CONFIG', `${preprocessorPath}: resample ${resample} is not supported (0, 2 or 3)`);
  }
  return {
    dir,
    modelType: config.model_type,
    imageTokenId,
    imageToken: proc.image_token ?? '<image>',
    imageTokensPerImage,
    hiddenSize: text.hidden_size,
    numLayers: text.num_hidden_layers,
    numKeyValueHeads: text.num_key_value_heads ?? text.num_attention_heads,
    headDim,
    ...(text.vocab_size !== undefined ? { vocabSize: text.vocab_size } : {}),
    maxPositions: text.max_position_embeddings ?? 4096,
    eosTokenIds: Array.isArray(eos) ? eos : [eos],
    padTokenId: gen.pad_token_id ?? text.pad_token_id ?? 0,
    ...(gen.bos_token_id !== undefined ? { bosTokenId: gen.bos_token_id } : {}),
    image: {
      resizeShortestEdge: Math.min(resize.w, resize.h),
      ...(exact ? { resizeTo: exact } : {}),
      cropWidth: crop.w,
      cropHeight: crop.h,
      resample,
      rescaleFactor: pre.rescale_factor ?? 1 / 255,
      mean: triple(pre.image_mean, [0.5, 0.5, 0.5]),
      std: triple(pre.image_std, [0.5, 0.5, 0.5]),
      doNormalize: pre.do_normalize ?? false,
      doRescale: pre.do_rescale ?? true,
    },
    ...(config.locvlm?.conversation_template !== undefined
      ? { conversationTemplate: config.locvlm.conversation_template }
      : {}),
    imageAspectRatio: config.locvlm?.image_aspect_ratio ?? 'none',
    transformersJs: (config['transformers.js_config'] ?? {}) as TransformersJsConfig,
    ...(config.text_config === undefined
      ? { textModelType: FLAT_CONFIG_FAMILIES[config.model_type]! }
      : text.model_type !== undefined
        ? { textModelType: text.model_type }
        : {}),
  };
}
