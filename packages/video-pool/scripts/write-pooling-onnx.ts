// Writes the Video-ChatGPT pooling graph to an .onnx file.
// Usage: npm run onnx -w @locvlm/video-pool -- <out.onnx> [--pad 100] [--patches 256] [--dim 1024]
//        [--skip 1] [--order temporal-first|spatial-first] [--dtype float32|float16] [--input features]
//        [--output pooled_features]
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildPoolingOnnxModel, type PoolingOnnxOptions } from '../src/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pad: { type: 'string' },
    patches: { type: 'string' },
    dim: { type: 'string' },
    skip: { type: 'string' },
    order: { type: 'string' },
    dtype: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
  },
});
const target = positionals[0];
if (!target) {
  console.error(
    'usage: write-pooling-onnx <out.onnx> [--pad N] [--patches S] [--dim D] [--skip K] [--order ...] [--dtype ...]',
  );
  process.exit(2);
}
const int = (value: string | undefined) => (value === undefined ? undefined : Number(value));
const options: PoolingOnnxOptions = {};
if (values.pad !== undefined) options.padTemporalTo = int(values.pad)!;
if (values.patches !== undefined) options.patches = int(values.patches)!;
if (values.dim !== undefined) options.dim = int(values.dim)!;
if (values.skip !== undefined) options.skipPatches = int(values.skip)!;
if (values.order !== undefined) options.order = values.order as PoolingOnnxOptions['order'] & string;
if (values.dtype !== undefined) options.dtype = values.dtype as PoolingOnnxOptions['dtype'] & string;
if (values.input !== undefined) options.inputName = values.input;
if (values.output !== undefined) options.outputName = values.output;

const bytes = buildPoolingOnnxModel(options);
const file = resolve(target);
writeFileSync(`${file}.tmp`, bytes);
renameSync(`${file}.tmp`, file);
console.log(`wrote ${file} (${bytes.length} bytes)`);
