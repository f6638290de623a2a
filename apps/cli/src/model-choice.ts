// Which model a command talks to: a local model directory (--model), the bundled default, or a pool of
// OpenAI-compatible servers (--endpoint, repeatable, + --model-name). Every command that talks to a model takes these
// flags from here (eval's judge with a prefix: --judge-model, --judge-endpoint ...). Also the codec the model writes
// locations in.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
import {
  createOpenAIModel,
  type DtypeOption,
  loadModel,
  parseDtypeOption,
  RuntimeError,
  type VisionLanguageModel,
} from '@locvlm/runtime';
import type { Command } from 'commander';
import { parseCodecSpec } from './commands/codec.js';
import { CliError } from './io.js';

/**
 * The bundled default model: dist/model of this package, copied there by the build (copy-bundled.mjs) from
 * apps/shapes-lab. Resolved against the package root (dist/..), so it is found both from the installed bundle
 * (dist/bin.js) and from the sources (src/*.ts) in the repository.
 */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../dist/model/', import.meta.url));

/** The shapes-lab model in the repository, used when the CLI runs from a checkout that was not built yet. */
export const REPOSITORY_MODEL_DIR = fileURLToPath(new URL('../../shapes-lab/model/', import.meta.url));

/**
 * The name the bundled model goes by: its id in run files, reports and `--json` output, and the name `locvlm serve` and
 * `locvlm studio` serve it under (requests may also say `default`).
 */
export const BUNDLED_MODEL_NAME = 'locvlm-shapes-tiny';

/** Whether `dir` is the bundled model (or the repository's shapes-lab model it is copied from). */
export function isBundledModelDir(dir: string): boolean {
  const target = resolve(dir);
  return [BUNDLED_MODEL_DIR, REPOSITORY_MODEL_DIR].some((place) => resolve(place) === target);
}

/**
 * Gives a model loaded from the bundled model's directory the id `locvlm-shapes-tiny` (with the runtime's `#dtype`
 * suffix when it runs non-fp32 weights) instead of its install path; other models are returned as they are.
 */
export function nameBundledModel<M extends VisionLanguageModel>(model: M, dir: string): M {
  if (!isBundledModelDir(dir)) return model;
  const hash = model.id.indexOf('#');
  const id = `${BUNDLED_MODEL_NAME}${hash >= 0 ? model.id.slice(hash) : ''}`;
  Object.defineProperty(model, 'id', { value: id, enumerable: true, configurable: true });
  return model;
}

/**
 * The model directory used when no --model is given: the first of `places` holding a config.json (the bundled copy,
 * else the repository's shapes-lab model), else a CliError telling the user what to pass. The one place that decides
 * the default.
 */
export function defaultModelDir(places: readonly string[] = [BUNDLED_MODEL_DIR, REPOSITORY_MODEL_DIR]): string {
  for (const dir of places) if (existsSync(join(dir, 'config.json'))) return dir;
  throw new CliError(
    `no bundled model (looked in ${places.join(', ')}); pass --model DIR (a model directory in the runtime's ONNX ` +
      'layout) or --endpoint URL --model-name NAME (an OpenAI-compatible server)',
  );
}

/**
 * The model flags as commander parses them. A prefix names a second model of the same command with its own flags:
 * `judge` reads --judge-model, --judge-endpoint, --judge-model-name and --judge-api-key (judgeModel, judgeEndpoint,
 * ...). --concurrency is shared by all models of a batch command.
 */
export interface ModelFlags {
  model?: string;
  dtype?: string;
  endpoint?: string[];
  modelName?: string;
  apiKey?: string;
  concurrency?: string;
  codec?: string;
  frame?: string;
}

export interface ModelFlagOptions {
  /** Flag prefix for a second model, e.g. 'judge' gives --judge-model, --judge-endpoint, ... */
  prefix?: string;
  /** What the model is for, in --help (default: "the model"). */
  role?: string;
  /** Adds --codec and --frame (how the model writes locations; not with a prefix). */
  locations?: boolean;
  /** Batch commands: adds --concurrency (requests in flight, spread over the endpoints) with this default. */
  concurrency?: number;
  /** The codec when the model names none, for --help (pass the same to resolveCodec; default DEFAULT_CODEC_SPEC). */
  codecFallback?: string;
}

/** What the flags chose: a local ONNX model directory, or a pool of OpenAI-compatible endpoints serving one model. */
export type ModelChoice =
  | { kind: 'onnx'; dir: string; dtype?: DtypeOption }
  | { kind: 'openai'; endpoints: string[]; modelName: string; apiKey?: string };

type FlagKey = 'model' | 'dtype' | 'endpoint' | 'modelName' | 'apiKey';
const FLAG_NAMES: Record<FlagKey, string> = {
  model: 'model',
  dtype: 'dtype',
  endpoint: 'endpoint',
  modelName: 'model-name',
  apiKey: 'api-key',
};
/** `--judge-model-name` for ('modelName', 'judge'). */
const flagName = (key: FlagKey, prefix?: string) => `--${prefix ? `${prefix}-` : ''}${FLAG_NAMES[key]}`;
/** The property commander stores it under: judgeModelName for ('modelName', 'judge'). */
const flagKey = (key: FlagKey, prefix?: string) => (prefix ? `${prefix}${key[0]!.toUpperCase()}${key.slice(1)}` : key);
function flagValue(flags: object, key: FlagKey, prefix?: string): unknown {
  return (flags as Record<string, unknown>)[flagKey(key, prefix)];
}

/** commander collects a repeated option into an array. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Adds the model flags: --model DIR | --endpoint URL (repeatable) --model-name NAME [--api-key KEY], plus --codec and
 * --frame (`locations`, default true without a prefix) and --concurrency (`concurrency`).
 */
export function addModelFlags(command: Command, options: ModelFlagOptions = {}): Command {
  const { prefix, role = 'the model', concurrency, codecFallback = DEFAULT_CODEC_SPEC } = options;
  const locations = options.locations ?? prefix === undefined;
  const endpoint = flagName('endpoint', prefix);
  command
    .option(
      `${flagName('model', prefix)} <dir>`,
      `${role}: a model directory in the runtime ONNX layout${prefix ? '' : ' (default: the bundled model)'}`,
    )
    .option(
      `${flagName('dtype', prefix)} <dtype>`,
      `which weights of ${flagName('model', prefix)} to load: fp32, fp16, q8, int8, uint8, q4, q4f16, ... or per graph, e.g. decoder_model_merged=q4,vision_encoder=fp16 (default: the model's config.json, else fp32)`,
    )
    .option(
      `${endpoint} <url>`,
      `${role}: an OpenAI-compatible server instead, e.g. http://127.0.0.1:8000 (repeat for a pool of servers)`,
      collect,
    )
    .option(`${flagName('modelName', prefix)} <name>`, `the model name to send to ${endpoint}`)
    .option(`${flagName('apiKey', prefix)} <key>`, `bearer token for ${endpoint} (default: $OPENAI_API_KEY)`);
  if (concurrency !== undefined)
    command.option('--concurrency <n>', 'requests in flight at once, spread over the endpoints', String(concurrency));
  if (!locations) return command;
  return command
    .option(
      '--codec <spec>',
      `how the model writes locations, e.g. ivb:bins=224, shikra, qwen (default: locvlm.codec in the model's config.json, else ${codecFallback})`,
    )
    .option(
      '--frame <name>',
      `the frame the model's numbers live in: ${FRAME_NAMES.join(', ')} (default: a local model's own preprocessing; none for --endpoint)`,
    );
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

/** Whether any of the model flags with this prefix was given (e.g. whether eval has a judge). */
export function modelFlagsGiven(flags: object, prefix?: string): boolean {
  return (Object.keys(FLAG_NAMES) as FlagKey[]).some((key) => flagValue(flags, key, prefix) !== undefined);
}

/** --concurrency as a positive integer, or undefined when the command has none. */
export function concurrencyOf(flags: ModelFlags): number | undefined {
  if (flags.concurrency === undefined) return undefined;
  if (!/^\d+$/.test(flags.concurrency) || Number(flags.concurrency) < 1)
    throw new CliError(`--concurrency ${JSON.stringify(flags.concurrency)}: must be a positive integer`);
  return Number(flags.concurrency);
}

/**
 * Read and check the model flags (with `prefix`, its own set): one CliError naming the flags for a bad combination.
 * No flag at all means the bundled model.
 */
export function chooseModel(flags: object, { prefix }: { prefix?: string } = {}): ModelChoice {
  const name = (key: FlagKey) => flagName(key, prefix);
  const model = flagValue(flags, 'model', prefix) as string | undefined;
  const endpoints = flagValue(flags, 'endpoint', prefix) as string[] | undefined;
  const modelName = flagValue(flags, 'modelName', prefix) as string | undefined;
  const apiKey = flagValue(flags, 'apiKey', prefix) as string | undefined;
  const dtypeText = flagValue(flags, 'dtype', prefix) as string | undefined;
  if (endpoints === undefined) {
    if (modelName !== undefined)
      throw new CliError(`${name('modelName')} goes with ${name('endpoint')} (a local ${name('model')} has its own)`);
    if (apiKey !== undefined) throw new CliError(`${name('apiKey')} goes with ${name('endpoint')}`);
    let dtype: DtypeOption | undefined;
    if (dtypeText !== undefined) {
      try {
        dtype = parseDtypeOption(dtypeText, name('dtype'));
      } catch (error) {
        throw asCliError(error);
      }
    }
    return { kind: 'onnx', dir: model ?? defaultModelDir(), ...(dtype !== undefined ? { dtype } : {}) };
  }
  if (model !== undefined) throw new CliError(`give either ${name('model')} DIR or ${name('endpoint')} URL, not both`);
  if (dtypeText !== undefined)
    throw new CliError(`${name('dtype')} goes with a local ${name('model')} (a server chooses its own weights)`);
  if (!modelName)
    throw new CliError(`${name('endpoint')} needs ${name('modelName')} NAME (the model the server serves)`);
  // The runtime appends /v1/chat/completions to a base URL; people often paste the URL with its /v1.
  const bases = endpoints.map((url) => url.trim().replace(/\/+$/, '').replace(/\/v1$/, ''));
  const key = apiKey ?? process.env.OPENAI_API_KEY;
  return { kind: 'openai', endpoints: bases, modelName, ...(key ? { apiKey: key } : {}) };
}

/**
 * Open the model the flags name (see chooseModel). With --concurrency, each endpoint gets room for its share of the
 * requests in flight. `thread: 'worker'` runs a local LLaVA-family model's sessions on a worker thread (the servers
 * do, so a forward pass never holds their event loop). The caller closes it.
 */
export async function openModel(
  flags: ModelFlags,
  { prefix, thread }: { prefix?: string; thread?: 'main' | 'worker' } = {},
): Promise<VisionLanguageModel> {
  const choice = chooseModel(flags, prefix ? { prefix } : {});
  const concurrency = concurrencyOf(flags);
  try {
    if (choice.kind === 'onnx')
      return nameBundledModel(
        await loadModel(choice.dir, {
          ...(choice.dtype !== undefined ? { dtype: choice.dtype } : {}),
          ...(thread !== undefined ? { thread } : {}),
        }),
        choice.dir,
      );
    return createOpenAIModel({
      endpoints: choice.endpoints,
      model: choice.modelName,
      ...(choice.apiKey ? { apiKey: choice.apiKey } : {}),
      ...(concurrency !== undefined
        ? { maxConcurrencyPerEndpoint: Math.max(1, Math.ceil(concurrency / choice.endpoints.length)) }
        : {}),
    });
  } catch (error) {
    throw asCliError(error);
  }
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

/** The codec when neither --codec nor the model's config.json names one: IVB with 224 bins (the paper's). */
export const DEFAULT_CODEC_SPEC = 'ivb:bins=224';

/**
 * The codec: --codec, else `locvlm.codec` in the model directory's config.json (next to the runtime's other LocVLM
 * hints, e.g. `"locvlm": { "codec": "ivb:bins=32" }`), else the format the model's family writes (Florence-2's
 * `<loc_N>`, PaliGemma's `<locNNNN>`, Qwen-VL's boxes; pass the loaded `model`), else `fallback` (default
 * DEFAULT_CODEC_SPEC).
 */
export async function resolveCodec(
  flags: ModelFlags,
  { fallback = DEFAULT_CODEC_SPEC, model }: { fallback?: string; model?: VisionLanguageModel } = {},
): Promise<Codec> {
  let spec = flags.codec;
  let where = '--codec';
  const choice = spec === undefined ? chooseModel(flags) : undefined;
  if (choice?.kind === 'onnx') {
    const file = join(choice.dir, 'config.json');
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
  const familyCodec = (model as { locationCodec?: CodecOptions | string } | undefined)?.locationCodec;
  if (spec === undefined && familyCodec !== undefined) {
    try {
      return createCodec(familyCodec as CodecOptions);
    } catch (error) {
      throw error instanceof Error
        ? new CliError(`the model's location format: ${error.message}`, { cause: error })
        : error;
    }
  }
  if (spec === undefined) where = 'the default codec';
  const options: CodecOptions = parseCodecSpec(spec ?? fallback, where);
  try {
    return createCodec(options);
  } catch (error) {
    throw error instanceof Error ? new CliError(`${where}: ${error.message}`, { cause: error }) : error;
  }
}
