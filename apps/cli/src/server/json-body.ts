// Request bodies as JSON plus the few numbers that bound a request's cost (characters of text, images, messages,
// parts, JSON values), counted before the schema or the model sees it. A large body is decoded and parsed on a worker
// thread, chunk by chunk as it arrives, so the server's event loop never spends tens of milliseconds on one body: a
// 10 MB prompt is counted and refused there, and only a body within the limits comes back (as a structured clone).
import { Worker } from 'node:worker_threads';

/** What a request body costs, counted on the parsed JSON without trusting its shape. */
export interface BodyStats {
  /** Characters of text: string contents, text parts' text and stop strings. */
  chars: number;
  /** Parts of type image_url. */
  images: number;
  /** Entries of `messages`. */
  messages: number;
  /** Content parts across all messages. */
  parts: number;
  /** JSON values (objects, arrays, strings, numbers, ...) in the whole body. */
  values: number;
}

/** Upper bounds on BodyStats: a body over any of them comes back without its value. */
export type BodyLimits = BodyStats;

/**
 * Count a parsed body's text characters, images, messages, parts and JSON values. Self-contained on purpose (no
 * inner functions, no outside names): the worker runs this same function from its source text.
 */
export function requestStats(body: unknown): BodyStats {
  let chars = 0;
  let images = 0;
  let messages = 0;
  let parts = 0;
  let values = 0;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    values++;
    if (Array.isArray(value)) for (const item of value) stack.push(item);
    else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) stack.push(item);
  }
  const root = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const list = Array.isArray(root.messages) ? root.messages : [];
  messages = list.length;
  for (const message of list) {
    const content = message !== null && typeof message === 'object' ? (message as { content?: unknown }).content : '';
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      parts += content.length;
      for (const part of content) {
        if (part === null || typeof part !== 'object') continue;
        const { type, text } = part as { type?: unknown; text?: unknown };
        if (type === 'image_url') images++;
        else if (typeof text === 'string') chars += text.length;
      }
    }
  }
  const stops = typeof root.stop === 'string' ? [root.stop] : Array.isArray(root.stop) ? root.stop : [];
  for (const stop of stops) if (typeof stop === 'string') chars += stop.length;
  return { chars, images, messages, parts, values };
}

/** The worker's code: chunks in, on `end` parse, count, and send back the stats (and the value when within limits). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const requestStats = ${requestStats.toString()};
const bodies = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'chunk') {
    const chunks = bodies.get(m.id);
    if (chunks) chunks.push(m.bytes);
    else bodies.set(m.id, [m.bytes]);
    return;
  }
  const chunks = bodies.get(m.id) || [];
  bodies.delete(m.id);
  if (m.type !== 'end') return;
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.message) });
    return;
  }
  const stats = requestStats(value);
  const l = m.limits;
  const ok = stats.chars <= l.chars && stats.images <= l.images && stats.messages <= l.messages &&
    stats.parts <= l.parts && stats.values <= l.values;
  parentPort.postMessage(ok ? { id: m.id, stats, value } : { id: m.id, stats });
});
`;

/** A parsed body: its stats, and its value unless the stats are over the limits (then the value was dropped). */
export interface ParsedBody {
  stats: BodyStats;
  value?: unknown;
}

/** One body being sent to the worker. */
export interface WorkerBody {
  /** Send the next chunk (kept until about 1 MiB is collected, then copied into one message). */
  push(chunk: Uint8Array): void;
  /** The body is complete: parse it. Rejects with a SyntaxError when it is not JSON. */
  end(limits: BodyLimits): Promise<ParsedBody>;
  /** Forget the body (the client went away or the body was refused). */
  abort(): void;
}

/** Chunks are sent to the worker in messages of about this many bytes (fewer, larger messages cost less). */
const POST_BYTES = 1024 * 1024;

interface Reply {
  id: number;
  error?: string;
  stats?: BodyStats;
  value?: unknown;
}

/** A worker thread that parses large JSON bodies; started on first use, stopped by `close()`. */
export class JsonBodyWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();

  private get thread(): Worker {
    if (this.worker) return this.worker;
    // execArgv: [] keeps loaders (tsx in tests) out of the worker: it runs plain JavaScript.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the JSON worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Start the thread now (a server does at listen), so the first large body does not wait for it. */
  start(): void {
    void this.thread;
  }

  /** Start a body; its chunks go to the worker as they arrive, about 1 MiB per message. */
  begin(): WorkerBody {
    const id = this.nextId++;
    const thread = this.thread;
    let open = true;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pendingBytes === 0) return;
      // One copy that owns its buffer, so it is transferred, not copied again.
      const bytes = new Uint8Array(pendingBytes);
      let offset = 0;
      for (const c of pending) {
        bytes.set(c, offset);
        offset += c.byteLength;
      }
      pending = [];
      pendingBytes = 0;
      thread.postMessage({ type: 'chunk', id, bytes }, [bytes.buffer]);
    };
    return {
      push(chunk) {
        if (!open) return;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= POST_BYTES) flush();
      },
      end: (limits) => {
        open = false;
        flush();
        return new Promise<ParsedBody>((resolve, reject) => {
          this.waiting.set(id, {
            resolve: (reply) => {
              // Not JSON: a SyntaxError, as JSON.parse throws (a failing thread rejects with a plain Error).
              if (reply.error !== undefined) reject(new SyntaxError(reply.error));
              else
                resolve({
                  stats: reply.stats as BodyStats,
                  ...('value' in reply ? { value: reply.value } : {}),
                });
            },
            reject,
          });
          thread.postMessage({ type: 'end', id, limits });
        });
      },
      abort() {
        if (!open) return;
        open = false;
        pending = [];
        pendingBytes = 0;
        thread.postMessage({ type: 'abort', id });
      },
    };
  }

  /** Stop the worker (bodies in flight are rejected). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
