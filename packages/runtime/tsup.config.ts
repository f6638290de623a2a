import { defineConfig } from 'tsup';

// Two entries: the package's API, and the worker thread's entry that `thread: 'worker'` starts
// (dist/onnx-worker.cjs, found next to dist/index.*; it exports nothing, so it gets no types).
export default defineConfig({
  entry: { index: 'src/index.ts', 'onnx-worker': 'src/onnx/engine-host.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  // import.meta.url in the CJS build too: the worker entry is found next to the file that starts it.
  shims: true,
});
