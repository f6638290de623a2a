// The worker thread's side of `thread: 'worker'`: it owns one LlavaEngine (the onnxruntime sessions, the KV cache and
// the decode loop) and answers the messages of engine-worker.ts. Built as its own entry (dist/onnx-worker.cjs), so
// it has no exports; the protocol types live in engine-worker.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { RuntimeError } from '../errors.js';
import type { ModelConfig } from './config.js';
import { LlavaEngine, type SessionOptions } from './engine.js';
import type { HostReply, HostRequest } from './engine-worker.js';

const port = parentPort;
if (!port) throw new Error('engine-host runs only as a worker thread');

const { config, options } = workerData as { config: ModelConfig; options: SessionOptions };
const aborts = new Map<number, AbortController>();
const stepAnswers = new Map<number, (stop: number[]) => void>();

function send(reply: HostReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(reply, transfer);
}

function errorReply(id: number, error: unknown): HostReply {
  const code = error instanceof RuntimeError ? error.code : 'BACKEND';
  return { type: 'error', id, code, message: (error as Error)?.message ?? String(error) };
}

/** A result's own buffer, so it can be moved to the calling thread instead of copied there. */
function ownBuffer(data: Float32Array): Float32Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
    ? data
    : data.slice();
}

async function main(): Promise<void> {
  let engine: LlavaEngine;
  try {
    engine = await LlavaEngine.load(config, { ...options, thread: 'main' });
  } catch (error) {
    send(errorReply(0, error));
    return;
  }
  send({
    type: 'loaded',
    provider: engine.provider,
    intraOpThreads: engine.intraOpThreads,
    files: engine.files.map((f) => ({ ...f, externalData: [...f.externalData] })),
    hasEmbeddingTable: engine.hasEmbeddingTable,
  });

  port!.on('message', (request: HostRequest) => {
    switch (request.type) {
      case 'encode': {
        engine.encodeImages(request.pixels, request.height, request.width).then(
          (features) => {
            const own = ownBuffer(features);
            send({ type: 'encoded', id: request.id, features: own }, [own.buffer as ArrayBuffer]);
          },
          (error: unknown) => send(errorReply(request.id, error)),
        );
        return;
      }
      case 'decode': {
        const controller = new AbortController();
        aborts.set(request.id, controller);
        const onStep =
          request.steps === 'await'
            ? (step: number, tokens: Array<number | null>) =>
                new Promise<number[]>((answer) => {
                  stepAnswers.set(request.id, answer);
                  send({ type: 'step', id: request.id, step, tokens, awaited: true });
                })
            : request.steps === 'notify'
              ? (step: number, tokens: Array<number | null>) => {
                  send({ type: 'step', id: request.id, step, tokens, awaited: false });
                  return undefined;
                }
              : undefined;
        engine
          .decode(request.seqs, { ...request.params, signal: controller.signal, ...(onStep ? { onStep } : {}) })
          .then(
            (output) => send({ type: 'decoded', id: request.id, output }),
            (error: unknown) => send(errorReply(request.id, error)),
          )
          .finally(() => {
            aborts.delete(request.id);
            stepAnswers.delete(request.id);
          });
        return;
      }
      case 'step': {
        const answer = stepAnswers.get(request.id);
        stepAnswers.delete(request.id);
        answer?.(request.stop);
        return;
      }
      case 'abort': {
        aborts.get(request.id)?.abort();
        // A decode waiting on its step answer stops at the check before the next step.
        const answer = stepAnswers.get(request.id);
        stepAnswers.delete(request.id);
        answer?.([]);
        return;
      }
      case 'close': {
        // Closing the port lets the thread end, which the caller waits for.
        engine
          .close()
          .catch(() => {})
          .finally(() => port!.close());
        return;
      }
    }
  });
}

void main();
