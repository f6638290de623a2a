import { VideoPoolError } from './errors.js';
import { halfToFloatTable, isFloat16Array } from './float16.js';
import { VIDEO_CHATGPT_FRAMES } from './sampling.js';
import { POOL_WASM_BASE64 } from './wasm/pool-wasm.generated.js';

/**
 * Feature values. `Float32Array` is the fast path. `Uint16Array` holds IEEE half-float bit patterns (how
 * onnxruntime-node hands out 'float16' tensors in Node 20, which has no Float16Array); a real `Float16Array`
 * (newer runtimes) and `Float64Array` are read as numbers.
 */
export type FeatureArray = Float32Array | Float64Array | Uint16Array;

/**
 * A [T, S, D] view (frames, patches per frame, feature size) over a flat array. `strides` and `offset` are in
 * elements and default to a dense row-major layout at offset 0, so a slice of a larger buffer (for example the
 * vision encoder's output without its CLS row: offset D, strides [(S+1)*D, D, 1]) is read in place, never copied.
 */
export interface FeatureTensor {
  data: FeatureArray;
  dims: readonly [frames: number, patches: number, dim: number];
  strides?: readonly [number, number, number];
  offset?: number;
}

/** One frame's features as an [S, D] view; strides and offset in elements, dense by default. */
export interface FrameFeatures {
  data: FeatureArray;
  dims: readonly [patches: number, dim: number];
  strides?: readonly [number, number];
  offset?: number;
}

/**
 * Where the temporal tokens (one per frame, mean over patches) go relative to the spatial tokens (one per
 * patch, mean over frames). Video-ChatGPT puts temporal first.
 */
export type PoolingOrder = 'temporal-first' | 'spatial-first';

/** How features are pooled: temporal padding, token order and rows to skip. */
export interface PoolingOptions {
  /**
   * Zero-pad the temporal tokens to this many rows (Video-ChatGPT: 100). Unset: no padding, T temporal tokens
   * (the paper's 256 + n_f). More frames than this is a BAD_INPUT error, since a model trained on a fixed token
   * count cannot take more.
   */
  padTemporalTo?: number;
  /** Default 'temporal-first' (Video-ChatGPT's `concat([temporal, spatial])`). */
  order?: PoolingOrder;
  /** Write the result here instead of a new array; must hold at least tokens * D values. */
  out?: Float32Array;
}

/** Pooled tokens, row-major [tokens, D]. */
export interface PooledFeatures {
  data: Float32Array;
  dims: [tokens: number, dim: number];
  /** Rows holding temporal tokens, padding included. */
  temporalTokens: number;
  /** Rows holding spatial tokens (= patches per frame). */
  spatialTokens: number;
  /** Frames that were pooled (temporal rows past this are zero padding). */
  frames: number;
  order: PoolingOrder;
}

/** Video-ChatGPT: 100 temporal rows (zero-padded) then 256 spatial rows = 356 tokens. */
export const VIDEO_CHATGPT_POOLING: Readonly<PoolingOptions> = Object.freeze({
  padTemporalTo: VIDEO_CHATGPT_FRAMES,
  order: 'temporal-first',
});
/** The paper's LocVLM-Vid models: 256 + n_f tokens, no padding, Video-ChatGPT's order. */
export const LOCVLM_VID_POOLING: Readonly<PoolingOptions> = Object.freeze({ order: 'temporal-first' });

/** Number of pooled tokens for `frames` frames of `patches` patches each: temporal rows (padded) + patches. */
export function pooledTokenCount(frames: number, patches: number, options: PoolingOptions = {}): number {
  return temporalRows(frames, options.padTemporalTo) + patches;
}

function temporalRows(frames: number, padTemporalTo: number | undefined): number {
  if (padTemporalTo === undefined) return frames;
  if (frames > padTemporalTo) {
    throw new VideoPoolError(
      'BAD_INPUT',
      `features have ${frames} frames but padTemporalTo is ${padTemporalTo}; sample at most ${padTemporalTo} frames`,
    );
  }
  return padTemporalTo;
}

function checkPositiveInteger(name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new VideoPoolError('BAD_INPUT', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkStride(name: string, value: number): void {
  if (!Number.isInteger(value)) throw new VideoPoolError('BAD_INPUT', `${name} must be an integer, got ${value}`);
}

/** Largest and smallest element index a strided view touches must lie inside the array. */
function checkExtent(
  what: string,
  length: number,
  offset: number,
  dims: readonly number[],
  strides: readonly number[],
) {
  checkStride(`${what} offset`, offset);
  let lowest = offset;
  let highest = offset;
  for (let axis = 0; axis < dims.length; axis++) {
    const reach = (dims[axis]! - 1) * strides[axis]!;
    if (reach > 0) highest += reach;
    else lowest += reach;
  }
  if (lowest < 0 || highest >= length) {
    throw new VideoPoolError(
      'BAD_INPUT',
      `${what} view (dims [${dims.join(', ')}], strides [${strides.join(', ')}], offset ${offset}) reaches ` +
        `elements ${lowest}..${highest} of an array of length ${length}`,
    );
  }
}

type Source =
  | { kind: 'f32'; data: Float32Array }
  | { kind: 'f64'; data: ArrayLike<number> }
  | { kind: 'half'; data: Uint16Array; table: Float32Array };

function toSource(data: FeatureArray, where: string): Source {
  if (data instanceof Float32Array) return { kind: 'f32', data };
  if (data instanceof Uint16Array) return { kind: 'half', data, table: halfToFloatTable() };
  if (data instanceof Float64Array || isFloat16Array(data)) return { kind: 'f64', data: data as ArrayLike<number> };
  throw new VideoPoolError(
    'BAD_INPUT',
    `${where} data must be a Float32Array, Float64Array, Float16Array or Uint16Array (half-float bits), got ${Object.prototype.toString.call(
      data,
    )}`,
  );
}

/** The wasm kernels (see src/wasm/pool.wat); addresses in bytes. */
interface PoolKernels {
  add_rows(input: number, rows: number, dim: number, patchSum: number, frameSum: number): void;
  fold_into_f64(source: number, target: number, count: number): void;
  halves_to_f32(source: number, target: number, count: number): void;
}

// The few WebAssembly JS API members used here (the project's TypeScript lib settings carry no WebAssembly types).
interface WasmModule {
  readonly kind?: 'wasm-module';
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let poolModule: WasmModule | undefined;

function wasmModule(): WasmModule {
  // atob rather than Buffer so the pooling half of the package also runs outside Node.
  poolModule ??= new wasm.Module(Uint8Array.from(atob(POOL_WASM_BASE64), (c) => c.charCodeAt(0)));
  return poolModule;
}

/** Input values are staged in wasm memory in chunks of about this many bytes, small enough to stay in L2 cache. */
const CHUNK_BYTES = 512 * 1024;
/** Float32 patch sums are folded into the float64 totals after this many frames. */
const FOLD_EVERY_FRAMES = 32;

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Streaming Video-ChatGPT pooling: add frames one at a time as the vision encoder produces them (no [T, S, D]
 * buffer needed), then `finish()`.
 *
 * Speed: each frame is copied, a cache-sized chunk of rows at a time, into WebAssembly memory and summed there
 * with SIMD (src/wasm/pool.wat); every value is read once and feeds both the per-frame and the per-patch sum.
 *
 * Precision, deliberately: values enter as float32 (half floats widen exactly; Float64Array input is rounded to
 * float32). Running sums are float32 (four lanes per instruction) but never over more than one chunk of rows
 * (128 rows for D = 1024) or 32 frames; those partial sums are then folded into float64 totals. So the error does
 * not grow with video length: it stays about that of a float32 sum of 128 values (typically ~1e-7 relative,
 * at worst ~8e-6), and the means are rounded to float32 once, at the end. The tests hold it to a float64
 * reference within 1e-5 relative, and onnxruntime's ReduceMean (float32 sums) agrees within 1e-5.
 */
export class SpatioTemporalPooler {
  readonly patches: number;
  readonly dim: number;
  readonly padTemporalTo: number | undefined;
  readonly order: PoolingOrder;
  readonly #kernels: PoolKernels;
  readonly #chunkRows: number;
  // Byte addresses in wasm memory: float32 partial sums, their float64 totals, and the staged input rows.
  readonly #patchSumPtr: number;
  readonly #patchTotalPtr: number;
  readonly #frameSumPtr: number;
  readonly #frameTotalPtr: number;
  readonly #inputPtr: number;
  readonly #halfPtr: number;
  readonly #patchValues: number;
  readonly #frameValues: number;
  readonly #patchTotal: Float64Array;
  readonly #frameTotal: Float64Array;
  readonly #input: Float32Array;
  readonly #halfInput: Uint16Array;
  readonly #frameMeans: Float64Array[] = [];
  #frames = 0;
  #unfoldedFrames = 0;

  constructor(options: { patches: number; dim: number } & Omit<PoolingOptions, 'out'>) {
    checkPositiveInteger('patches', options.patches);
    checkPositiveInteger('dim', options.dim);
    if (options.padTemporalTo !== undefined) checkPositiveInteger('padTemporalTo', options.padTemporalTo);
    const order = options.order ?? 'temporal-first';
    if (order !== 'temporal-first' && order !== 'spatial-first') {
      throw new VideoPoolError('BAD_INPUT', `order must be 'temporal-first' or 'spatial-first', got '${order}'`);
    }
    this.patches = options.patches;
    this.dim = options.dim;
    this.padTemporalTo = options.padTemporalTo;
    this.order = order;

    const { patches, dim } = this;
    this.#chunkRows = Math.max(1, Math.min(patches, Math.floor(CHUNK_BYTES / (dim * 4))));
    // fold_into_f64 works four values at a time: pad both sums to a multiple of 4 (padding lanes stay zero).
    this.#patchValues = roundUp(patches * dim, 4);
    this.#frameValues = roundUp(dim, 4);
    this.#patchSumPtr = 0;
    this.#patchTotalPtr = this.#patchSumPtr + this.#patchValues * 4;
    this.#frameSumPtr = this.#patchTotalPtr + this.#patchValues * 8;
    this.#frameTotalPtr = this.#frameSumPtr + this.#frameValues * 4;
    this.#inputPtr = this.#frameTotalPtr + this.#frameValues * 8;
    // halves_to_f32 works four values at a time: both staging areas hold a multiple of 4 values.
    const stagedValues = roundUp(this.#chunkRows * dim, 4);
    this.#halfPtr = this.#inputPtr + stagedValues * 4;
    const bytes = this.#halfPtr + stagedValues * 2;
    if (bytes > 2 ** 31) {
      throw new VideoPoolError(
        'BAD_INPUT',
        `patches x dim = ${patches} x ${dim} is too large to pool (${bytes} bytes)`,
      );
    }
    const memory = new wasm.Memory({ initial: Math.ceil(bytes / 65536) });
    this.#kernels = new wasm.Instance(wasmModule(), { env: { memory } }).exports as PoolKernels;
    // The memory never grows after this, so these views stay valid.
    this.#patchTotal = new Float64Array(memory.buffer, this.#patchTotalPtr, patches * dim);
    this.#frameTotal = new Float64Array(memory.buffer, this.#frameTotalPtr, dim);
    this.#input = new Float32Array(memory.buffer, this.#inputPtr, this.#chunkRows * dim);
    this.#halfInput = new Uint16Array(memory.buffer, this.#halfPtr, this.#chunkRows * dim);
  }

  /** Frames added so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Add one frame's [S, D] features (any supported dtype, strided views read in place). */
  addFrame(frame: FrameFeatures): void {
    const [patches, dim] = frame.dims;
    if (patches !== this.patches || dim !== this.dim) {
      throw new VideoPoolError(
        'BAD_INPUT',
        `frame ${this.#frames} has dims [${patches}, ${dim}], expected [${this.patches}, ${this.dim}]`,
      );
    }
    const strides = frame.strides ?? [dim, 1];
    checkStride('frame stride', strides[0]);
    checkStride('frame stride', strides[1]);
    const offset = frame.offset ?? 0;
    checkExtent(`frame ${this.#frames}`, frame.data.length, offset, [patches, dim], strides);
    if (this.padTemporalTo !== undefined && this.#frames >= this.padTemporalTo) {
      throw new VideoPoolError('BAD_INPUT', `more than padTemporalTo = ${this.padTemporalTo} frames added`);
    }
    this.#addFrameUnchecked(toSource(frame.data, `frame ${this.#frames}`), offset, strides[0], strides[1]);
  }

  /** Add frames from a [T, S, D] view; the checks are done once for the whole tensor. */
  addFrames(features: FeatureTensor): void {
    const [frames, patches, dim] = features.dims;
    checkPositiveInteger('frames', frames, 0);
    if (patches !== this.patches || dim !== this.dim) {
      throw new VideoPoolError(
        'BAD_INPUT',
        `features have dims [${frames}, ${patches}, ${dim}], expected [T, ${this.patches}, ${this.dim}]`,
      );
    }
    const strides = features.strides ?? [patches * dim, dim, 1];
    for (const stride of strides) checkStride('features stride', stride);
    const offset = features.offset ?? 0;
    if (frames > 0) checkExtent('features', features.data.length, offset, [frames, patches, dim], strides);
    if (this.padTemporalTo !== undefined && this.#frames + frames > this.padTemporalTo) {
      throw new VideoPoolError(
        'BAD_INPUT',
        `features have ${this.#frames + frames} frames but padTemporalTo is ${this.padTemporalTo}; ` +
          `sample at most ${this.padTemporalTo} frames`,
      );
    }
    const source = toSource(features.data, 'features');
    for (let t = 0; t < frames; t++) this.#addFrameUnchecked(source, offset + t * strides[0], strides[1], strides[2]);
  }

  #addFrameUnchecked(source: Source, offset: number, patchStride: number, dimStride: number): void {
    const { patches, dim } = this;
    const kernels = this.#kernels;
    const input = this.#input;
    this.#frameTotal.fill(0);
    for (let first = 0; first < patches; first += this.#chunkRows) {
      const rows = Math.min(this.#chunkRows, patches - first);
      const base = offset + first * patchStride;
      if (source.kind === 'f32' && dimStride === 1) {
        if (patchStride === dim) input.set(source.data.subarray(base, base + rows * dim));
        else for (let r = 0; r < rows; r++) input.set(rowOf(source.data, base + r * patchStride, dim), r * dim);
      } else if (source.kind === 'half' && dimStride === 1) {
        // Half floats: copy the bits in, widen them with SIMD.
        const halves = this.#halfInput;
        if (patchStride === dim) halves.set(source.data.subarray(base, base + rows * dim));
        else for (let r = 0; r < rows; r++) halves.set(rowOf(source.data, base + r * patchStride, dim), r * dim);
        kernels.halves_to_f32(this.#halfPtr, this.#inputPtr, roundUp(rows * dim, 4));
      } else {
        stageStrided(source, input, base, rows, dim, patchStride, dimStride);
      }
      kernels.add_rows(this.#inputPtr, rows, dim, this.#patchSumPtr + first * dim * 4, this.#frameSumPtr);
      // Fold this chunk's float32 frame sum into the float64 total (and clear it for the next chunk).
      kernels.fold_into_f64(this.#frameSumPtr, this.#frameTotalPtr, this.#frameValues);
    }
    const frameTotal = this.#frameTotal;
    const mean = new Float64Array(dim);
    for (let d = 0; d < dim; d++) mean[d] = frameTotal[d]! / patches;
    this.#frameMeans.push(mean);
    this.#frames++;
    if (++this.#unfoldedFrames === FOLD_EVERY_FRAMES) this.#foldPatchSums();
  }

  #foldPatchSums(): void {
    this.#kernels.fold_into_f64(this.#patchSumPtr, this.#patchTotalPtr, this.#patchValues);
    this.#unfoldedFrames = 0;
  }

  /** Token count `finish()` will return for the frames added so far. */
  get tokenCount(): number {
    return temporalRows(this.#frames, this.padTemporalTo) + this.patches;
  }

  /** The pooled tokens [temporal rows + S, D]. The pooler can keep taking frames afterwards. */
  finish(out?: Float32Array): PooledFeatures {
    const frames = this.#frames;
    if (frames === 0) throw new VideoPoolError('BAD_INPUT', 'no frames were added; a video needs at least one frame');
    const { patches, dim, order } = this;
    const temporal = temporalRows(frames, this.padTemporalTo);
    const tokens = temporal + patches;
    const size = tokens * dim;
    if (out !== undefined && out.length < size) {
      throw new VideoPoolError(
        'BAD_INPUT',
        `out holds ${out.length} values, pooling needs ${tokens} x ${dim} = ${size}`,
      );
    }
    const data = out ?? new Float32Array(size);
    const temporalStart = order === 'temporal-first' ? 0 : patches * dim;
    const spatialStart = order === 'temporal-first' ? temporal * dim : 0;
    for (let t = 0; t < frames; t++) data.set(this.#frameMeans[t]!, temporalStart + t * dim);
    // Zero padding rows (an `out` buffer may hold old values).
    data.fill(0, temporalStart + frames * dim, temporalStart + temporal * dim);
    if (this.#unfoldedFrames > 0) this.#foldPatchSums();
    const patchTotal = this.#patchTotal;
    for (let i = 0; i < patches * dim; i++) data[spatialStart + i] = patchTotal[i]! / frames;
    return { data, dims: [tokens, dim], temporalTokens: temporal, spatialTokens: patches, frames, order };
  }
}

function rowOf<T extends Float32Array | Uint16Array>(data: T, start: number, dim: number): T {
  return data.subarray(start, start + dim) as T;
}

/** Copy `rows` strided rows (any dtype) into the float32 staging area. */
function stageStrided(
  source: Source,
  input: Float32Array,
  base: number,
  rows: number,
  dim: number,
  patchStride: number,
  dimStride: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = base + r * patchStride;
    const target = r * dim;
    if (source.kind === 'half') {
      const { data, table } = source;
      for (let d = 0; d < dim; d++) input[target + d] = table[data[start + d * dimStride]!]!;
    } else {
      const data = source.data;
      for (let d = 0; d < dim; d++) input[target + d] = data[start + d * dimStride]!;
    }
  }
}

/**
 * Video-ChatGPT's spatio-temporal pooling of [T, S, D] features: temporal tokens (mean over the S patches of each
 * frame, zero-padded to `padTemporalTo` rows when set) and spatial tokens (mean over the T frames of each patch),
 * concatenated temporal first by default. [100, 256, 1024] with `VIDEO_CHATGPT_POOLING` gives [356, 1024];
 * [8, 256, D] with the default options gives [264, D] (the paper's 256 + n_f).
 */
export function poolSpatioTemporal(features: FeatureTensor, options: PoolingOptions = {}): PooledFeatures {
  const [frames, patches, dim] = features.dims;
  checkPositiveInteger('features.dims[0] (frames)', frames);
  const pooler = new SpatioTemporalPooler({
    patches,
    dim,
    ...(options.padTemporalTo === undefined ? {} : { padTemporalTo: options.padTemporalTo }),
    ...(options.order === undefined ? {} : { order: options.order }),
  });
  pooler.addFrames(features);
  return pooler.finish(options.out);
}
