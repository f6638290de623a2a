// The three ONNX sessions of a LLaVA-family model and the decoding loop over them.
//
// KV cache: the merged decoder graph itself concatenates past + new keys into `present` (that Concat is inside the
// graph and cannot be avoided from outside). What this loop avoids is everything around it: `present` tensors are fed
// back as the next `past` without any copy (onnxruntime-node wraps the JS buffer), the embeddings of generated tokens
// come from a table read once at load instead of a session call per step, and only the last row of logits is read.
// onnxruntime-node 1.30 has no IO binding, and its preallocated outputs (run(feeds, fetches)) still copy each output
// into a new JS buffer, which measured slower here, so they are not used (see README, "KV cache").
// Half floats as onnxruntime-node passes them (Uint16Array bits): video-pool's helpers, which its pooling graph uses too.

import { fromFloat16Bits as float16ToFloat32, toFloat16Bits as float32ToFloat16 } from '@locvlm/video-pool';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';
import type { ModelConfig } from './config.js';
import { type ComponentFile, type DtypeOption, resolveModelFiles } from './model-files.js';
import { chooseExecutionProvider, type DeviceChoice, type ExecutionProviderChoice, loadOrt, type Ort } from './ort.js';
import { argmax, SeededRandom, sampleToken } from './sampling.js';

/** onnxruntime session settings of the LLaVA engine: device, dtype, threads, optimisation level. */
export interface SessionOptions {
  /** 'auto' (default): CUDA when installed and a GPU is present, else CPU. */
  device?: DeviceChoice;
  /**
   * Which weight files to load, with transformers.js's names: one dtype for every graph (`'q4'`), or one per
   * component (`{ vision_encoder: 'fp16', embed_tokens: 'q8', decoder_model_merged: 'q4' }`). Default: config.json's
   * `transformers.js_config.dtype`, else fp32. `onnx/decoder_model_merged_q4.onnx` is the q4 decoder, and so on.
   */
  dtype?: DtypeOption;
  /**
   * Threads inside one operator (onnxruntime's intraOpNumThreads). Default (`defaultIntraOpThreads`): one thread for
   * decoders under `SMALL_DECODER_BYTES` (32 MiB), whose operators are too small to split (on 2 cores the tiny fixture
   * decoded 3,120 tokens/s on one thread against 2,740 on two), else onnxruntime's own choice (all physical cores):
   * a prompt with an image is hundreds of tokens of prefill, which is compute-bound and scales with cores, and decode
   * is no slower (`npm run bench -w @locvlm/runtime` tracks both for the 100M model's q8 decoder).
   */
  intraOpThreads?: number;
  /** Threads across operators (interOpNumThreads); only used with parallel execution. */
  interOpThreads?: number;
  /**
   * onnxruntime's graph optimisation level. Default 'all': on the 113M bench model it decoded about 10% faster than
   * onnxruntime-node's own default (which transformers.js uses) and cost about 28% more RSS; pick 'extended' to
   * save the memory.
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads busy-wait for the next operator (onnxruntime's session.intra_op.allow_spinning).
   * Default false: on a machine whose cores are shared (other processes, or several sessions in one process), the
   * spinning threads take the time slices the working threads need; on the 2-core bench machine under load, turning
   * it off doubled decode tokens/s of the 113M model. On an idle machine with cores to spare, true can shave a little
   * latency per operator at the cost of burning CPU while idle.
   */
  spinWait?: boolean;
  /** Read the embedding table once at load when it is at most this many bytes (default 128 MiB); 0 turns it off. */
  embeddingTableMaxBytes?: number;
  /**
   * Where the sessions run. 'main' (default): on the calling thread. 'worker': on a worker thread of their own, so
   * the calling thread's event loop stays free during every forward pass (onnxruntime-node's `run` blocks the thread
   * that calls it: a 7B prefill holds it for seconds). What a server wants; results are identical.
   */
  thread?: 'main' | 'worker';
}

/** Decoders smaller than this run on one intra-op thread unless `intraOpThreads` says otherwise. */
export const SMALL_DECODER_BYTES = 32 * 1024 * 1024;

/**
 * The intra-op thread count a decoder of `decoderBytes` gets by default: 1 under SMALL_DECODER_BYTES, else undefined
 * (onnxruntime's choice: all physical cores).
 */
export function defaultIntraOpThreads(decoderBytes: number): number | undefined {
  return decoderBytes < SMALL_DECODER_BYTES ? 1 : undefined;
}

export interface DecodeParams {
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  eosTokenIds: number[];
  /** Each row's own token budget (at most maxNewTokens); a row that reaches it ends with 'length'. */
  maxNewTokensPerRow?: number[];
  /** false recomputes the whole sequence every step (slow; for checking the cache). */
  useCache?: boolean;
  signal?: AbortSignal;
  /**
   * Called after each step with the token chosen for each row still running; returns (or resolves to) the rows that
   * must stop now. A promise is awaited before the next step, so a caller on another thread can answer.
   */
  onStep?: (
    step: number,
    tokens: Array<number | null>,
  ) => Iterable<number> | undefined | Promise<Iterable<number> | undefined>;
  /**
   * false when onStep never stops a row (streaming text without stop strings): an engine on another thread then
   * sends each step's tokens without waiting for the answer. Default true.
   */
  stepsMayStop?: boolean;
}

export interface PreparedSequence {
  /** Token ids with the image token repeated once per image-feature row. */
  ids: number[];
  /** Image features for this sequence's image-token rows, in order ([rows * hidden]). */
  imageFeatures: Float32Array | null;
}

export interface DecodeOutput {
  tokens: number[][];
  finishReasons: Array<'stop' | 'length'>;
  promptMs: number;
  firstTokenMs: number;
}

interface DecoderLayout {
  pastNames: string[];
  presentNames: string[];
  hasPositionIds: boolean;
  hasUseCacheBranch: boolean;
  /** Newer exports can compute logits for the last positions only; this loop reads only the last one. */
  hasNumLogitsToKeep: boolean;
}

/** Element types at the session boundaries: fp16 exports may declare float16 for any of them. */
interface IoTypes {
  pixels: FloatType;
  imageFeatures: FloatType;
  tokenEmbeddings: FloatType;
  inputsEmbeds: FloatType;
  past: FloatType;
  logits: FloatType;
}

type FloatType = 'float32' | 'float16';

/** The graphs of a LLaVA-family model, in the order they are loaded. */
export const LLAVA_COMPONENTS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;

function floatType(meta: InferenceSession.ValueMetadata | undefined, path: string, name: string): FloatType {
  if (!meta?.isTensor || meta.type === 'float32') return 'float32';
  if (meta.type === 'float16') return 'float16';
  throw new RuntimeError('MODEL_CONFIG', `${path}: ${name} is ${meta.type}, expected float32 or float16`);
}

/** A float tensor's values as float32 (float16 outputs converted; float32 ones returned as they are). */
function floatData(tensor: Tensor): Float32Array {
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  return tensor.data as Float32Array;
}

function dimsOf(meta: InferenceSession.ValueMetadata | undefined): ReadonlyArray<number | string> | undefined {
  return meta?.isTensor ? meta.shape : undefined;
}

/** What the model needs of an engine: `LlavaEngine` itself, or the same engine on a worker thread (engine-worker.ts). */
export interface LlavaRunner {
  readonly provider: ExecutionProviderChoice;
  /** The intra-op thread count the sessions were created with; undefined: onnxruntime's default. */
  readonly intraOpThreads: number | undefined;
  /** The file each component was loaded from, with its dtype and external data. */
  readonly files: readonly ComponentFile[];
  /** True when generated tokens are embedded from the table read at load (no session call per step). */
  readonly hasEmbeddingTable: boolean;
  /** The thread the sessions run on. */
  readonly thread: 'main' | 'worker';
  encodeImages(pixels: Float32Array[], height: number, width: number): Promise<Float32Array>;
  decode(seqs: PreparedSequence[], params: DecodeParams): Promise<DecodeOutput>;
  close(): Promise<void>;
}

export class LlavaEngine implements LlavaRunner {
  readonly thread = 'main' as const;
  private embeddingTable: Float32Array | null = null;
  private vocabSize = 0;

  private constructor(
    readonly config: ModelConfig,
    readonly provider: ExecutionProviderChoice,
    /** The intra-op thread count the sessions were created with; undefined: onnxruntime's default. */
    readonly intraOpThreads: number | undefined,
    /** The file each component was loaded from, with its dtype and external data. */
    readonly files: readonly ComponentFile[],
    private readonly io: IoTypes,
    private readonly ort: Ort,
    private readonly vision: InferenceSession,
    private readonly embed: InferenceSession,
    private readonly decoder: InferenceSession,
    private readonly layout: DecoderLayout,
  ) {}

  static async load(config: ModelConfig, options: SessionOptions = {}): Promise<LlavaEngine> {
    const ort = await loadOrt();
    let provider = chooseExecutionProvider(options.device ?? 'auto');
    // Every file is found and checked before any session exists, so a bad directory loads nothing.
    const files = await resolveModelFiles(config.dir, LLAVA_COMPONENTS, {
      ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
      config: config.transformersJs,
      device: provider.provider,
    });
    const paths = files.map((f) => f.path);
    const decoderBytes = files[2]!.bytes;
    const intraOpThreads = options.intraOpThreads ?? defaultIntraOpThreads(decoderBytes);
    const sessionOptions = (p: 'cpu' | 'cuda'): InferenceSession.SessionOptions => ({
      executionProviders: [p],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
      ...(options.interOpThreads !== undefined ? { interOpNumThreads: options.interOpThreads } : {}),
      extra: { session: { intra_op: { allow_spinning: options.spinWait ? '1' : '0' } } },
    });
    // Sessions are created from paths: onnxruntime reads external data straight from disk next to the graph, so the
    // weights never pass through the JS heap.
    const create = async (file: ComponentFile, p: 'cpu' | 'cuda') => {
      try {
        return await ort.InferenceSession.create(file.path, sessionOptions(p));
      } catch (cause) {
        const data = file.externalData.length > 0 ? ` (external data: ${file.externalData.join(', ')})` : '';
        throw new RuntimeError(
          'MODEL_FILES',
          `${file.path}${data} cannot be loaded as an ONNX model: ${(cause as Error).message}`,
          { cause },
        );
      }
    };
    const createAll = async (p: 'cpu' | 'cuda') => {
      const settled = await Promise.allSettled(files.map((f) => create(f, p)));
      const failed = settled.find((r) => r.status === 'rejected');
      if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<InferenceSession>).value);
      await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
      throw failed.reason;
    };
    let sessions: InferenceSession[];
    try {
      sessions = await createAll(provider.provider);
    } catch (cause) {
      if (provider.provider !== 'cuda' || options.device === 'cuda') throw cause;
      provider = { provider: 'cpu', reason: `CPU because the CUDA session failed: ${(cause as Error).message}` };
      sessions = await createAll('cpu');
    }
    const [vision, embed, decoder] = sessions as [InferenceSession, InferenceSession, InferenceSession];
    try {
      const { layout, io } = checkGraphs(config, paths, vision, embed, decoder);
      const engine = new LlavaEngine(config, provider, intraOpThreads, files, io, ort, vision, embed, decoder, layout);
      await engine.readEmbeddingTable(options.embeddingTableMaxBytes ?? 128 * 1024 * 1024);
      return engine;
    } catch (error) {
      await Promise.all(sessions.map((session) => session.release()));
      throw error;
    }
  }

  /** True when generated tokens are embedded from the table read at load (no session call per step). */
  get hasEmbeddingTable(): boolean {
    return this.embeddingTable !== null;
  }

  private async readEmbeddingTable(maxBytes: number): Promise<void> {
    const vocab = this.config.vocabSize;
    if (vocab === undefined || vocab * this.config.hiddenSize * 4 > maxBytes) return;
    const ids = new BigInt64Array(vocab);
    for (let i = 0; i < vocab; i++) ids[i] = BigInt(i);
    try {
      this.embeddingTable = await this.embedIds(ids, 1, vocab);
    } catch (cause) {
      throw new RuntimeError(
        'MODEL_CONFIG',
        `config.json text_config.vocab_size ${vocab} does not fit onnx/embed_tokens.onnx: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.vocabSize = vocab;
  }

  private async run(
    session: InferenceSession,
    feeds: Record<string, Tensor>,
    what: string,
  ): Promise<InferenceSession.OnnxValueMapType> {
    try {
      return await session.run(feeds);
    } catch (cause) {
      throw new RuntimeError('BACKEND', `${what} failed: ${(cause as Error).message}`, { cause });
    }
  }

  /** Image features for a batch of preprocessed images (CHW each): [images * tokensPerImage * hidden]. */
  async encodeImages(pixels: Float32Array[], height: number, width: number): Promise<Float32Array> {
    const n = pixels.length;
    const plane = 3 * height * width;
    const data = new Float32Array(n * plane);
    pixels.forEach((p, i) => {
      data.set(p, i * plane);
    });
    const input =
      this.io.pixels === 'float16'
        ? new this.ort.Tensor('float16', float32ToFloat16(data), [n, 3, height, width])
        : new this.ort.Tensor('float32', data, [n, 3, height, width]);
    const out = await this.run(this.vision, { [this.vision.inputNames[0]!]: input }, 'vision encoder');
    const features = out[this.vision.outputNames[0]!] as Tensor;
    const dims = features.dims;
    const rows = dims.length === 3 ? dims[1]! : dims[0]! / n;
    const hidden = dims[dims.length - 1]!;
    if (hidden !== this.config.hiddenSize) {
      throw new RuntimeError(
        'MODEL_CONFIG',
        `vision encoder gives features of width ${hidden} but config.json text_config.hidden_size is ${this.config.hiddenSize}`,
      );
    }
    if (rows !== this.config.imageTokensPerImage) {
      throw new RuntimeError(
        'MODEL_CONFIG',
        `vision encoder gives ${rows} feature rows per image but the processor config promises ${this.config.imageTokensPerImage} image tokens (patch_size, crop_size, num_additional_image_tokens)`,
      );
    }
    return floatData(features);
  }

  private async embedIds(ids: BigInt64Array, batch: number, length: number): Promise<Float32Array> {
    const input = new this.ort.Tensor('int64', ids, [batch, length]);
    const out = await this.run(this.embed, { [this.embed.inputNames[0]!]: input }, 'embed_tokens');
    return floatData(out[this.embed.outputNames[0]!] as Tensor);
  }

  /** Embeddings of token ids [batch, length] -> [batch * length * hidden]. */
  async embedTokens(ids: ArrayLike<number>, batch: number, length: number): Promise<Float32Array> {
    const h = this.config.hiddenSize;
    const table = this.embeddingTable;
    if (table) {
      const out = new Float32Array(ids.length * h);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id < 0 || id >= this.vocabSize)
          throw new RuntimeError(
            'MODEL_CONFIG',
            `token id ${id} is outside the embedding table of config.json text_config.vocab_size ${this.vocabSize}`,
          );
        out.set(table.subarray(id * h, (id + 1) * h), i * h);
      }
      return out;
    }
    const big = new BigInt64Array(ids.length);
    for (let i = 0; i < ids.length; i++) big[i] = BigInt(ids[i]!);
    return this.embedIds(big, batch, length);
  }

  /** Prompt embeddings of one left-padded batch with image rows replaced by image features. */
  private async promptEmbeddings(seqs: PreparedSequence[], width: number): Promise<Float32Array> {
    const h = this.config.hiddenSize;
    const ids = new Array<number>(seqs.length * width).fill(this.config.padTokenId);
    seqs.forEach((s, b) => {
      for (let i = 0; i < s.ids.length; i++) ids[b * width + (width - s.ids.length) + i] = s.ids[i]!;
    });
    const embeds = await this.embedTokens(ids, seqs.length, width);
    seqs.forEach((s, b) => {
      const rows: number[] = [];
      s.ids.forEach((id, i) => {
        if (id === this.config.imageTokenId) rows.push(b * width + (width - s.ids.length) + i);
      });
      const featureRows = s.imageFeatures ? s.imageFeatures.length / h : 0;
      if (rows.length !== featureRows) {
        throw new RuntimeError(
          'MODEL_CONFIG',
          `sequence ${b} has ${rows.length} image-token rows (id ${this.config.imageTokenId}) but ${featureRows} image feature rows`,
        );
      }
      rows.forEach((row, k) => {
        embeds.set(s.imageFeatures!.subarray(k * h, (k + 1) * h), row * h);
      });
    });
    return embeds;
  }

  private emptyPast(batch: number): Tensor {
    const empty = this.io.past === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    return new this.ort.Tensor(this.io.past, empty, [batch, this.config.numKeyValueHeads, 0, this.config.headDim]);
  }

  /** Generate for a batch of prepared sequences (left-padded together); tokens per row, EOS excluded. */
  async decode(seqs: PreparedSequence[], params: DecodeParams): Promise<DecodeOutput> {
    const t0 = performance.now();
    const ort = this.ort;
    const batch = seqs.length;
    const h = this.config.hiddenSize;
    const width = Math.max(...seqs.map((s) => s.ids.length));
    const useCache = params.useCache ?? true;
    const eos = new Set(params.eosTokenIds);
    const random = new SeededRandom(params.seed);
    const sampling = { temperature: params.temperature, topP: params.topP };

    // Attention mask [batch, total] and positions of the left-padded prompt; pads get position 1 as Hugging Face
    // does. The mask grows by one column of ones per step (one typed-array copy per row, no per-element work).
    let total = width;
    let maskData = new BigInt64Array(batch * width);
    seqs.forEach((s, b) => {
      maskData.fill(1n, b * width + (width - s.ids.length), (b + 1) * width);
    });
    const nextPosition = seqs.map((s) => s.ids.length);
    let inputs = await this.promptEmbeddings(seqs, width);
    let inputLength = width;
    const positionsOf = (mask: BigInt64Array, columns: number): BigInt64Array => {
      const pos = new BigInt64Array(mask.length);
      for (let b = 0; b < batch; b++) {
        let c = -1n;
        for (let j = 0; j < columns; j++) pos[b * columns + j] = mask[b * columns + j] ? ++c : 1n;
      }
      return pos;
    };
    let positions = positionsOf(maskData, width);
    let allEmbeds = useCache ? null : inputs;

    let past: Tensor[] = this.layout.pastNames.map(() => this.emptyPast(batch));
    const tokens: number[][] = seqs.map(() => []);
    const finished: Array<'stop' | 'length' | null> = seqs.map(() => null);
    let promptMs = 0;
    let firstTokenMs = 0;

    for (let step = 0; step < params.maxNewTokens; step++) {
      if (params.signal?.aborted) throw new RuntimeError('ABORTED', 'generation was aborted');
      const feeds: Record<string, Tensor> = {
        inputs_embeds:
          this.io.inputsEmbeds === 'float16'
            ? new ort.Tensor('float16', float32ToFloat16(inputs), [batch, inputLength, h])
            : new ort.Tensor('float32', inputs, [batch, inputLength, h]),
        attention_mask: new ort.Tensor('int64', maskData, [batch, total]),
      };
      if (this.layout.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', positions, [batch, inputLength]);
      if (this.layout.hasUseCacheBranch) {
        feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([past[0]!.dims[2]! > 0 ? 1 : 0]), [1]);
      }
      if (this.layout.hasNumLogitsToKeep)
        feeds.num_logits_to_keep = new ort.Tensor('int64', new BigInt64Array([1n]), []);
      this.layout.pastNames.forEach((name, i) => {
        feeds[name] = past[i]!;
      });
      const out = await this.run(this.decoder, feeds, 'decoder step');
      const logits = out.logits as Tensor;
      const vocab = logits.dims[2]!;
      const rows = logits.dims[1]!; // inputLength, or 1 with num_logits_to_keep
      if (this.config.vocabSize !== undefined && vocab !== this.config.vocabSize) {
        throw new RuntimeError(
          'MODEL_CONFIG',
          `the decoder gives ${vocab} logits per token but config.json text_config.vocab_size is ${this.config.vocabSize}`,
        );
      }
      // Only each row's last position is read; float16 logits are converted for those rows alone.
      const lastRows = this.io.logits === 'float16' ? lastLogitRows(logits, batch, rows, vocab) : null;
      const logitsData = lastRows ?? (logits.data as Float32Array);
      if (useCache) past = this.layout.presentNames.map((n) => out[n] as Tensor);

      const chosen: Array<number | null> = [];
      for (let b = 0; b < batch; b++) {
        if (finished[b]) {
          chosen.push(null);
          continue;
        }
        const offset = lastRows ? b * vocab : (b * rows + rows - 1) * vocab;
        const token =
          sampling.temperature > 0
            ? sampleToken(logitsData, offset, vocab, sampling, random)
            : argmax(logitsData, offset, vocab);
        if (eos.has(token)) {
          finished[b] = 'stop';
          chosen.push(null);
        } else {
          tokens[b]!.push(token);
          chosen.push(token);
        }
      }
      if (step === 0) {
        promptMs = performance.now() - t0;
        firstTokenMs = promptMs;
      }
      const stopRows = params.onStep ? await params.onStep(step, chosen) : undefined;
      if (stopRows) for (const b of stopRows) finished[b] ??= 'stop';
      params.maxNewTokensPerRow?.forEach((limit, b) => {
        if (step + 1 >= limit) finished[b] ??= 'length';
      });
      if (finished.every((f) => f !== null)) break;

      // Next input: the chosen token of each row (finished rows repeat a pad token; their output is ignored).
      const nextIds = chosen.map((t) => t ?? this.config.padTokenId);
      const next = await this.embedTokens(nextIds, batch, 1);
      const grownMask = new BigInt64Array(batch * (total + 1));
      for (let b = 0; b < batch; b++) {
        grownMask.set(maskData.subarray(b * total, (b + 1) * total), b * (total + 1));
        grownMask[b * (total + 1) + total] = 1n;
      }
      maskData = grownMask;
      total += 1;
      if (useCache) {
        inputs = next;
        inputLength = 1;
        positions = BigInt64Array.from(nextPosition, (p) => BigInt(p));
      } else {
        // Without cache: the whole sequence again, with zero-length past.
        const grown = new Float32Array(allEmbeds!.length + batch * h);
        for (let b = 0; b < batch; b++) {
          grown.set(allEmbeds!.subarray(b * inputLength * h, (b + 1) * inputLength * h), b * (inputLength + 1) * h);
          grown.set(next.subarray(b * h, (b + 1) * h), (b * (inputLength + 1) + inputLength) * h);
        }
        allEmbeds = grown;
        inputs = grown;
        inputLength += 1;
        positions = positionsOf(maskData, total);
      }
      for (let b = 0; b < batch; b++) nextPosition[b]! += 1;
    }
    return {
      tokens,
      finishReasons: finished.map((f) => f ?? 'length'),
      promptMs,
      firstTokenMs,
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.release(), this.embed.release(), this.decoder.release()]);
  }
}

/** Check that the three graphs have the inputs and outputs this loop feeds, and agree with config.json. */
function checkGraphs(
  config: ModelConfig,
  paths: string[],
  vision: InferenceSession,
  embed: InferenceSession,
  decoder: InferenceSession,
): { layout: DecoderLayout; io: IoTypes } {
  const [visionPath, embedPath, decoderPath] = paths as [string, string, string];
  const fail = (path: string, message: string) => {
    throw new RuntimeError('MODEL_CONFIG', `${path}: ${message}`);
  };
  if (vision.inputNames.length < 1 || vision.outputNames.length < 1)
    fail(visionPath, 'expects pixel_values -> image_features');
  const pixelDims = dimsOf(vision.inputMetadata[0]);
  if (pixelDims && pixelDims.length === 4) {
    const [, c, ph, pw] = pixelDims;
    if (typeof c === 'number' && c !== 3) fail(visionPath, `takes ${c} colour channels, not 3`);
    if (typeof ph === 'number' && ph !== config.image.cropHeight)
      fail(visionPath, `takes images of height ${ph} but preprocessor_config.json crops to ${config.image.cropHeight}`);
    if (typeof pw === 'number' && pw !== config.image.cropWidth)
      fail(visionPath, `takes images of width ${pw} but preprocessor_config.json crops to ${config.image.cropWidth}`);
  }
  if (embed.inputNames.length !== 1)
    fail(embedPath, `expects one input (input_ids), has ${embed.inputNames.join(', ')}`);
  const embedDims = dimsOf(embed.outputMetadata[0]);
  const embedWidth = embedDims?.[embedDims.length - 1];
  if (typeof embedWidth === 'number' && embedWidth !== config.hiddenSize)
    fail(embedPath, `gives embeddings of width ${embedWidth} but text_config.hidden_size is ${config.hiddenSize}`);

  const inputs = new Set(decoder.inputNames);
  for (const name of ['inputs_embeds', 'attention_mask']) {
    if (!inputs.has(name)) fail(decoderPath, `has no input ${name} (inputs: ${decoder.inputNames.join(', ')})`);
  }
  if (!decoder.outputNames.includes('logits')) fail(decoderPath, 'has no output logits');
  const pastNames: string[] = [];
  const presentNames: string[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      const past = `past_key_values.${i}.${kind}`;
      const present = `present.${i}.${kind}`;
      if (!inputs.has(past))
        fail(decoderPath, `has no input ${past}, but config.json text_config.num_hidden_layers is ${config.numLayers}`);
      if (!decoder.outputNames.includes(present)) fail(decoderPath, `has no output ${present}`);
      pastNames.push(past);
      presentNames.push(present);
      const meta = decoder.inputMetadata[decoder.inputNames.indexOf(past)];
      const dims = dimsOf(meta);
      if (dims && dims.length === 4) {
        const [, heads, , headDim] = dims;
        if (typeof heads === 'number' && heads !== config.numKeyValueHeads)
          fail(
            decoderPath,
            `${past} has ${heads} heads but config.json says num_key_value_heads ${config.numKeyValueHeads}`,
          );
        if (typeof headDim === 'number' && headDim !== config.headDim)
          fail(decoderPath, `${past} has head size ${headDim} but config.json gives head_dim ${config.headDim}`);
      }
    }
  }
  const extraPast = decoder.inputNames.filter((n) => n.startsWith('past_key_values.') && !pastNames.includes(n));
  if (extraPast.length > 0)
    fail(
      decoderPath,
      `has ${pastNames.length + extraPast.length} past inputs but config.json text_config.num_hidden_layers is ${config.numLayers}`,
    );
  const decoderInput = (name: string) => decoder.inputMetadata[decoder.inputNames.indexOf(name)];
  const io: IoTypes = {
    pixels: floatType(vision.inputMetadata[0], visionPath, vision.inputNames[0]!),
    imageFeatures: floatType(vision.outputMetadata[0], visionPath, vision.outputNames[0]!),
    tokenEmbeddings: floatType(embed.outputMetadata[0], embedPath, embed.outputNames[0]!),
    inputsEmbeds: floatType(decoderInput('inputs_embeds'), decoderPath, 'inputs_embeds'),
    past: pastNames.length > 0 ? floatType(decoderInput(pastNames[0]!), decoderPath, pastNames[0]!) : 'float32',
    logits: floatType(decoder.outputMetadata[decoder.outputNames.indexOf('logits')], decoderPath, 'logits'),
  };
  return {
    layout: {
      pastNames,
      presentNames,
      hasPositionIds: inputs.has('position_ids'),
      hasUseCacheBranch: inputs.has('use_cache_branch'),
      hasNumLogitsToKeep: inputs.has('num_logits_to_keep'),
    },
    io,
  };
}

/** The last position's logits of each row, as float32 ([batch * vocab]), from float16 logits [batch, length, vocab]. */
function lastLogitRows(logits: Tensor, batch: number, length: number, vocab: number): Float32Array {
  const halves = logits.data as Uint16Array;
  const out = new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++) {
    const start = (b * length + length - 1) * vocab;
    out.set(float16ToFloat32(halves.subarray(start, start + vocab)), b * vocab);
  }
  return out;
}
