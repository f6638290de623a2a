// onnxruntime-node, loaded on first use only (HTTP-only users never load the native addon), and the choice of
// execution provider: CUDA when its provider library is installed and a GPU is visible, else CPU.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';

export type Ort = typeof OrtModule;
let ortPromise: Promise<Ort> | undefined;

export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as { default?: Ort }).default ?? m) as Ort,
    (cause: unknown) => {
      ortPromise = undefined;
      throw new RuntimeError('BACKEND', `onnxruntime-node cannot be loaded: ${(cause as Error).message}`, { cause });
    },
  );
  return ortPromise;
}

/** Where to run: 'auto' picks CUDA when its provider is installed and a GPU is visible, else CPU. */
export type DeviceChoice = 'auto' | 'cpu' | 'cuda';

/** The execution provider chosen, and why. */
export interface ExecutionProviderChoice {
  /** The provider sessions are created with. */
  provider: 'cpu' | 'cuda';
  /** Why, in a sentence a person can act on. */
  reason: string;
}

/** Where onnxruntime-node keeps its native libraries (the CUDA provider is installed beside them). */
function ortBinDir(): string | undefined {
  try {
    // In the CJS build `require` exists; in ESM it does not and import.meta.url does.
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    const pkg = req.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function cudaProviderInstalled(): string | undefined {
  const dir = ortBinDir();
  if (!dir) return undefined;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  const path = join(dir, lib);
  return existsSync(path) ? path : undefined;
}

function gpuVisible(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return existsSync('/dev/nvidia0') || readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

/** Decide the provider without creating a session (a failed CUDA session later falls back to CPU with a reason). */
export function chooseExecutionProvider(device: DeviceChoice): ExecutionProviderChoice {
  if (device === 'cpu') return { provider: 'cpu', reason: 'CPU was asked for (device: "cpu")' };
  const lib = cudaProviderInstalled();
  const gpu = gpuVisible();
  if (lib && gpu) return { provider: 'cuda', reason: `CUDA provider found at ${lib} and an NVIDIA GPU is visible` };
  const missing = !lib
    ? 'the CUDA provider library is not installed (install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)'
    : 'no NVIDIA GPU is visible (/dev/nvidia0 is missing)';
  if (device === 'cuda') {
    throw new RuntimeError('BACKEND', `CUDA was asked for (device: "cuda") but ${missing}`);
  }
  return { provider: 'cpu', reason: `CPU because ${missing}` };
}
