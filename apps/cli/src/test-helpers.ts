// Test helpers (not part of the CLI): the runtime's committed tiny random-weight model, test images, a model whose
// generation the test releases by hand (to hold the queue in a known state), and a CLI runner capturing output.
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { GenerateRequest, GenerateResult, VisionLanguageModel } from '@locvlm/runtime';
import sharp from 'sharp';
import type { CliIo } from './io.js';
import { run } from './program.js';

/** packages/runtime/fixtures/tiny-llava: real ONNX graphs with random weights (gibberish answers, real decoding). */
export const tinyModelDir = fileURLToPath(new URL('../../../packages/runtime/fixtures/tiny-llava/', import.meta.url));

/** A model directory of packages/runtime/fixtures (random weights in the layouts transformers.js exports use). */
export function runtimeFixture(name: string): string {
  return fileURLToPath(new URL(`../../../packages/runtime/fixtures/${name}/`, import.meta.url));
}

/**
 * The model the build bundles, apps/shapes-lab/model: read from the repository, not from dist/, so tests never race
 * a build that is cleaning dist/.
 */
export const shapesLabModelDir = fileURLToPath(new URL('../../shapes-lab/model/', import.meta.url));

/** A PNG with two coloured shapes on white. */
export async function shapesPng(width = 160, height = 120): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><circle cx="${width * 0.25}" cy="${height * 0.5}" r="${height * 0.2}" fill="red"/><rect x="${width * 0.6}" y="${height * 0.3}" width="${width * 0.25}" height="${height * 0.4}" fill="blue"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export function dataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/**
 * A model whose every generation waits until the test calls `release()` (or the request is aborted), then answers
 * with the text. It records the abort signals it saw.
 */
export class GatedModel implements VisionLanguageModel {
  readonly id = 'gated/gated-model';
  readonly started: GenerateRequest[] = [];
  readonly aborted: GenerateRequest[] = [];
  private gates: Array<() => void> = [];
  constructor(
    private readonly answer = 'It is located at (1, 2, 3, 4)',
    /** Answer at once instead of waiting for release(). */
    private readonly open = false,
  ) {}

  private wait(request: GenerateRequest): Promise<void> {
    this.started.push(request);
    if (this.open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.gates.push(resolve);
      request.signal?.addEventListener('abort', () => {
        this.aborted.push(request);
        reject(new Error('aborted'));
      });
    });
  }

  /** Let every waiting generation finish. */
  release(): void {
    for (const gate of this.gates.splice(0)) gate();
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    await this.wait(request);
    return { text: this.answer, finishReason: 'stop' };
  }

  async *stream(request: GenerateRequest): AsyncIterable<string> {
    await this.wait(request);
    for (const word of this.answer.split(/(?<= )/)) yield word;
  }

  async close(): Promise<void> {}
}

/** Run `locvlm` with captured output. */
export async function locvlm(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = { out: (t) => out.push(line(t)), err: (t) => err.push(line(t)) };
  const code = await run(argv, io);
  return { code, out: out.join('').trimEnd(), err: err.join('').trimEnd() };
}

/** One POST on its own connection (no client-side pool limit), with a hard deadline so a hang fails the test. */
export function sendChatRequest(
  url: string,
  body: string,
  deadlineMs: number,
): Promise<{ status: number; retryAfter?: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: deadlineMs,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${deadlineMs} ms`)));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          ms: performance.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
