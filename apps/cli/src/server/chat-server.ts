// An OpenAI-compatible chat-completions server in front of any VisionLanguageModel (`locvlm serve`, `locvlm studio`).
// node:http is enough for three JSON routes; what needs care is done here on purpose: bounded body and image sizes,
// a bounded queue in front of the model (429 beyond it, never an unbounded wait), aborting generation when the client
// goes away, and a shutdown that answers every queued request.
import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ChatMessage,
  type ContentPart,
  type GenerateRequest,
  parseDataUrl,
  RuntimeError,
  readImageSource,
  sniffImageType,
  type VisionLanguageModel,
} from '@locvlm/runtime';
import PQueue from 'p-queue';
import sharp from 'sharp';
import sirv from 'sirv';
import { type ChatCompletionRequest, chatCompletionRequestSchema, describeZodError } from './schema.js';

/** An HTTP error answered as OpenAI's `{ error: { message, type, code } }` with this status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a route handler gets: the parsed JSON body, an abort signal (client gone, timeout, shutdown), helpers. */
export interface RouteContext {
  body: unknown;
  signal: AbortSignal;
  model: VisionLanguageModel;
  /** An image_url string (data: URL, or a file under the allowed root) checked against the limits, as bytes. */
  resolveImage(url: string, where: string): Promise<Uint8Array>;
}

export interface ExtraRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Run through the model queue (true for anything that calls the model). */
  queued: boolean;
  handle(context: RouteContext): Promise<unknown>;
}

export interface ChatServerOptions {
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** The name in /v1/models and the `model` field requests must carry (default: last part of the model id). */
  modelName?: string;
  /** Other names a request's `model` field may use for the same model (default DEFAULT_MODEL_ALIASES: `default`). */
  modelAliases?: readonly string[];
  /** Local image files (file: URLs or absolute paths) are read only under this directory; without it, never. */
  allowRoot?: string;
  /** Largest request body in bytes (default 24 MiB); beyond it 413. */
  maxBodyBytes?: number;
  /** Request bodies being received at once, in bytes (default 256 MiB); beyond it 503 with Retry-After. */
  maxReceivingBytes?: number;
  /** Largest encoded image in bytes (default 16 MiB); beyond it 413. */
  maxImageBytes?: number;
  /** Largest decoded image, width * height (default 40 megapixels); beyond it 413. */
  maxImagePixels?: number;
  /** Generations running at once (default 1: a local model on a few cores gains nothing from more). */
  maxConcurrent?: number;
  /** Requests waiting for a slot (default 32); beyond it 429 with Retry-After. */
  maxQueue?: number;
  /** Longest a generation may run, in ms (default 300000); then it is aborted with a 504 / a stream error. */
  generationTimeoutMs?: number;
  /** Upper bound on max_tokens (default 2048). */
  maxTokensLimit?: number;
  /** Static files served under `/` (the Studio page). */
  staticDir?: string;
  /** More static folders, e.g. `{ '/reports': dir }`. Files are re-read from disk on each request. */
  staticMounts?: Record<string, string>;
  /** More JSON routes (the Studio's locate / describe). */
  routes?: ExtraRoute[];
  /** Called once per finished request (the CLI logs it; the library never prints). */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
}

export interface ChatServerStats {
  running: number;
  queued: number;
  served: number;
  refused: number;
  aborted: number;
}

export interface ChatCompletionServer {
  readonly server: Server;
  /** Start listening; resolves with the base URL (e.g. `http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /**
   * Stop: new requests get 503, queued ones get 503 at once, running ones may finish within `graceMs`
   * (default 5000), then they are aborted and every connection is closed. The model is not closed.
   */
  close(graceMs?: number): Promise<void>;
  stats(): ChatServerStats;
}

interface Pending {
  controller: AbortController;
  started: boolean;
  reason?: 'shutdown' | 'timeout' | 'client';
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(status: number, code: string, message: string) {
  const type = status >= 500 ? 'server_error' : status === 429 ? 'rate_limit_error' : 'invalid_request_error';
  return { error: { message, type, code } };
}

function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, errorBody(error.status, error.code, error.message), error.headers);
}

/** Bytes of request bodies being received right now, across requests, against a shared budget. */
interface BodyBudget {
  reading: number;
  max: number;
}

/**
 * Read the request body, refusing with 413 as soon as it passes `limit` bytes, and with 503 when the bodies being
 * received at once would pass the shared budget (many large uploads at once cannot exhaust memory).
 */
function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(
      new HttpError(413, 'body_too_large', `request body is ${declared} bytes, over the limit of ${limit} bytes`, {
        connection: 'close',
      }),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: HttpError | Error) => {
      if (settled) return;
      settled = true;
      budget.reading -= size;
      if (error) {
        req.removeAllListeners('data');
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      budget.reading += chunk.length;
      if (size > limit)
        settle(
          new HttpError(413, 'body_too_large', `request body is over the limit of ${limit} bytes`, {
            connection: 'close',
          }),
        );
      else if (budget.reading > budget.max)
        settle(
          new HttpError(503, 'busy_receiving', 'the server is receiving too many large requests at once; retry later', {
            'retry-after': '1',
            connection: 'close',
          }),
        );
      else chunks.push(chunk);
    });
    req.on('end', () => settle());
    req.on('error', (error) => settle(error));
    req.on('close', () => settle(new Error('the client closed the connection while sending')));
  });
}

/** Map an error from the model to an HTTP error: the caller's fault is 400, the rest 500. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RuntimeError) {
    if (error.code === 'BAD_INPUT' || error.code === 'IMAGE' || error.code === 'CONTEXT_LENGTH')
      return new HttpError(400, error.code.toLowerCase(), error.message);
    return new HttpError(500, error.code.toLowerCase(), error.message);
  }
  return new HttpError(500, 'internal_error', error instanceof Error ? error.message : String(error));
}

/**
 * The name a model is served under by default: for a server-backed model (`endpoint#model`) the model's name, for a
 * local model the last part of its path (the model folder's name) without the `#dtype` suffix.
 */
export function servedModelName(id: string): string {
  const hash = id.lastIndexOf('#');
  const name = hash >= 0 && id.includes('://') ? id.slice(hash + 1) : hash >= 0 ? id.slice(0, hash) : id;
  const parts = name.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? id;
}

/** Names a request's `model` field may use besides the served name: `default`, whatever this server serves. */
export const DEFAULT_MODEL_ALIASES: readonly string[] = ['default'];

/** Create (not start) an OpenAI-compatible chat-completions server for `model`. */
export function createChatCompletionServer(
  model: VisionLanguageModel,
  options: ChatServerOptions = {},
): ChatCompletionServer {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const modelName = options.modelName ?? servedModelName(model.id);
  const acceptedNames = new Set([modelName, ...(options.modelAliases ?? DEFAULT_MODEL_ALIASES)]);
  const aliases = [...acceptedNames].slice(1);
  const aliasNote = aliases.length > 0 ? ` (also accepted: ${aliases.map((n) => JSON.stringify(n)).join(', ')})` : '';
  const maxBodyBytes = options.maxBodyBytes ?? 24 * 1024 * 1024;
  const maxImageBytes = options.maxImageBytes ?? 16 * 1024 * 1024;
  const bodyBudget: BodyBudget = { reading: 0, max: options.maxReceivingBytes ?? 256 * 1024 * 1024 };
  const maxImagePixels = options.maxImagePixels ?? 40_000_000;
  const maxQueue = options.maxQueue ?? 32;
  const generationTimeoutMs = options.generationTimeoutMs ?? 300_000;
  const maxTokensLimit = options.maxTokensLimit ?? 2048;
  const queue = new PQueue({ concurrency: Math.max(1, options.maxConcurrent ?? 1) });
  const pending = new Set<Pending>();
  const counts = { served: 0, refused: 0, aborted: 0 };
  const staticHandler = options.staticDir ? sirv(options.staticDir, { dev: false, etag: true }) : undefined;
  const mounts = Object.entries(options.staticMounts ?? {}).map(([prefix, dir]) => ({
    prefix: prefix.replace(/\/+$/, ''),
    handler: sirv(dir, { dev: true, etag: true }),
  }));
  const routes = new Map((options.routes ?? []).map((r) => [`${r.method} ${r.path}`, r]));
  let allowedRoot: Promise<string> | undefined;
  let closing = false;
  // Mean generation time, for Retry-After.
  let meanMs = 1000;

  async function checkImageBytes(bytes: Uint8Array, where: string): Promise<Uint8Array> {
    if (bytes.byteLength > maxImageBytes)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: image is ${bytes.byteLength} bytes, over the limit of ${maxImageBytes}`,
      );
    if (!sniffImageType(bytes))
      throw new HttpError(400, 'bad_image', `${where}: not a PNG, JPEG, GIF, WebP or BMP image`);
    let pixels: number;
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      pixels = (meta.width ?? 0) * (meta.height ?? 0);
    } catch (cause) {
      throw new HttpError(400, 'bad_image', `${where}: cannot read the image header (${(cause as Error).message})`);
    }
    if (pixels === 0) throw new HttpError(400, 'bad_image', `${where}: the image has no size`);
    if (pixels > maxImagePixels)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: image has ${pixels} pixels, over the limit of ${maxImagePixels}`,
      );
    return bytes;
  }

  async function resolveImage(url: string, where: string): Promise<Uint8Array> {
    if (url.startsWith('data:')) {
      // Base64 is 4/3 of the bytes: refuse before decoding when it cannot fit.
      if (url.length > (maxImageBytes * 4) / 3 + 256)
        throw new HttpError(
          413,
          'image_too_large',
          `${where}: data URL is over the image limit of ${maxImageBytes} bytes`,
        );
      let parsed: { mediaType: string; bytes: Uint8Array };
      try {
        parsed = parseDataUrl(url);
      } catch (cause) {
        throw new HttpError(400, 'bad_image', `${where}: ${(cause as Error).message}`);
      }
      return checkImageBytes(parsed.bytes, where);
    }
    if (/^https?:/i.test(url))
      throw new HttpError(
        400,
        'remote_image',
        `${where}: this server does not fetch remote images; send the image as a data: URL`,
      );
    let path: string;
    if (url.startsWith('file:')) {
      try {
        path = fileURLToPath(url);
      } catch {
        throw new HttpError(400, 'bad_image', `${where}: ${url.slice(0, 80)} is not a valid file: URL`);
      }
    } else if (isAbsolute(url)) path = url;
    else
      throw new HttpError(
        400,
        'bad_image',
        `${where}: an image URL must be a data: URL or (with --allow-root) a file: URL or absolute path`,
      );
    if (!options.allowRoot)
      throw new HttpError(
        400,
        'local_file_refused',
        `${where}: local files are off on this server (start it with --allow-root DIR)`,
      );
    allowedRoot ??= realpath(options.allowRoot);
    const root = await allowedRoot;
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new HttpError(400, 'bad_image', `${where}: file ${path} does not exist`);
    }
    const rel = relative(root, real);
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new HttpError(400, 'local_file_refused', `${where}: file ${path} is outside the allowed root ${root}`);
    const size = (await stat(real)).size;
    if (size > maxImageBytes)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: file ${path} is ${size} bytes, over the limit of ${maxImageBytes}`,
      );
    return checkImageBytes(await readImageSource({ path: real }, { maxBytes: maxImageBytes }), where);
  }

  async function toChatMessages(request: ChatCompletionRequest): Promise<ChatMessage[]> {
    return Promise.all(
      request.messages.map(async (m, i): Promise<ChatMessage> => {
        if (typeof m.content === 'string') return { role: m.role, content: m.content };
        const parts = await Promise.all(
          m.content.map(async (part, j): Promise<ContentPart> => {
            if (part.type === 'text') return { type: 'text', text: part.text };
            const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
            const bytes = await resolveImage(url, `messages[${i}].content[${j}].image_url`);
            return { type: 'image', image: { bytes } };
          }),
        );
        return { role: m.role, content: parts };
      }),
    );
  }

  function retryAfterSeconds(): number {
    const ahead = queue.size + queue.pending;
    return Math.max(1, Math.ceil((ahead * meanMs) / queue.concurrency / 1000));
  }

  /** Run `task` when a slot frees up; refuse at once when the queue is full. Settles on abort in every state. */
  async function runQueued<T>(entry: Pending, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down');
    if (queue.size >= maxQueue) {
      counts.refused++;
      throw new HttpError(
        429,
        'queue_full',
        `the server is busy (${queue.pending} running, ${queue.size} waiting); retry later`,
        { 'retry-after': String(retryAfterSeconds()) },
      );
    }
    const { signal } = entry.controller;
    try {
      return await queue.add(
        async () => {
          entry.started = true;
          const started = performance.now();
          const timer = setTimeout(() => {
            entry.reason = 'timeout';
            entry.controller.abort();
          }, generationTimeoutMs);
          try {
            return await task(signal);
          } finally {
            clearTimeout(timer);
            meanMs = 0.8 * meanMs + 0.2 * (performance.now() - started);
          }
        },
        { signal },
      );
    } catch (error) {
      if (signal.aborted) throw abortError(entry);
      throw error;
    }
  }

  function abortError(entry: Pending): HttpError {
    if (entry.reason === 'shutdown') return new HttpError(503, 'shutting_down', 'the server is shutting down');
    if (entry.reason === 'timeout')
      return new HttpError(504, 'generation_timeout', `generation took longer than ${generationTimeoutMs} ms`);
    return new HttpError(499, 'client_closed', 'the client closed the connection');
  }

  function toGenerateRequest(request: ChatCompletionRequest, messages: ChatMessage[], signal: AbortSignal) {
    const maxNewTokens = request.max_completion_tokens ?? request.max_tokens ?? 256;
    if (maxNewTokens > maxTokensLimit)
      throw new HttpError(
        400,
        'max_tokens',
        `max_tokens ${maxNewTokens} is over this server's limit of ${maxTokensLimit}`,
      );
    const generate: GenerateRequest = { messages, maxNewTokens, signal };
    if (request.temperature !== undefined) generate.temperature = request.temperature;
    if (request.top_p !== undefined) generate.topP = request.top_p;
    if (request.seed !== undefined) generate.seed = request.seed;
    if (request.stop !== undefined) generate.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
    return generate;
  }

  /** Refuse before reading the body when the queue is already full: overload costs the server next to nothing. */
  function refuseEarlyWhenFull(): void {
    if (queue.size < maxQueue) return;
    counts.refused++;
    throw new HttpError(
      429,
      'queue_full',
      `the server is busy (${queue.pending} running, ${queue.size} waiting); retry later`,
      { 'retry-after': String(retryAfterSeconds()) },
    );
  }

  async function chatCompletions(req: IncomingMessage, res: ServerResponse, entry: Pending): Promise<void> {
    refuseEarlyWhenFull();
    const body = await readJson(req);
    const parsed = chatCompletionRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, 'invalid_request', describeZodError(parsed.error));
    const request = parsed.data;
    if (request.model !== undefined && !acceptedNames.has(request.model))
      throw new HttpError(
        404,
        'model_not_found',
        `model ${JSON.stringify(request.model)} is not served here; this server serves ${JSON.stringify(modelName)}${aliasNote}`,
      );
    const messages = await toChatMessages(request);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (!request.stream) {
      const result = await runQueued(entry, (signal) => model.generate(toGenerateRequest(request, messages, signal)));
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: modelName,
        choices: [
          { index: 0, message: { role: 'assistant', content: result.text }, finish_reason: result.finishReason },
        ],
        ...(result.timing ? { usage: { completion_tokens: result.timing.newTokens } } : {}),
      });
      return;
    }
    await runQueued(entry, async (signal) => {
      const generate = toGenerateRequest(request, messages, signal);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const chunk = (delta: Record<string, string>, finish: string | null) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: modelName, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      await writeSse(res, chunk({ role: 'assistant', content: '' }, null));
      try {
        for await (const delta of model.stream(generate)) {
          if (signal.aborted) break;
          await writeSse(res, chunk({ content: delta }, null));
        }
        if (signal.aborted) throw abortError(entry);
        // The runtime's stream does not say why it ended; "stop" is what OpenAI clients expect at the end.
        await writeSse(res, chunk({}, 'stop'));
        await writeSse(res, 'data: [DONE]\n\n');
      } catch (error) {
        const http = signal.aborted ? abortError(entry) : toHttpError(error);
        if (!res.destroyed)
          await writeSse(res, `data: ${JSON.stringify(errorBody(http.status, http.code, http.message))}\n\n`);
      }
      res.end();
    });
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const type = req.headers['content-type'] ?? '';
    // Also keeps web pages on other origins out: a cross-origin JSON POST needs a CORS preflight this server refuses.
    if (!/^application\/json\b/i.test(type))
      throw new HttpError(415, 'content_type', `send the body as application/json (got ${type || 'no content-type'})`);
    const raw = await readBody(req, maxBodyBytes, bodyBudget);
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (cause) {
      throw new HttpError(400, 'invalid_json', `the body is not JSON: ${(cause as Error).message}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const entry: Pending = { controller: new AbortController(), started: false };
    pending.add(entry);
    res.on('close', () => {
      pending.delete(entry);
      if (!res.writableFinished && !entry.controller.signal.aborted) {
        entry.reason ??= 'client';
        counts.aborted++;
        entry.controller.abort();
      }
      options.onRequest?.({
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        ms: performance.now() - started,
      });
    });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down');
      if (path === '/health' && req.method === 'GET') {
        sendJson(res, 200, { status: 'ok', model: modelName, running: queue.pending, queued: queue.size });
      } else if (path === '/v1/models' && req.method === 'GET') {
        sendJson(res, 200, {
          object: 'list',
          data: [{ id: modelName, object: 'model', created: 0, owned_by: 'locvlm' }],
        });
      } else if (path === '/v1/chat/completions') {
        if (req.method !== 'POST')
          throw new HttpError(405, 'method_not_allowed', 'use POST for /v1/chat/completions', { allow: 'POST' });
        await chatCompletions(req, res, entry);
        counts.served++;
      } else if (routes.has(`${req.method} ${path}`)) {
        const route = routes.get(`${req.method} ${path}`) as ExtraRoute;
        if (route.queued) refuseEarlyWhenFull();
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        const context = (signal: AbortSignal): RouteContext => ({ body, signal, model, resolveImage });
        const result = route.queued
          ? await runQueued(entry, (signal) => route.handle(context(signal)))
          : await route.handle(context(entry.controller.signal));
        sendJson(res, 200, result);
        counts.served++;
      } else {
        const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
        const notFound = () => sendError(res, new HttpError(404, 'not_found', `no route ${req.method} ${path}`));
        if (req.method === 'GET' && mount) {
          req.url = (req.url ?? '').slice(mount.prefix.length) || '/';
          mount.handler(req, res, notFound);
        } else if (req.method === 'GET' && staticHandler) staticHandler(req, res, notFound);
        else notFound();
      }
    } catch (error) {
      const http = toHttpError(error);
      // An unread body (refused early, or cut at the size limit) is drained and dropped so the client's upload
      // ends normally and it reads our answer instead of a reset connection.
      if (!req.complete) req.resume();
      if (res.headersSent) res.end();
      else sendError(res, http);
    }
  }

  // requestTimeout bounds receiving a request (not streaming the answer): a client trickling its body is cut off.
  const server = createServer({ requestTimeout: 60_000, keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  return {
    server,
    listen: () =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shown}:${address.port}`);
        });
      }),
    async close(graceMs = 5000) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const entry of pending) {
        if (!entry.started) {
          entry.reason = 'shutdown';
          entry.controller.abort();
        }
      }
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([queue.onPendingZero(), deadline]);
      for (const entry of pending) {
        entry.reason ??= 'shutdown';
        entry.controller.abort();
      }
      // Let aborted handlers write their last bytes before the sockets go.
      await new Promise((resolve) => setTimeout(resolve, 50));
      server.closeAllConnections();
      await stopped;
    },
    stats: () => ({ running: queue.pending, queued: queue.size, ...counts }),
  };
}

/** Write one SSE event, waiting for the socket to drain (a slow reader slows the generator, not our memory). */
function writeSse(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
