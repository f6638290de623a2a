// `thread: 'worker'`: the LLaVA engine on a worker thread of its own. onnxruntime-node runs a session on the thread
// that calls `run` (its promise only defers the call with setImmediate), so on the main thread every forward pass
// holds the event loop: a server cannot answer /health during a 7B prefill. Here the sessions, the KV cache and the
// decode loop live in the worker (engine-host.ts); the calling thread keeps the tokenizer, the preprocessing and the
// stop-string tracking, and talks to it by messages. The KV cache never crosses threads.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RuntimeError, type RuntimeErrorCode } from '../errors.js';
import type { ModelConfig } from './config.js';
import {
  type DecodeOutput,
  type DecodeParams,
  LlavaEngine,
  type LlavaRunner,
  type PreparedSequence,
  type SessionOptions,
} from './engine.js';
import type { ComponentFile } from './model-files.js';
import type { ExecutionProviderChoice } from './ort.js';

/** Messages to the worker. */
export type HostRequest =
  | { type: 'encode'; id: number; pixels: Float32Array[]; height: number; width: number }
  | {
      type: 'decode';
      id: number;
      seqs: PreparedSequence[];
      params: Omit<DecodeParams, 'signal' | 'onStep' | 'stepsMayStop'>;
      /**
       * Whether the caller wants each step's tokens: 'await' answers each with the rows to stop (the worker waits for
       * it), 'notify' only receives them (streaming without stop strings: no round trip per token).
       */
      steps: 'none' | 'notify' | 'await';
    }
  | { type: 'step'; id: number; stop: number[] }
  | { type: 'abort'; id: number }
  | { type: 'close' };

/** Messages from the worker. */
export type HostReply =
  | {
      type: 'loaded';
      provider: ExecutionProviderChoice;
      intraOpThreads: number | undefined;
      files: ComponentFile[];
      hasEmbeddingTable: boolean;
    }
  | { type: 'encoded'; id: number; features: Float32Array }
  | { type: 'step'; id: number; step: number; tokens: Array<number | null>; awaited: boolean }
  | { type: 'decoded'; id: number; output: DecodeOutput }
  | { type: 'error'; id: number; code: RuntimeErrorCode; message: string };

/** Start the worker: the built entry next to the package's dist, or (running from source) engine-host.ts via tsx. */
function startWorker(workerData: unknown): Worker {
  // This module's file: dist/index.js, index.cjs or a chunk when built, src/onnx/engine-worker.ts in tests.
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // From TypeScript source (vitest, tsx): the worker loads the source through tsx's require hook.
    const tsx = createRequire(here).resolve('tsx/cjs/api');
    const host = join(dirname(here), 'engine-host.ts');
    const source = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(host)});`;
    return new Worker(source, { eval: true, workerData });
  }
  const entry = join(dirname(here), 'onnx-worker.cjs');
  if (!existsSync(entry))
    throw new RuntimeError(
      'MODEL_FILES',
      `thread: 'worker' needs ${entry}, the worker entry @locvlm/runtime ships next to its index (a bundler must copy it)`,
    );
  return new Worker(entry, { workerData });
}

interface Pending {
  resolve: (reply: HostReply) => void;
  reject: (error: Error) => void;
  onStep?: DecodeParams['onStep'];
}

/** A LlavaEngine on its own worker thread, with the same methods and results. */
export class WorkerLlavaEngine implements LlavaRunner {
  readonly thread = 'worker' as const;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly provider: ExecutionProviderChoice,
    readonly intraOpThreads: number | undefined,
    readonly files: readonly ComponentFile[],
    readonly hasEmbeddingTable: boolean,
  ) {
    worker.on('message', (reply: HostReply) => this.receive(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`it exited with code ${code}`)));
    // Only calls in flight keep the process alive, as a session on the main thread would.
    worker.unref();
  }

  /** Start a worker and load the engine there; errors are the ones LlavaEngine.load gives. */
  static async load(config: ModelConfig, options: SessionOptions): Promise<WorkerLlavaEngine> {
    const worker = startWorker({ config, options: { ...options, thread: 'main' } });
    const reply = await new Promise<HostReply>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new RuntimeError('BACKEND', `the model worker exited with code ${code} while loading ${config.dir}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (m: HostReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(m);
      });
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error instanceof RuntimeError
        ? error
        : new RuntimeError('BACKEND', `the model worker failed to start: ${(error as Error).message}`, {
            cause: error,
          });
    });
    if (reply.type === 'error') {
      await worker.terminate();
      throw new RuntimeError(reply.code, reply.message);
    }
    if (reply.type !== 'loaded') {
      await worker.terminate();
      throw new RuntimeError('BACKEND', `the model worker answered ${reply.type} instead of loading`);
    }
    return new WorkerLlavaEngine(worker, reply.provider, reply.intraOpThreads, reply.files, reply.hasEmbeddingTable);
  }

  private receive(reply: HostReply): void {
    if (reply.type === 'loaded') return;
    const call = this.pending.get(reply.id);
    if (!call) return;
    if (reply.type === 'step') {
      // An awaited step: the worker waits for the rows to stop before its next step. A notified one needs no answer.
      Promise.resolve()
        .then(() => call.onStep?.(reply.step, reply.tokens))
        .then(
          (stop) => {
            if (reply.awaited) this.worker.postMessage({ type: 'step', id: reply.id, stop: [...(stop ?? [])] });
          },
          (error: unknown) => {
            this.worker.postMessage({ type: 'abort', id: reply.id });
            call.reject(error as Error);
            this.settle(reply.id);
          },
        );
      return;
    }
    this.settle(reply.id);
    if (reply.type === 'error') call.reject(new RuntimeError(reply.code, reply.message));
    else call.resolve(reply);
  }

  private settle(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    if (this.stopped) return;
    this.stopped = new RuntimeError('BACKEND', `the model worker stopped: ${error.message}`, { cause: error });
    for (const call of this.pending.values()) call.reject(this.stopped);
    this.pending.clear();
  }

  private call(request: HostRequest & { id: number }, pending: Omit<Pending, 'resolve' | 'reject'> = {}) {
    if (this.closing) return Promise.reject(new RuntimeError('BAD_INPUT', 'the model is closed'));
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<HostReply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject, ...pending });
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  async encodeImages(pixels: Float32Array[], height: number, width: number): Promise<Float32Array> {
    const reply = await this.call({ type: 'encode', id: this.nextId++, pixels, height, width });
    return (reply as Extract<HostReply, { type: 'encoded' }>).features;
  }

  async decode(seqs: PreparedSequence[], params: DecodeParams): Promise<DecodeOutput> {
    const { signal, onStep, stepsMayStop, ...rest } = params;
    if (signal?.aborted) throw new RuntimeError('ABORTED', 'generation was aborted');
    const id = this.nextId++;
    const onAbort = () => this.worker.postMessage({ type: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await this.call(
        {
          type: 'decode',
          id,
          seqs,
          params: rest,
          steps: !onStep ? 'none' : stepsMayStop === false ? 'notify' : 'await',
        },
        onStep ? { onStep } : {},
      );
      return (reply as Extract<HostReply, { type: 'decoded' }>).output;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.stopped) {
        const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
        this.worker.ref();
        this.worker.postMessage({ type: 'close' });
        await exited;
      }
    })();
    return this.closing;
  }
}

/** The engine on the thread `options.thread` asks for. */
export async function loadLlavaRunner(config: ModelConfig, options: SessionOptions): Promise<LlavaRunner> {
  return options.thread === 'worker' ? WorkerLlavaEngine.load(config, options) : LlavaEngine.load(config, options);
}
