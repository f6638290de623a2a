// Every vision-language family our own engine does not run, run by transformers.js (an optional peer dependency,
// loaded on first use), behind the same VisionLanguageModel interface: same generate/stream/close, plus the family's
// location format and the frame of its preprocessing so `ask` maps its boxes back to photo pixels.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CodecSpec, FrameTransform } from '@locvlm/coord-codec';
import { RuntimeError } from '../errors.js';
import { decodeImage } from '../image/preprocess.js';
import { DEFAULT_MAX_IMAGE_PIXELS, describeSource, type ImageLimits, readImageSource } from '../image/source.js';
import { readJsonObject } from '../json-file.js';
import type { ChatMessage, GenerateRequest, GenerateResult, ImageSource, VisionLanguageModel } from '../model.js';
import { type DtypeOption, modelIdFor, resolveModelFiles } from '../onnx/model-files.js';
import { chooseExecutionProvider, type DeviceChoice, type ExecutionProviderChoice } from '../onnx/ort.js';
import { longestTokenChars } from '../onnx/tokenizer.js';
import type { FamilyFiles, LocationPrompts, TjsRawImage, TransformersJs, TransformersJsFamily } from './family.js';
import { transformersJsFamily } from './registry.js';

/** Options of a model transformers.js runs: weights, device, image limits. */
export interface TransformersJsModelOptions {
  /** Weights to load, with transformers.js's names (one dtype, or one per graph); default config.json's, else fp32. */
  dtype?: DtypeOption;
  /** 'auto' (default): CUDA when its provider is installed and a GPU is present, else CPU. */
  device?: DeviceChoice;
  /** Image size limits (bytes, decoded pixels) and whether http(s) image URLs may be fetched. */
  imageLimits?: ImageLimits;
}

let tjsPromise: Promise<TransformersJs> | undefined;

/** transformers.js, loaded on first use only; a clear error saying how to install it when it is missing. */
export function loadTransformersJs(): Promise<TransformersJs> {
  tjsPromise ??= import('@huggingface/transformers').then(
    (m) => m as TransformersJs,
    (cause: unknown) => {
      tjsPromise = undefined;
      throw new RuntimeError(
        'BACKEND',
        `this model family runs on transformers.js, which cannot be loaded (${(cause as Error).message}); install it next to @locvlm/runtime: npm install @huggingface/transformers@^4.3`,
        { cause },
      );
    },
  );
  return tjsPromise;
}

/** Token ids of the given kinds (eos/pad/bos) from the tokenizer and the configs. */
function specialTokenIds(
  keys: ReadonlyArray<'eos_token_id' | 'pad_token_id' | 'bos_token_id'>,
  tokenizer: { eos_token_id?: number; pad_token_id?: number; bos_token_id?: number },
  ...configs: Array<Record<string, unknown> | undefined>
): Set<number> {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number') ids.add(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'number') ids.add(x);
  };
  for (const key of keys) {
    add(tokenizer[key]);
    for (const c of configs) add(c?.[key]);
  }
  return ids;
}

/**
 * A model of a family transformers.js runs (Florence-2, Qwen-VL, PaliGemma, ...), behind the same interface, with
 * its family's location format, prompts and preprocessing frame. Made by `loadModel`.
 */
export class TransformersJsModel implements VisionLanguageModel {
  readonly id: string;
  /** Which engine runs the model. */
  readonly engine = 'transformers.js' as const;

  private constructor(
    readonly dir: string,
    /** Our name for the family, e.g. 'florence2'. */
    readonly family: string,
    private readonly adapter: TransformersJsFamily,
    private readonly files: FamilyFiles,
    private readonly tjs: TransformersJs,
    // transformers.js objects stay private: their types are not part of this package's published API.
    private readonly processor: Awaited<ReturnType<TransformersJs['AutoProcessor']['from_pretrained']>>,
    private readonly tokenizer: Awaited<ReturnType<TransformersJs['AutoTokenizer']['from_pretrained']>>,
    private readonly model: Awaited<ReturnType<TransformersJs['AutoModelForImageTextToText']['from_pretrained']>>,
    private readonly dtypes: Record<string, string>,
    readonly executionProvider: ExecutionProviderChoice,
    /** End tokens: they end generation and are not part of the answer (nor of tokenIds). */
    private readonly endIds: Set<number>,
    /** End, padding and start tokens: not shown in the answer's text. */
    private readonly hidden: Set<number>,
    private readonly options: TransformersJsModelOptions,
    // The longest token text of tokenizer.json and the context: prompts that cannot fit are refused untokenized.
    private readonly promptBound: { maxTokenChars: number; context: number | undefined },
  ) {
    this.id = modelIdFor(dir, Object.entries(dtypes));
  }

  /** Load a model directory of a family transformers.js runs (see `TRANSFORMERS_JS_FAMILIES`), local files only. */
  static async load(dir: string, options: TransformersJsModelOptions = {}): Promise<TransformersJsModel> {
    const abs = resolve(dir);
    const config = await readJsonObject(join(abs, 'config.json'), true);
    const modelType = String(config.model_type);
    const adapter = transformersJsFamily(modelType);
    if (!adapter)
      throw new RuntimeError(
        'MODEL_CONFIG',
        `${join(abs, 'config.json')}: model_type ${JSON.stringify(modelType)} is not a transformers.js family`,
      );
    const preprocessor = await readJsonObject(join(abs, 'preprocessor_config.json'), false);
    const files: FamilyFiles = { dir: abs, config, preprocessor };
    const provider = chooseExecutionProvider(options.device ?? 'auto');
    // The same file choice and checks as our own engine (dtype variants, external data), before transformers.js
    // touches anything; then transformers.js loads exactly these through its own dtype option.
    const components = await graphNames(abs);
    const chosen = await resolveModelFiles(abs, components, {
      ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
      config: (config['transformers.js_config'] ?? {}) as never,
      device: provider.provider,
    });
    const dtypes = Object.fromEntries(chosen.map((f) => [f.component, f.dtype]));
    const tjs = await loadTransformersJs();
    const common = { local_files_only: true } as const;
    let processor: Awaited<ReturnType<TransformersJs['AutoProcessor']['from_pretrained']>>;
    let tokenizer: Awaited<ReturnType<TransformersJs['AutoTokenizer']['from_pretrained']>>;
    let model: Awaited<ReturnType<TransformersJs['AutoModelForImageTextToText']['from_pretrained']>>;
    try {
      processor = await tjs.AutoProcessor.from_pretrained(abs, common);
      tokenizer = await tjs.AutoTokenizer.from_pretrained(abs, common);
      const ModelClass = (tjs as unknown as Record<string, typeof tjs.AutoModelForImageTextToText>)[adapter.modelClass];
      if (!ModelClass) throw new Error(`transformers.js has no class ${adapter.modelClass}`);
      model = await ModelClass.from_pretrained(abs, {
        ...common,
        dtype: dtypes as never,
        device: provider.provider,
        session_options: { extra: { session: { intra_op: { allow_spinning: '0' } } } },
      } as never);
    } catch (cause) {
      throw new RuntimeError('MODEL_FILES', `transformers.js cannot load ${abs}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const generation = await readJsonObject(join(abs, 'generation_config.json'), false);
    const textConfig = config.text_config as Record<string, unknown> | undefined;
    const context = Number(textConfig?.max_position_embeddings ?? config.max_position_embeddings);
    const promptBound = {
      maxTokenChars: longestTokenChars(await readJsonObject(join(abs, 'tokenizer.json'), true)),
      context: Number.isInteger(context) && context > 0 ? context : undefined,
    };
    const endIds = specialTokenIds(['eos_token_id'], tokenizer as never, generation, config, textConfig);
    const hidden = specialTokenIds(
      ['eos_token_id', 'pad_token_id', 'bos_token_id'],
      tokenizer as never,
      generation,
      config,
      textConfig,
    );
    return new TransformersJsModel(
      abs,
      adapter.name,
      adapter,
      files,
      tjs,
      processor,
      tokenizer,
      model,
      dtypes,
      provider,
      endIds,
      hidden,
      options,
      promptBound,
    );
  }

  /** The location format the family writes (coord-codec), when it was trained to write one. */
  get locationCodec(): CodecSpec | undefined {
    return this.adapter.codec;
  }

  /** The family's own wording of LocPred and RevLoc, when it has one (Florence-2's task tokens, PaliGemma's `detect`). */
  get locationPrompts(): LocationPrompts {
    return this.adapter.prompts ?? {};
  }

  /** Task prompts the family knows (e.g. Florence-2's `<OD>`), with what each does. */
  get tasks(): Readonly<Record<string, string>> {
    return this.adapter.tasks ?? {};
  }

  /** The family's preprocessing as a frame transform: `inverse` maps locations in its answers back to photo pixels. */
  frameTransform(): FrameTransform {
    return this.adapter.frame(this.files);
  }

  /** What was loaded: family, model_type, engine, dtype per graph, provider, location format and tasks. */
  describe() {
    return {
      family: this.family,
      modelType: String(this.files.config.model_type),
      engine: this.engine,
      dtypes: { ...this.dtypes },
      executionProvider: this.executionProvider,
      ...(this.adapter.codec !== undefined ? { locationCodec: this.adapter.codec } : {}),
      tasks: Object.keys(this.tasks),
    };
  }

  /**
   * Refuse, before the processor tokenizes anything (transformers.js tokenizes on the calling thread), messages whose
   * text alone cannot fit the context: no token stands for more characters than the longest in tokenizer.json.
   */
  private checkPromptLength(messages: readonly ChatMessage[]): void {
    const { maxTokenChars, context } = this.promptBound;
    if (context === undefined) return;
    let chars = 0;
    for (const m of messages) {
      if (typeof m.content === 'string') chars += m.content.length;
      else if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'text') chars += p.text.length;
    }
    const atLeast = Math.ceil(chars / maxTokenChars);
    if (atLeast > context)
      throw new RuntimeError(
        'CONTEXT_LENGTH',
        `the messages hold ${chars} characters of text, at least ${atLeast} tokens (no token of tokenizer.json is longer than ${maxTokenChars} characters), but the model's context is ${context} (max_position_embeddings)`,
      );
  }

  private async images(messages: readonly ChatMessage[]): Promise<TjsRawImage[]> {
    const sources: ImageSource[] = [];
    for (const m of messages)
      if (Array.isArray(m.content))
        for (const p of m.content) {
          if (p.type === 'image') sources.push(p.image);
          else if (p.type === 'video')
            throw new RuntimeError('BAD_INPUT', `${this.family} models take images, not videos`);
        }
    const limits = this.options.imageLimits ?? {};
    return Promise.all(
      sources.map(async (source) => {
        const bytes = await readImageSource(source, limits);
        const rgb = await decodeImage(bytes, {
          maxPixels: limits.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS,
          where: describeSource(source),
        });
        // The same decoded pixels transformers.js's RawImage would hold (sharp, EXIF applied, alpha dropped).
        return new this.tjs.RawImage(
          new Uint8ClampedArray(rgb.data.buffer, rgb.data.byteOffset, rgb.data.length),
          rgb.width,
          rgb.height,
          3,
        );
      }),
    );
  }

  private async run(request: GenerateRequest, onDelta?: (text: string) => void): Promise<GenerateResult> {
    if (!Array.isArray(request.messages) || request.messages.length === 0)
      throw new RuntimeError('BAD_INPUT', 'messages must be a non-empty array');
    const t0 = performance.now();
    this.checkPromptLength(request.messages);
    const images = await this.images(request.messages);
    const { inputs } = await this.adapter.prepare(
      { ...this.files, tjs: this.tjs, processor: this.processor, tokenizer: this.tokenizer },
      request.messages,
      images,
    );
    const maxNewTokens = request.maxNewTokens ?? 128;
    const temperature = request.temperature ?? 0;
    const tokens: number[] = [];
    let text = '';
    let stopped = false;
    let firstTokenMs = 0;
    const stops = request.stop ?? [];
    const signal = request.signal;
    const decode = () => {
      const shown = tokens.filter((t) => !this.hidden.has(t));
      return shown.length === 0 ? '' : this.tokenizer.decode(shown, { skip_special_tokens: false });
    };
    const tjs = this.tjs;
    // Stop strings and the caller's abort end generation between steps.
    class StopCriteria extends tjs.StoppingCriteria {
      override _call(inputIds: number[][]): boolean[] {
        return inputIds.map(() => stopped || signal?.aborted === true);
      }
    }
    let first = true;
    const streamer = {
      put: (values: bigint[][]) => {
        if (first) {
          first = false; // the prompt
          return;
        }
        if (tokens.length === 0) firstTokenMs = performance.now() - t0;
        const id = Number(values[0]![0]);
        if (this.endIds.has(id)) return;
        tokens.push(id);
        // Text is tracked as it grows only when someone reads it (a stream, or stop strings to watch for).
        if (!onDelta && stops.length === 0) return;
        const next = decode();
        let visible = next;
        for (const s of stops) {
          const at = next.indexOf(s);
          if (at !== -1) {
            visible = next.slice(0, at);
            stopped = true;
          }
        }
        // Hold back a trailing replacement character: a multi-byte character may still be incomplete.
        const safe = stopped ? visible : visible.replace(/\uFFFD+$/, '');
        if (safe.length > text.length && safe.startsWith(text)) {
          onDelta?.(safe.slice(text.length));
          text = safe;
        } else if (stopped) text = visible;
      },
      end: () => {},
    };
    let generatedMs = 0;
    try {
      await this.model.generate({
        ...inputs,
        max_new_tokens: maxNewTokens,
        do_sample: temperature > 0,
        ...(temperature > 0 ? { temperature, top_p: request.topP ?? 1 } : {}),
        streamer,
        // Only when something can stop it early: a criterion costs a call per step.
        ...(stops.length > 0 || signal ? { stopping_criteria: [new StopCriteria()] } : {}),
      } as never);
    } catch (cause) {
      throw new RuntimeError('BACKEND', `transformers.js generation failed: ${(cause as Error).message}`, { cause });
    }
    generatedMs = performance.now() - t0;
    if (signal?.aborted) throw new RuntimeError('ABORTED', 'generation was aborted');
    if (!stopped) {
      const full = decode();
      if (full.length > text.length && full.startsWith(text)) onDelta?.(full.slice(text.length));
      text = full;
    }
    const result: GenerateResult = {
      text,
      finishReason: !stopped && tokens.length >= maxNewTokens ? 'length' : 'stop',
    };
    if (request.details) {
      result.tokenIds = [...tokens];
      result.timing = { promptMs: firstTokenMs, firstTokenMs, totalMs: generatedMs, newTokens: tokens.length };
    }
    return result;
  }

  /** Build the family's inputs from the chat and generate the answer. */
  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.run(request);
  }

  async *stream(request: GenerateRequest): AsyncGenerator<string, GenerateResult | undefined> {
    const queue: string[] = [];
    let done = false;
    let failure: unknown;
    let result: GenerateResult | undefined;
    let wake: (() => void) | undefined;
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    const running = this.run({ ...request, signal }, (delta) => {
      queue.push(delta);
      wake?.();
    }).then(
      (value) => {
        result = value;
        done = true;
        wake?.();
      },
      (e: unknown) => {
        failure = e;
        done = true;
        wake?.();
      },
    );
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      if (failure !== undefined) throw failure;
      return result;
    } finally {
      controller.abort();
      await running;
    }
  }

  async close(): Promise<void> {
    await this.model.dispose();
  }
}

/** The graphs of a directory's onnx/ folder (names without dtype suffix), which the family's model class loads. */
async function graphNames(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(join(dir, 'onnx'));
  } catch (cause) {
    throw new RuntimeError(
      'MODEL_FILES',
      `model folder ${join(dir, 'onnx')} cannot be read: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const suffix = /_(fp16|int8|uint8|quantized|q4|q2|q1|q4f16|q2f16|q1f16|bnb4)$/;
  return [...new Set(files.filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5).replace(suffix, '')))].sort();
}
