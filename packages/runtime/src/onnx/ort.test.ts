import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { chooseExecutionProvider } from './ort.js';

it('chooses CUDA only when its provider library is installed and a GPU is visible, and says why', () => {
  const require = createRequire(import.meta.url);
  const bin = join(
    dirname(require.resolve('onnxruntime-node/package.json')),
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  const cudaReady = existsSync(join(bin, 'libonnxruntime_providers_cuda.so')) && existsSync('/dev/nvidia0');
  expect(chooseExecutionProvider('cpu')).toEqual({ provider: 'cpu', reason: 'CPU was asked for (device: "cpu")' });
  const auto = chooseExecutionProvider('auto');
  expect(auto.provider).toBe(cudaReady ? 'cuda' : 'cpu');
  if (cudaReady) {
    expect(chooseExecutionProvider('cuda').provider).toBe('cuda');
  } else {
    expect(auto.reason).toMatch(/^CPU because (the CUDA provider library is not installed|no NVIDIA GPU is visible)/);
    expect(() => chooseExecutionProvider('cuda')).toThrow(RuntimeError);
    expect(() => chooseExecutionProvider('cuda')).toThrow(/CUDA was asked for/);
  }
});
