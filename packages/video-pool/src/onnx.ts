// The pooling as a tiny ONNX graph, so a runtime can run it next to the vision encoder (same device, no copy of
// the [T, S, D] features back to JavaScript). Built with onnx-proto's generated protobuf classes.
import * as onnxProtoModule from 'onnx-proto';
import { VideoPoolError } from './errors.js';
import type { PoolingOptions } from './pool.js';

type Onnx = typeof onnxProtoModule.onnx;
// onnx-proto is CommonJS (`module.exports = { onnx }`): Node's ESM loader exposes it as the default export only.
const onnx: Onnx =
  (onnxProtoModule as { onnx?: Onnx }).onnx ?? (onnxProtoModule as unknown as { default: { onnx: Onnx } }).default.onnx;

/** Options of `buildPoolingOnnxModel`. */
export interface PoolingOnnxOptions extends Omit<PoolingOptions, 'out'> {
  /** Patches per frame (after `skipPatches`) as a fixed dimension; omitted: symbolic. */
  patches?: number;
  /**
   * Leading rows of each frame to drop before pooling, e.g. 1 for a CLIP encoder output that still has its CLS
   * token ([T, 1 + S, D]); Video-ChatGPT pools the patch tokens only. Default 0.
   */
  skipPatches?: number;
  /** Feature size as a fixed dimension; omitted: symbolic `dim`. */
  dim?: number;
  /** Element type of input and output (default 'float32'). float16 is widened to float32 inside the graph. */
  dtype?: 'float32' | 'float16';
  /** Default 'features': [frames, patches, dim]. */
  inputName?: string;
  /** Default 'pooled_features': [tokens, dim]. */
  outputName?: string;
}

/** ONNX opset the graph uses (ReduceMean with an `axes` attribute, Pad with `pads` as an input). */
export const POOLING_ONNX_OPSET = 13;

const FLOAT = 1;
const INT64 = 7;
const FLOAT16 = 10;

function checkDim(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new VideoPoolError('BAD_INPUT', `${name} must be an integer >= 1, got ${value}`);
  }
}

function dimension(value: number | string): InstanceType<Onnx['TensorShapeProto']['Dimension']> {
  return onnx.TensorShapeProto.Dimension.create(typeof value === 'number' ? { dimValue: value } : { dimParam: value });
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({ dim: dims.map(dimension) }),
      }),
    }),
  });
}

function int64Tensor(name: string, values: number[]) {
  return onnx.TensorProto.create({ name, dataType: INT64, dims: [values.length], int64Data: values });
}

function intsAttribute(name: string, values: number[]) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
}

function intAttribute(name: string, value: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
}

function stringAttribute(name: string, value: string) {
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.STRING,
    s: new TextEncoder().encode(value),
  });
}

function node(opType: string, inputs: string[], outputs: string[], attribute: ReturnType<typeof intAttribute>[] = []) {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: outputs[0]!, attribute });
}

/**
 * The Video-ChatGPT pooling as an ONNX model (serialized ModelProto bytes, opset 13): input [frames, patches, dim],
 * output [tokens, dim], with `ReduceMean` over patches (temporal tokens, optionally `Pad`ded with zero rows to
 * `padTemporalTo`) and over frames (spatial tokens), then `Concat` in the chosen order. Same options and result as
 * `poolSpatioTemporal`, except that more frames than `padTemporalTo` are not an error here: the graph then adds no
 * padding (like Video-ChatGPT's NumPy code). onnxruntime sums in float32.
 */
export function buildPoolingOnnxModel(options: PoolingOnnxOptions = {}): Uint8Array {
  const { padTemporalTo, patches, dim } = options;
  checkDim('padTemporalTo', padTemporalTo);
  checkDim('patches', patches);
  checkDim('dim', dim);
  const skipPatches = options.skipPatches ?? 0;
  if (!Number.isInteger(skipPatches) || skipPatches < 0) {
    throw new VideoPoolError('BAD_INPUT', `skipPatches must be an integer >= 0, got ${skipPatches}`);
  }
  const order = options.order ?? 'temporal-first';
  if (order !== 'temporal-first' && order !== 'spatial-first') {
    throw new VideoPoolError('BAD_INPUT', `order must be 'temporal-first' or 'spatial-first', got '${order}'`);
  }
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new VideoPoolError('BAD_INPUT', `dtype must be 'float32' or 'float16', got '${dtype}'`);
  }
  const inputName = options.inputName ?? 'features';
  const outputName = options.outputName ?? 'pooled_features';
  if (!inputName || !outputName || inputName === outputName) {
    throw new VideoPoolError('BAD_INPUT', `inputName and outputName must be distinct non-empty names`);
  }
  const elemType = dtype === 'float16' ? FLOAT16 : FLOAT;

  const nodes: ReturnType<typeof node>[] = [];
  const initializers: ReturnType<typeof int64Tensor>[] = [];
  let features = inputName;
  if (skipPatches > 0) {
    initializers.push(
      int64Tensor('skip_start', [skipPatches]),
      int64Tensor('skip_end', [Number.MAX_SAFE_INTEGER]),
      int64Tensor('patch_axis', [1]),
    );
    nodes.push(node('Slice', [features, 'skip_start', 'skip_end', 'patch_axis'], ['patch_features']));
    features = 'patch_features';
  }
  if (dtype === 'float16') {
    nodes.push(node('Cast', [features], ['features_f32'], [intAttribute('to', FLOAT)]));
    features = 'features_f32';
  }
  nodes.push(
    node('ReduceMean', [features], ['temporal_tokens'], [intsAttribute('axes', [1]), intAttribute('keepdims', 0)]),
  );
  nodes.push(
    node('ReduceMean', [features], ['spatial_tokens'], [intsAttribute('axes', [0]), intAttribute('keepdims', 0)]),
  );
  let temporal = 'temporal_tokens';
  if (padTemporalTo !== undefined) {
    // pads = [0, 0, max(padTemporalTo - frames, 0), 0]: zero rows after the last frame's token.
    initializers.push(
      int64Tensor('zero_1d', [0]),
      int64Tensor('one_1d', [1]),
      int64Tensor('pad_to', [padTemporalTo]),
      int64Tensor('pads_begin', [0, 0]),
    );
    nodes.push(
      node('Shape', [features], ['features_shape']),
      node('Slice', ['features_shape', 'zero_1d', 'one_1d'], ['frame_count']),
      node('Sub', ['pad_to', 'frame_count'], ['missing_frames']),
      node('Max', ['missing_frames', 'zero_1d'], ['padding_rows']),
      node('Concat', ['pads_begin', 'padding_rows', 'zero_1d'], ['temporal_pads'], [intAttribute('axis', 0)]),
      node(
        'Pad',
        ['temporal_tokens', 'temporal_pads'],
        ['temporal_tokens_padded'],
        [stringAttribute('mode', 'constant')],
      ),
    );
    temporal = 'temporal_tokens_padded';
  }
  const parts = order === 'temporal-first' ? [temporal, 'spatial_tokens'] : ['spatial_tokens', temporal];
  const pooled = dtype === 'float16' ? 'pooled_f32' : outputName;
  nodes.push(node('Concat', parts, [pooled], [intAttribute('axis', 0)]));
  if (dtype === 'float16') nodes.push(node('Cast', [pooled], [outputName], [intAttribute('to', FLOAT16)]));

  const tokens: number | string =
    padTemporalTo !== undefined && patches !== undefined ? padTemporalTo + patches : 'tokens';
  const graph = onnx.GraphProto.create({
    name: 'video_chatgpt_spatio_temporal_pooling',
    node: nodes,
    initializer: initializers,
    input: [
      valueInfo(inputName, elemType, [
        'frames',
        patches === undefined ? (skipPatches > 0 ? 'tokens_per_frame' : 'patches') : patches + skipPatches,
        dim ?? 'dim',
      ]),
    ],
    output: [valueInfo(outputName, elemType, [tokens, dim ?? 'dim'])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: '@locvlm/video-pool',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: POOLING_ONNX_OPSET })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
