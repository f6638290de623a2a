// Which model a command talks to: a local model directory (--model), the bundled default, or an OpenAI-compatible
// server (--endpoint + --model-name). Also the codec the model writes locations in.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Codec,
  type CodecOptions,
  createCodec,
  FRAME_NAMES,
  type FrameName,
  type FrameTransform,
  namedFrame,
} from '@locvlm/coord-codec';
import { createOpenAIModel, loadOnnxModel, RuntimeError, type VisionLanguageModel } from '@locvlm/runtime';
import type { Command } from 'commander';
import { parseCodecSpec } from './commands/codec.js';
import { CliError } from './io.js';

/** Where the bundled default model lives: apps/shapes-lab/model, trained and shipped by @locvlm/shapes-lab. */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../shapes-lab/model/', import.meta.url));

/**
 * The model directory used when no --model is given: the bundled model if it is there, else a CliError telling the
 * user what to pass. The one place that decides the default.
 */
export function defaultModelDir(): string {
  if (existsSync(join(BUNDLED_MODEL_DIR, 'config.json'))) return BUNDLED_MODEL_DIR;
  throw new CliError(
    `no bundled model at ${BUNDLED_MODEL_DIR}; pass --model DIR (a model directory in the runtime's ONNX layout) ` +
      'or --endpoint URL --model-name NAME (an OpenAI-compatible server)',
  );
}

export interface ModelFlags {
  model?: string;
  endpoint?: string;
  modelName?: string;
  apiKey?: string;
  codec?: string;
  frame?: string;
}

/** --frame as a transform, or undefined for the model's own (a local model's preprocessing; none for a server). */
export function resolveFrame(flags: ModelFlags): FrameTransform | undefined {
  if (flags.frame === undefined) return undefined;
  if (!(FRAME_NAMES as readonly string[]).includes(flags.frame))
    throw new CliError(
      `--frame ${JSON.stringify(flags.frame)}: unknown frame; expected one of ${FRAME_NAMES.join(', ')}`,
    );
  return namedFrame(flags.frame as FrameName);
}

/** Adds --model, --endpoint, --model-name, --api-key and (unless `locations` is false) --codec and --frame. */
export function addModelFlags(command: Command, { locations = true } = {}): Command {
  command
    .option('--model <dir>', 'model directory in the runtime ONNX layout (default: the bundled model)')
    .option('--endpoint <url>', 'an OpenAI-compatible server instead of a local model, e.g. http://127.0.0.1:8000')
    .option('--model-name <name>', 'the model name to send to --endpoint')
    .option('--api-key <key>', 'bearer token for --endpoint (default: $OPENAI_API_KEY)');
  if (!locations) return command;
  return command
    .option(
      '--codec <spec>',
      "how the model writes locations, e.g. ivb:bins=224, shikra, qwen (default: locvlm.codec in the model's config.json, else ivb:bins=224)",
    )
    .option(
      '--frame <name>',
      `the frame the model's numbers live in: ${FRAME_NAMES.join(', ')} (default: a local model's own preprocessing; none for --endpoint)`,
    );
}

/** Turns a runtime error the user caused (bad file, bad image, bad model dir) into a CliError (exit code 2). */
export function asCliError(error: unknown): unknown {
  if (
    error instanceof RuntimeError &&
    (error.code === 'BAD_INPUT' ||
      error.code === 'IMAGE' ||
      error.code === 'MODEL_FILES' ||
      error.code === 'MODEL_CONFIG')
  )
    return new CliError(error.message, { cause: error });
  return error;
}

/** Open the model the flags name. The caller closes it. */
export async function openModel(flags: ModelFlags): Promise<VisionLanguageModel> {
  if (flags.endpoint !== undefined) {
    if (flags.model !== undefined) throw new CliError('give either --model or --endpoint, not both');
    if (!flags.modelName) throw new CliError('--endpoint needs --model-name (the model the server serves)');
    const apiKey = flags.apiKey ?? process.env.OPENAI_API_KEY;
    try {
      return createOpenAIModel({ endpoints: [flags.endpoint], model: flags.modelName, ...(apiKey ? { apiKey } : {}) });
    } catch (error) {
      throw asCliError(error);
    }
  }
  if (flags.modelName !== undefined) throw new CliError('--model-name goes with --endpoint');
  const dir = flags.model ?? defaultModelDir();
  try {
    return await loadOnnxModel(dir);
  } catch (error) {
    throw asCliError(error);
  }
}

/**
 * The codec: --codec, else `locvlm.codec` in the model directory's config.json (next to the runtime's other LocVLM
 * hints, e.g. `"locvlm": { "codec": "ivb:bins=32" }`), else IVB with 224 bins (the paper's).
 */
export async function resolveCodec(flags: ModelFlags): Promise<Codec> {
  let spec = flags.codec;
  let where = '--codec';
  if (spec === undefined && flags.endpoint === undefined) {
    const file = join(flags.model ?? defaultModelDir(), 'config.json');
    if (existsSync(file)) {
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new CliError(`${file} is not JSON: ${(cause as Error).message}`, { cause });
      }
      const codec = (json as { locvlm?: { codec?: unknown } } | null)?.locvlm?.codec;
      if (codec !== undefined) {
        if (typeof codec !== 'string') throw new CliError(`${file}: locvlm.codec must be a string like "ivb:bins=32"`);
        spec = codec;
        where = `${file} locvlm.codec`;
      }
    }
  }
  const options: CodecOptions = parseCodecSpec(spec ?? 'ivb:bins=224', where);
  try {
    return createCodec(options);
  } catch (error) {
    throw error instanceof Error ? new CliError(`${where}: ${error.message}`, { cause: error }) : error;
  }
}
