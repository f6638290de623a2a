// The local LLaVA-family model on onnxruntime-node, behind the VisionLanguageModel interface.
import { resolve } from 'node:path';
import type { FrameTransform } from '@locvlm/coord-codec';
import type { PoolingOptions } from '@locvlm/video-pool';
import { RuntimeError } from '../errors.js';
import { modelFrameTransform } from '../image/frame.js';
import {
  decodeImage,
  type PreprocessedImage,
  type PreprocessPlan,
  preprocessRgb,
  type RgbImage,
} from '../image/preprocess.js';
import { DEFAULT_MAX_IMAGE_PIXELS, describeSource, type ImageLimits, readImageSource } from '../image/source.js';
import type { GenerateOptions, GenerateRequest, GenerateResult, ImageSource, VisionLanguageModel } from '../model.js';
import { type ChatTemplate, type ChatTemplateSource, loadChatTemplate, renderChatTemplate } from './chat-template.js';
import { loadModelConfig, type ModelConfig } from './config.js';
import type { DecodeOutput, LlavaRunner, PreparedSequence, SessionOptions } from './engine.js';
import { loadLlavaRunner } from './engine-worker.js';
import { type Dtype, modelIdFor } from './model-files.js';
import type { ExecutionProviderChoice } from './ort.js';
import { conversationRenderer, DEFAULT_CONVERSATION_TEMPLATE } from './render.js';
import { TextTracker } from './text.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

/** Options of `loadOnnxModel` (and `loadModel`): session settings plus image, chat-format and video handling. */
export interface OnnxModelOptions extends SessionOptions {
  /** Override config.json's `locvlm.image_aspect_ratio`: 'pad' (LLaVA-1.5, the default) pads to a square first. */
  imageAspectRatio?: 'pad' | 'square' | 'none';
  /** Image size limits (bytes, decoded pixels) and whether http(s) image URLs may be fetched. */
  imageLimits?: ImageLimits;
  /**
   * One of LLaVA's conversation templates for `generate` (llava_v1, vicuna_v1, llava_llama_2, ...). Default: the
   * model's own Jinja chat template when it ships one (chat_template.jinja, chat_template.json or
   * tokenizer_config.json), else config.json's `locvlm.conversation_template`, else llava_v1.
   */
  conversationTemplate?: string;
  /** Render chat messages yourself instead (prompt text with one image placeholder per image or video). */
  renderPrompt?: PromptRenderer;
  /**
   * How a video's frame features become decoder rows: @locvlm/video-pool's Video-ChatGPT pooling with these options
   * (default: the paper's LocVLM-Vid, T temporal rows then one spatial row per patch, no padding; pass
   * VIDEO_CHATGPT_POOLING for 100 padded temporal rows), or a function of your own.
   */
  poolVideo?: VideoPooling | PoolingOptions;
  /** Frames (or images) per vision-encoder run (default 16): bounds memory for long videos. */
  visionBatchSize?: number;
}

/**
 * A video given as its sampled frames, in time order: encoded images, or decoded RGB frames such as
 * @locvlm/video-pool's `extractFrames` returns ({ width, height, data } with 3 bytes per pixel).
 */
export interface VideoFrames {
  frames: Array<ImageSource | RgbImage>;
}

/** An image, or a video that takes one placeholder and becomes pooled frame features. */
export type MediaInput = ImageSource | VideoFrames;

/**
 * Pools a video's per-frame features [frames, tokens, hidden] (row-major) into the rows the decoder sees
 * (e.g. Video-ChatGPT's temporal + spatial means).
 */
export type VideoPooling = (features: Float32Array, frames: number, tokens: number, hidden: number) => Float32Array;

/** Chat messages -> prompt text in which each image or video appears as the model's image token (e.g. `<image>`). */
export type PromptRenderer = (
  request: GenerateRequest,
  config: ModelConfig,
) => { prompt: string; images: MediaInput[] };

/** A raw completion: prompt text already in the model's chat format, with one image placeholder per image. */
export interface CompletionRequest extends GenerateOptions {
  prompt: string;
  /** Images and videos in the order of the prompt's placeholders (a video takes one placeholder). */
  images?: MediaInput[];
  /** Token ids that end generation (default: generation_config.json's eos_token_id). */
  eosTokenIds?: number[];
  /** false recomputes the whole sequence each step instead of using the KV cache (for checking; slow). */
  useCache?: boolean;
}

/** A raw completion's result, with the prompt length and each image's preprocessing plan. */
export interface CompletionResult extends GenerateResult {
  /** Tokens in the prompt after image expansion. */
  promptTokens: number;
  /** How each image was padded, resized and cropped (to map locations back to original pixels). */
  imagePlans: PreprocessPlan[];
}

/** What was loaded: the family, each graph's file and dtype, where the chat format comes from. */
export interface ModelDescription {
  /** config.json's model_type, e.g. 'llava'. */
  family: string;
  /** text_config.model_type, e.g. 'llama' or 'qwen2'. */
  textModel?: string;
  /** Which engine runs it: 'locvlm' is this package's own decode loop on onnxruntime-node. */
  engine: 'locvlm';
  /** The file, dtype and external data of each component. */
  components: Record<
    string,
    {
      dtype: Dtype;
      dtypeSource: 'option' | 'config.json' | 'default';
      file: string;
      externalData: string[];
      bytes: number;
    }
  >;
  executionProvider: ExecutionProviderChoice;
  /** The thread the sessions run on: the caller's ('main') or a worker of their own (`thread: 'worker'`). */
  thread: 'main' | 'worker';
  /** How `generate` turns messages into a prompt. */
  chatFormat:
    | { kind: 'jinja'; source: ChatTemplateSource; path: string }
    | { kind: 'conversation-template'; name: string; source: 'option' | 'config.json' | 'default' }
    | { kind: 'custom' };
  imageAspectRatio: 'pad' | 'square' | 'none';
}

/**
 * Model families this engine runs, by config.json model_type: LLaVA with any decoder exported in the merged-decoder
 * layout (LLaMA, Qwen2, ...), FastVLM (`llava_qwen2`) and LLaVA-OneVision (`llava_onevision`, one 2-D crop per
 * image, as transformers.js runs it: no any-resolution grid).
 */
export const LOCAL_FAMILIES = ['llava', 'llava_qwen2', 'llava_onevision'] as const;

interface PreparedRequest {
  seq: PreparedSequence;
  plans: PreprocessPlan[];
  maxNewTokens: number;
}

function checkOptions(o: GenerateOptions): void {
  const bad = (message: string) => {
    throw new RuntimeError('BAD_INPUT', message);
  };
  if (o.maxNewTokens !== undefined && (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1))
    bad(`maxNewTokens must be a positive integer, got ${o.maxNewTokens}`);
  if (o.temperature !== undefined && !(o.temperature >= 0)) bad(`temperature must be >= 0, got ${o.temperature}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad(`topP must be in (0, 1], got ${o.topP}`);
  if (o.stop !== undefined && (!Array.isArray(o.stop) || o.stop.some((s) => typeof s !== 'string' || s === '')))
    bad('stop must be an array of non-empty strings');
}

/**
 * A LLaVA-family model on this package's own engine (onnxruntime-node): `generate`/`stream` on chat messages,
 * raw `complete` on prompt text, batched runs, and its preprocessing as a frame transform for locations.
 */
export class OnnxVisionLanguageModel implements VisionLanguageModel {
  readonly id: string;
  private frame: FrameTransform | undefined;

  constructor(
    readonly config: ModelConfig,
    readonly tokenizer: TextTokenizer,
    private readonly runner: LlavaRunner,
    private readonly options: OnnxModelOptions,
    /** The model's own Jinja chat template, when it ships one. */
    readonly chatTemplate?: ChatTemplate,
  ) {
    this.id = modelIdFor(
      config.dir,
      runner.files.map((f) => [f.component, f.dtype] as const),
    );
  }

  /** Which engine runs the model: this package's own decode loop ('transformers.js' for other families). */
  readonly engine = 'locvlm' as const;

  /** Family, dtype and file per component, execution provider, and where the chat format comes from. */
  describe(): ModelDescription {
    const components: ModelDescription['components'] = {};
    for (const f of this.runner.files)
      components[f.component] = {
        dtype: f.dtype,
        dtypeSource: f.dtypeSource,
        file: f.path,
        externalData: f.externalData,
        bytes: f.bytes,
      };
    return {
      family: this.config.modelType,
      ...(this.config.textModelType !== undefined ? { textModel: this.config.textModelType } : {}),
      engine: 'locvlm',
      components,
      executionProvider: this.runner.provider,
      thread: this.runner.thread,
      chatFormat: this.chatFormat(),
      imageAspectRatio: this.options.imageAspectRatio ?? this.config.imageAspectRatio,
    };
  }

  private chatFormat(): ModelDescription['chatFormat'] {
    if (this.options.renderPrompt) return { kind: 'custom' };
    if (this.options.conversationTemplate !== undefined)
      return { kind: 'conversation-template', name: this.options.conversationTemplate, source: 'option' };
    if (this.chatTemplate) return { kind: 'jinja', source: this.chatTemplate.source, path: this.chatTemplate.path };
    if (this.config.conversationTemplate !== undefined)
      return { kind: 'conversation-template', name: this.config.conversationTemplate, source: 'config.json' };
    return { kind: 'conversation-template', name: DEFAULT_CONVERSATION_TEMPLATE, source: 'default' };
  }

  /** Which execution provider runs the model, and why. */
  get executionProvider(): ExecutionProviderChoice {
    return this.runner.provider;
  }

  /** The intra-op thread count the sessions use (undefined: onnxruntime's default, all cores). */
  get intraOpThreads(): number | undefined {
    return this.runner.intraOpThreads;
  }

  /** Decode and preprocess one image exactly as the model sees it (CHW float32 plus the pad/resize/crop plan). */
  async preprocessImage(source: ImageSource | RgbImage): Promise<PreprocessedImage> {
    const limits = this.options.imageLimits ?? {};
    let rgb: RgbImage;
    const maxPixels = limits.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
    const where = 'data' in source ? 'a decoded frame' : describeSource(source);
    if ('data' in source) {
      const { width, height, data } = source;
      if (
        !(data instanceof Uint8Array) ||
        !Number.isInteger(width) ||
        !Number.isInteger(height) ||
        width < 1 ||
        height < 1
      )
        throw new RuntimeError('IMAGE', 'a decoded frame needs integer width, height and Uint8Array data');
      if (data.length !== width * height * 3)
        throw new RuntimeError(
          'IMAGE',
          `a ${width}x${height} RGB frame needs ${width * height * 3} bytes, got ${data.length}`,
        );
      rgb = { width, height, data };
    } else {
      const bytes = await readImageSource(source, limits);
      rgb = await decodeImage(bytes, { maxPixels, where });
    }
    const plan = this.frameTransform().plan({ width: rgb.width, height: rgb.height });
    return preprocessRgb(rgb, this.config.image, { pad: this.pads, plan, maxPixels, where });
  }

  private get pads(): boolean {
    return (this.options.imageAspectRatio ?? this.config.imageAspectRatio) === 'pad';
  }

  /**
   * The model's preprocessing as a coord-codec frame transform (pad-to-square when the model pads, resize, centre
   * crop): `plan(size)` gives the pixel operations run on images, `inverse` maps locations in the model's input
   * image back to the original.
   */
  frameTransform(): FrameTransform {
    this.frame ??= modelFrameTransform(this.config.image, this.pads);
    return this.frame;
  }

  /**
   * Tokenise a prompt, expanding its i-th image placeholder into `rowsPerPlaceholder[i]` image tokens (one per
   * feature row; a plain image has `config.imageTokensPerImage`).
   */
  tokenizePrompt(prompt: string, rowsPerPlaceholder: number | number[]): number[] {
    const { expanded, expected, placeholders } = this.expandPlaceholders(prompt, rowsPerPlaceholder);
    return this.checkImageTokens(this.tokenizer.encode(expanded), expected, placeholders);
  }

  /** `tokenizePrompt` off the event loop for long prompts (a worker thread tokenizes them). */
  async tokenizePromptAsync(prompt: string, rowsPerPlaceholder: number | number[]): Promise<number[]> {
    const { expanded, expected, placeholders } = this.expandPlaceholders(prompt, rowsPerPlaceholder);
    return this.checkImageTokens(await this.tokenizer.encodeAsync(expanded), expected, placeholders);
  }

  /**
   * Refuse, before any tokenizing or image work, a prompt whose text alone cannot fit the context: no token stands
   * for more characters than the longest token text in tokenizer.json, so the text is at least chars / that many
   * tokens.
   */
  checkPromptLength(prompt: string): void {
    if (typeof prompt !== 'string') return;
    const textChars = prompt.split(this.config.imageToken).reduce((sum, piece) => sum + piece.length, 0);
    const atLeast = Math.ceil(textChars / this.tokenizer.maxTokenChars);
    if (atLeast > this.config.maxPositions)
      throw new RuntimeError(
        'CONTEXT_LENGTH',
        `the prompt is ${textChars} characters, at least ${atLeast} tokens (no token of tokenizer.json is longer than ${this.tokenizer.maxTokenChars} characters), but the model's context is ${this.config.maxPositions} (text_config.max_position_embeddings)`,
      );
  }

  private expandPlaceholders(prompt: string, rowsPerPlaceholder: number | number[]) {
    if (typeof prompt !== 'string' || prompt.trim() === '') throw new RuntimeError('BAD_INPUT', 'the prompt is empty');
    const rows =
      typeof rowsPerPlaceholder === 'number'
        ? new Array<number>(rowsPerPlaceholder).fill(this.config.imageTokensPerImage)
        : rowsPerPlaceholder;
    const marker = this.config.imageToken;
    const pieces = prompt.split(marker);
    if (pieces.length - 1 !== rows.length) {
      throw new RuntimeError(
        'BAD_INPUT',
        `the prompt has ${pieces.length - 1} image placeholder(s) ${marker} but ${rows.length} image(s) or video(s) were given`,
      );
    }
    const expanded = pieces.map((piece, i) => (i === 0 ? piece : marker.repeat(rows[i - 1]!) + piece)).join('');
    return { expanded, expected: rows.reduce((a, b) => a + b, 0), placeholders: rows.length };
  }

  private checkImageTokens(ids: number[], expected: number, placeholders: number): number[] {
    const imageRows = ids.filter((id) => id === this.config.imageTokenId).length;
    if (imageRows !== expected) {
      throw new RuntimeError(
        'MODEL_CONFIG',
        `tokenizer.json turns ${placeholders} ${this.config.imageToken} placeholder(s) into ${imageRows} image tokens (id ${this.config.imageTokenId}), expected ${expected}`,
      );
    }
    return ids;
  }

  /** Vision features of each media item: an image's rows, or a video's pooled rows. */
  private async encodeMedia(
    items: MediaInput[],
  ): Promise<Array<{ features: Float32Array; rows: number; plan: PreprocessPlan }>> {
    // One image at a time: only one decoded image is held at once, whatever the request carries.
    const frames: PreprocessedImage[][] = [];
    for (const item of items) {
      if (item && typeof item === 'object' && 'frames' in item) {
        if (!Array.isArray(item.frames) || item.frames.length === 0)
          throw new RuntimeError('BAD_INPUT', 'a video needs at least one frame');
        const own: PreprocessedImage[] = [];
        for (const frame of item.frames) own.push(await this.preprocessImage(frame));
        frames.push(own);
      } else frames.push([await this.preprocessImage(item as ImageSource)]);
    }
    const all = frames.flat();
    const { cropHeight: ch, cropWidth: cw } = this.config.image;
    const h = this.config.hiddenSize;
    const n = this.config.imageTokensPerImage;
    const per = n * h;
    const features = new Float32Array(all.length * per);
    const chunk = this.options.visionBatchSize ?? 16;
    for (let i = 0; i < all.length; i += chunk) {
      const part = all.slice(i, i + chunk).map((p) => p.pixelValues);
      features.set(await this.runner.encodeImages(part, ch, cw), i * per);
    }
    const pool = items.some((item) => 'frames' in item) ? await this.videoPooling() : undefined;
    let next = 0;
    return items.map((item, k) => {
      const count = frames[k]!.length;
      const own = features.subarray(next * per, (next + count) * per);
      next += count;
      const plan = frames[k]![0]!.plan;
      if (!('frames' in item)) return { features: own, rows: n, plan };
      const pooled = pool!(own, count, n, h);
      if (!(pooled instanceof Float32Array) || pooled.length === 0 || pooled.length % h !== 0)
        throw new RuntimeError('BAD_INPUT', `poolVideo returned ${pooled?.length} values, not a multiple of ${h}`);
      return { features: pooled, rows: pooled.length / h, plan };
    });
  }

  /** The pooling function for videos; @locvlm/video-pool is loaded on the first video only. */
  private async videoPooling(): Promise<VideoPooling> {
    const option = this.options.poolVideo;
    if (typeof option === 'function') return option;
    const { poolSpatioTemporal, LOCVLM_VID_POOLING } = await import('@locvlm/video-pool');
    const settings = option ?? LOCVLM_VID_POOLING;
    return (features, frames, tokens, hidden) => {
      try {
        return poolSpatioTemporal({ data: features, dims: [frames, tokens, hidden] }, settings).data;
      } catch (cause) {
        throw new RuntimeError('BAD_INPUT', `video pooling failed: ${(cause as Error).message}`, { cause });
      }
    };
  }

  private async prepare(requests: CompletionRequest[]): Promise<PreparedRequest[]> {
    for (const r of requests) {
      checkOptions(r);
      this.checkPromptLength(r.prompt);
    }
    const media: Array<Awaited<ReturnType<typeof this.encodeMedia>>> = [];
    const promptIds: number[][] = [];
    for (const r of requests) {
      const items = await this.encodeMedia(r.images ?? []);
      media.push(items);
      promptIds.push(
        await this.tokenizePromptAsync(
          r.prompt,
          items.map((m) => m.rows),
        ),
      );
    }
    const h = this.config.hiddenSize;
    return requests.map((r, k) => {
      const items = media[k]!;
      const ids = promptIds[k]!;
      const room = this.config.maxPositions - ids.length;
      if (room < 1) {
        throw new RuntimeError(
          'CONTEXT_LENGTH',
          `the prompt is ${ids.length} tokens (images expanded) but the model's context is ${this.config.maxPositions} (text_config.max_position_embeddings)`,
        );
      }
      let imageFeatures: Float32Array | null = null;
      if (items.length === 1) imageFeatures = items[0]!.features;
      else if (items.length > 1) {
        imageFeatures = new Float32Array(items.reduce((a, m) => a + m.rows, 0) * h);
        let offset = 0;
        for (const m of items) {
          imageFeatures.set(m.features, offset);
          offset += m.features.length;
        }
      }
      return {
        seq: { ids, imageFeatures },
        plans: items.map((m) => m.plan),
        maxNewTokens: Math.min(r.maxNewTokens ?? 128, room),
      };
    });
  }

  /** One decoding run over several requests at once (left-padded batch); the sampling options of the first apply. */
  private async run(
    requests: CompletionRequest[],
    onDelta?: (row: number, delta: string) => void,
  ): Promise<CompletionResult[]> {
    const t0 = performance.now();
    const prepared = await this.prepare(requests);
    const first = requests[0]!;
    const trackers = requests.map((r) =>
      onDelta || (r.stop && r.stop.length > 0) ? new TextTracker(this.tokenizer, r.stop ?? []) : null,
    );
    const limits = prepared.map((p) => p.maxNewTokens);
    const preparedMs = performance.now() - t0;
    const maxNewTokens = Math.max(...limits);
    const output: DecodeOutput = await this.runner.decode(
      prepared.map((p) => p.seq),
      {
        maxNewTokens,
        temperature: first.temperature ?? 0,
        topP: first.topP ?? 1,
        seed: first.seed ?? 0,
        eosTokenIds: first.eosTokenIds ?? this.config.eosTokenIds,
        useCache: first.useCache ?? true,
        maxNewTokensPerRow: limits,
        ...(first.signal ? { signal: first.signal } : {}),
        // Only rows with text to stream or stop strings to watch need each step (on a worker engine, each call is a
        // message round trip).
        ...(trackers.some((t) => t !== null)
          ? {
              stepsMayStop: requests.some((r) => r.stop !== undefined && r.stop.length > 0),
              onStep: (_step: number, tokens: Array<number | null>) => {
                const stop: number[] = [];
                tokens.forEach((t, b) => {
                  const tracker = trackers[b];
                  if (t === null || !tracker) return;
                  const delta = tracker.push(t);
                  if (delta && onDelta) onDelta(b, delta);
                  if (tracker.stopped) stop.push(b);
                });
                return stop;
              },
            }
          : {}),
      },
    );
    const totalMs = performance.now() - t0;
    return requests.map((r, b) => {
      const tracker = trackers[b];
      const ids = output.tokens[b]!;
      let text: string;
      let finishReason = output.finishReasons[b]!;
      if (tracker) {
        const rest = tracker.flush();
        if (rest && onDelta) onDelta(b, rest);
        text = tracker.fullText;
        if (!tracker.stopped && ids.length >= prepared[b]!.maxNewTokens) finishReason = 'length';
      } else {
        text = this.tokenizer.decode(ids);
        if (ids.length >= prepared[b]!.maxNewTokens) finishReason = 'length';
      }
      const result: CompletionResult = {
        text,
        finishReason,
        promptTokens: prepared[b]!.seq.ids.length,
        imagePlans: prepared[b]!.plans,
      };
      if (r.details) {
        result.tokenIds = [...ids];
        result.timing = {
          promptMs: preparedMs + output.promptMs,
          firstTokenMs: preparedMs + output.firstTokenMs,
          totalMs,
          newTokens: ids.length,
        };
      }
      return result;
    });
  }

  /** Generate from a prompt already in the model's chat format (images as placeholders, in order). */
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const [result] = await this.run([request]);
    return result!;
  }

  /**
   * Several prompts in one batched decoding run (left-padded; each row stops at its own EOS, stop string or
   * maxNewTokens). Sampling settings (temperature, topP, seed, signal, useCache) are taken from the first request.
   */
  completeBatch(requests: CompletionRequest[]): Promise<CompletionResult[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.run(requests);
  }

  /** Text deltas of a raw completion as they are generated. */
  streamCompletion(request: CompletionRequest): AsyncIterable<string, CompletionResult | undefined> {
    return streamFrom(async (push, signal) => {
      const [result] = await this.run([{ ...request, signal: anySignal(request.signal, signal) }], (_row, delta) =>
        push(delta),
      );
      return result;
    });
  }

  /** The prompt text and media `generate` would run for these messages, in the model's chat format. */
  renderPrompt(request: GenerateRequest): { prompt: string; images: MediaInput[] } {
    if (!Array.isArray(request.messages) || request.messages.length === 0)
      throw new RuntimeError('BAD_INPUT', 'messages must be a non-empty array');
    if (this.options.renderPrompt) return this.options.renderPrompt(request, this.config);
    if (this.chatTemplate && this.options.conversationTemplate === undefined)
      return renderChatTemplate(this.chatTemplate, request, this.config.imageToken);
    return conversationRenderer(this.options.conversationTemplate)(request, this.config);
  }

  private render(request: GenerateRequest): CompletionRequest {
    const { prompt, images } = this.renderPrompt(request);
    const { messages: _messages, ...options } = request;
    return { ...options, prompt, images };
  }

  /** Render the messages in the model's chat format and generate the answer. */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { promptTokens: _p, imagePlans: _i, ...result } = await this.complete(this.render(request));
    return result;
  }

  stream(request: GenerateRequest): AsyncIterable<string, GenerateResult | undefined> {
    return this.streamCompletion(this.render(request));
  }

  /** Several chat requests in one batched run (see completeBatch). */
  async generateBatch(requests: GenerateRequest[]): Promise<GenerateResult[]> {
    const results = await this.completeBatch(requests.map((r) => this.render(r)));
    return results.map(({ promptTokens: _p, imagePlans: _i, ...r }) => r);
  }

  async close(): Promise<void> {
    await this.tokenizer.dispose();
    await this.runner.close();
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}

/** Bridge a producer that pushes strings into an async iterator; breaking out of the loop aborts the producer. */
function streamFrom<R>(
  produce: (push: (value: string) => void, signal: AbortSignal) => Promise<R>,
): AsyncIterable<string, R | undefined> {
  return {
    [Symbol.asyncIterator]() {
      const controller = new AbortController();
      const queue: string[] = [];
      let done = false;
      let error: unknown;
      let result: R | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      produce((v) => {
        queue.push(v);
        notify();
      }, controller.signal).then(
        (value) => {
          result = value;
          done = true;
          notify();
        },
        (e: unknown) => {
          error = e;
          done = true;
          notify();
        },
      );
      return {
        async next(): Promise<IteratorResult<string, R | undefined>> {
          while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
          if (queue.length > 0) return { value: queue.shift()!, done: false };
          if (error !== undefined) {
            const e = error;
            error = undefined;
            throw e;
          }
          return { value: result, done: true };
        },
        async return(): Promise<IteratorResult<string, R | undefined>> {
          controller.abort();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/** Load a transformers.js-layout LLaVA model directory (see README, "Model layout"). */
export async function loadOnnxModel(dir: string, options: OnnxModelOptions = {}): Promise<OnnxVisionLanguageModel> {
  const abs = resolve(dir);
  const config = await loadModelConfig(abs);
  if (!(LOCAL_FAMILIES as readonly string[]).includes(config.modelType))
    throw new RuntimeError(
      'MODEL_CONFIG',
      `${resolve(abs, 'config.json')}: model_type ${JSON.stringify(config.modelType)} is not a family this engine runs (supported: ${LOCAL_FAMILIES.join(', ')}); loadModel() also runs the families transformers.js runs`,
    );
  const tokenizer = await loadTokenizer(abs);
  const chatTemplate = await loadChatTemplate(abs);
  const engine = await loadLlavaRunner(config, options);
  return new OnnxVisionLanguageModel(config, tokenizer, engine, options, chatTemplate);
}
