// An OpenAI-compatible chat-completions server in front of any VisionLanguageModel (`locvlm serve`, `locvlm studio`).
// node:http is enough for three JSON routes; what needs care is done here on purpose: every request's cost is bounded
// before work starts (body bytes, characters of text, number of images, decoded pixels, all checked before any image
// is decoded or the model is called), a bounded queue in front of the model (429 beyond it, never an unbounded wait),
// aborting generation when the client goes away, a Host check against DNS rebinding, and a shutdown that answers
// every queued request.
import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ChatMessage,
  type ContentPart,
  type GenerateRequest,
  type GenerateResult,
  parseDataUrl,
  RuntimeError,
  readImageSource,
  sniffImageType,
  type VisionLanguageModel,
} from '@locvlm/runtime';
import PQueue from 'p-queue';
import sharp from 'sharp';
import sirv from 'sirv';
import { folderFiles, isInsideFolder } from './folder-files.js';
import { createHostCheck } from './host-check.js';
import { type BodyLimits, JsonBodyWorker, type ParsedBody, requestStats, type WorkerBody } from './json-body.js';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  describeZodError,
  MAX_CONTENT_PARTS,
  MAX_JSON_VALUES,
  MAX_MESSAGES,
} from './schema.js';

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
  /**
   * An image_url string (data: URL, or a file under the allowed root) checked against the limits, as bytes. Each
   * call counts against the request's limits (number of images, total decoded pixels), read from the image header.
   */
  resolveImage(url: string, where: string): Promise<Uint8Array>;
}

/** A JSON route beside the OpenAI ones (the Studio's), run with the same limits and, when `queued`, the same queue. */
export interface ExtraRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Run through the model queue (true for anything that calls the model). */
  queued: boolean;
  handle(context: RouteContext): Promise<unknown>;
}

/** How `createChatCompletionServer` listens, what it serves, and the limits every request is held to. */
export interface ChatServerOptions {
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /**
   * More names the `Host` header may carry (`*`: any; `.example.org`: the domain and its subdomains). Always accepted:
   * localhost, 127.0.0.1, [::1] and the bound address (with any port); when bound to 0.0.0.0 or ::, also any IP
   * literal and this machine's host name. Other names get 403 (a DNS-rebinding page could otherwise read the server).
   */
  allowedHosts?: readonly string[];
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
  /** Largest decoded image, width * height from its header (default 40 megapixels); beyond it 413. */
  maxImagePixels?: number;
  /**
   * Characters of text in one request, across every message's text (default 65536); beyond it 400, checked right
   * after the body is parsed, before any image is looked at or a token is counted.
   */
  maxTextChars?: number;
  /** Images in one request (default 8); beyond it 400, before any image is read. */
  maxImages?: number;
  /**
   * Decoded pixels of all images of one request together, width * height from each header (default 48 megapixels);
   * beyond it 413 naming the image that passes it, before any image is decoded.
   */
  maxRequestPixels?: number;
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
  /**
   * Called once per finished request (the CLI logs it; the library never prints). `status` is 499 when the client
   * went away before the answer was complete.
   */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
}

/** The request limits a server applies when its options leave them out. */
export const DEFAULT_REQUEST_LIMITS = {
  maxBodyBytes: 24 * 1024 * 1024,
  maxImageBytes: 16 * 1024 * 1024,
  maxImagePixels: 40_000_000,
  maxTextChars: 65_536,
  maxImages: 8,
  maxRequestPixels: 48_000_000,
} as const;

/** Counters of a running server (`stats()`). */
export interface ChatServerStats {
  running: number;
  queued: number;
  served: number;
  refused: number;
  aborted: number;
}

/** A server made by `createChatCompletionServer`: start it, stop it, read its counters. */
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

/** Bodies over this many bytes are parsed on the JSON worker thread, chunk by chunk as they arrive. */
const WORKER_BODY_BYTES = 1024 * 1024;

/** A received body: its bytes (small), or its handle on the worker that holds it (large). */
type ReceivedBody = { bytes: Buffer; worker?: undefined } | { worker: WorkerBody; bytes?: undefined };

/**
 * Read the request body, refusing with 413 as soon as it passes `limit` bytes, and with 503 when the bodies being
 * received at once would pass the shared budget (many large uploads at once cannot exhaust memory). Past
 * WORKER_BODY_BYTES the chunks go to `worker` instead of piling up here.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  budget: BodyBudget,
  worker: JsonBodyWorker,
): Promise<ReceivedBody> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(
      new HttpError(413, 'body_too_large', `request body is ${declared} bytes, over the limit of ${limit} bytes`, {
        connection: 'close',
      }),
    );
  }
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let parsing: WorkerBody | undefined;
    const settle = (error?: HttpError | Error) => {
      if (settled) return;
      settled = true;
      budget.reading -= size;
      if (error) {
        req.removeAllListeners('data');
        parsing?.abort();
        reject(error);
      } else resolve(parsing ? { worker: parsing } : { bytes: Buffer.concat(chunks) });
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
      else if (parsing) parsing.push(chunk);
      else {
        chunks.push(chunk);
        if (size > WORKER_BODY_BYTES) {
          parsing = worker.begin();
          for (const c of chunks) parsing.push(c);
          chunks = [];
        }
      }
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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_REQUEST_LIMITS.maxBodyBytes;
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_REQUEST_LIMITS.maxImageBytes;
  const bodyBudget: BodyBudget = { reading: 0, max: options.maxReceivingBytes ?? 256 * 1024 * 1024 };
  const maxImagePixels = options.maxImagePixels ?? DEFAULT_REQUEST_LIMITS.maxImagePixels;
  const maxTextChars = options.maxTextChars ?? DEFAULT_REQUEST_LIMITS.maxTextChars;
  const maxImages = options.maxImages ?? DEFAULT_REQUEST_LIMITS.maxImages;
  const maxRequestPixels = options.maxRequestPixels ?? DEFAULT_REQUEST_LIMITS.maxRequestPixels;
  const hostCheck = createHostCheck(host, options.allowedHosts);
  const bodyLimits: BodyLimits = {
    chars: maxTextChars,
    images: maxImages,
    messages: MAX_MESSAGES,
    parts: MAX_CONTENT_PARTS,
    values: MAX_JSON_VALUES,
  };
  const jsonWorker = new JsonBodyWorker();
  const maxQueue = options.maxQueue ?? 32;
  const generationTimeoutMs = options.generationTimeoutMs ?? 300_000;
  const maxTokensLimit = options.maxTokensLimit ?? 2048;
  const queue = new PQueue({ concurrency: Math.max(1, options.maxConcurrent ?? 1) });
  const pending = new Set<Pending>();
  const counts = { served: 0, refused: 0, aborted: 0 };
  const staticHandler = options.staticDir ? sirv(options.staticDir, { dev: false, etag: true }) : undefined;
  const mounts = Object.entries(options.staticMounts ?? {}).map(([prefix, dir]) => ({
    prefix: prefix.replace(/\/+$/, ''),
    handler: folderFiles(dir),
  }));
  const routes = new Map((options.routes ?? []).map((r) => [`${r.method} ${r.path}`, r]));
  const rootAsGiven = options.allowRoot !== undefined ? resolve(options.allowRoot) : undefined;
  let allowedRoot: Promise<string> | undefined;
  let closing = false;
  // Requests holding a place in the queue while their body is parsed and checked (see reservePlace).
  let preparing = 0;
  // Mean generation time, for Retry-After.
  let meanMs = 1000;

  /** Check an encoded image against the limits from its header alone (nothing is decoded); returns its pixels. */
  async function checkImageBytes(bytes: Uint8Array, where: string): Promise<{ width: number; height: number }> {
    if (bytes.byteLength > maxImageBytes)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: image is ${bytes.byteLength} bytes, over the limit of ${maxImageBytes}`,
      );
    if (!sniffImageType(bytes))
      throw new HttpError(400, 'bad_image', `${where}: not a PNG, JPEG, GIF, WebP or BMP image`);
    let width: number;
    let height: number;
    try {
      const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
      width = meta.width ?? 0;
      height = meta.height ?? 0;
    } catch (cause) {
      throw new HttpError(400, 'bad_image', `${where}: cannot read the image header (${(cause as Error).message})`);
    }
    const pixels = width * height;
    if (pixels === 0) throw new HttpError(400, 'bad_image', `${where}: the image has no size`);
    if (pixels > maxImagePixels)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: image is ${width}x${height}, ${pixels} pixels, over the limit of ${maxImagePixels}`,
      );
    return { width, height };
  }

  /** The refusal for any local path that is not a file inside the allowed root: one message, so no existence oracle. */
  function refusedFile(where: string, path: string): HttpError {
    return new HttpError(
      400,
      'local_file_refused',
      `${where}: file ${path} is outside the allowed root ${rootAsGiven} or does not exist`,
    );
  }

  /** Bytes of a local file under --allow-root: inside the root as written, and again once symlinks are resolved. */
  async function readLocalImage(path: string, where: string): Promise<Uint8Array> {
    if (rootAsGiven === undefined)
      throw new HttpError(
        400,
        'local_file_refused',
        `${where}: local files are off on this server (start it with --allow-root DIR)`,
      );
    // Lexically first: a path that names a place outside the root is refused without touching the file system.
    const lexical = resolve(path);
    if (!isInsideFolder(rootAsGiven, lexical)) throw refusedFile(where, path);
    allowedRoot ??= realpath(rootAsGiven);
    const root = await allowedRoot;
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw refusedFile(where, path);
    }
    if (!isInsideFolder(root, real)) throw refusedFile(where, path);
    const info = await stat(real);
    if (!info.isFile()) throw new HttpError(400, 'bad_image', `${where}: ${path} is not a regular file`);
    if (info.size > maxImageBytes)
      throw new HttpError(
        413,
        'image_too_large',
        `${where}: file ${path} is ${info.size} bytes, over the limit of ${maxImageBytes}`,
      );
    return readImageSource({ path: real }, { maxBytes: maxImageBytes });
  }

  /** An image_url's encoded bytes (no header check yet). */
  async function imageBytes(url: string, where: string): Promise<Uint8Array> {
    if (url.startsWith('data:')) {
      // Base64 is 4/3 of the bytes: refuse before decoding when it cannot fit.
      if (url.length > (maxImageBytes * 4) / 3 + 256)
        throw new HttpError(
          413,
          'image_too_large',
          `${where}: data URL is over the image limit of ${maxImageBytes} bytes`,
        );
      try {
        return parseDataUrl(url).bytes;
      } catch (cause) {
        throw new HttpError(400, 'bad_image', `${where}: ${(cause as Error).message}`);
      }
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
    return readLocalImage(path, where);
  }

  /**
   * A resolver for one request's images, one at a time: each is counted against the request's number of images and,
   * from its header, against the request's decoded-pixel budget before anything is decoded.
   */
  function imageResolver(): { resolve(url: string, where: string): Promise<Uint8Array>; images: ResolvedImage[] } {
    const images: ResolvedImage[] = [];
    let pixels = 0;
    return {
      images,
      async resolve(url, where) {
        if (images.length >= maxImages) throw tooManyImages(images.length + 1);
        const bytes = await imageBytes(url, where);
        const { width, height } = await checkImageBytes(bytes, where);
        pixels += width * height;
        if (pixels > maxRequestPixels)
          throw new HttpError(
            413,
            'too_many_pixels',
            `${where} (${width}x${height}) brings the request's images to ${pixels} decoded pixels, over this ` +
              `server's limit of ${maxRequestPixels} per request (--max-megapixels)`,
          );
        images.push({ where, bytes });
        return bytes;
      },
    };
  }

  function tooManyImages(count: number): HttpError {
    return new HttpError(
      400,
      'too_many_images',
      `the request has ${count} images, over this server's limit of ${maxImages} per request (--max-images)`,
    );
  }

  /**
   * The cheap checks, right after parsing and before any image or token work: the body's structure (messages,
   * content parts, JSON values), characters of text across the request (stop strings included), number of images.
   */
  function checkRequestSize({ stats, value }: ParsedBody): void {
    if (stats.messages > MAX_MESSAGES)
      throw new HttpError(
        400,
        'too_many_messages',
        `messages has ${stats.messages} entries, over this server's limit of ${MAX_MESSAGES}`,
      );
    if (stats.parts > MAX_CONTENT_PARTS)
      throw new HttpError(
        400,
        'too_many_parts',
        `the messages have ${stats.parts} content parts, over this server's limit of ${MAX_CONTENT_PARTS}`,
      );
    if (stats.values > MAX_JSON_VALUES)
      throw new HttpError(
        400,
        'body_too_complex',
        `the body has ${stats.values} JSON values, over this server's limit of ${MAX_JSON_VALUES}`,
      );
    if (stats.chars > maxTextChars)
      throw new HttpError(
        400,
        'text_too_long',
        `the request's text is ${stats.chars} characters, over this server's limit of ${maxTextChars} (--max-text-chars)`,
      );
    if (stats.images > maxImages) throw tooManyImages(stats.images);
    if (value === undefined)
      throw new HttpError(500, 'internal_error', 'the JSON worker dropped a body that is within the limits');
  }

  /** The request's messages with images as bytes, resolved one image after the other (never all at once). */
  async function toChatMessages(
    request: ChatCompletionRequest,
    resolver: ReturnType<typeof imageResolver>,
  ): Promise<ChatMessage[]> {
    const messages: ChatMessage[] = [];
    for (const [i, m] of request.messages.entries()) {
      if (typeof m.content === 'string') {
        messages.push({ role: m.role, content: m.content });
        continue;
      }
      const parts: ContentPart[] = [];
      for (const [j, part] of m.content.entries()) {
        if (part.type === 'text') parts.push({ type: 'text', text: part.text });
        else {
          const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
          const bytes = await resolver.resolve(url, `messages[${i}].content[${j}].image_url`);
          parts.push({ type: 'image', image: { bytes } });
        }
      }
      messages.push({ role: m.role, content: parts });
    }
    return messages;
  }

  function retryAfterSeconds(): number {
    const ahead = queue.size + queue.pending;
    return Math.max(1, Math.ceil((ahead * meanMs) / queue.concurrency / 1000));
  }

  /** Run `task` when a slot frees up; refuse at once when the queue is full. Settles on abort in every state. */
  async function runQueued<T>(
    entry: Pending,
    task: (signal: AbortSignal) => Promise<T>,
    release: () => void = () => {},
  ): Promise<T> {
    release();
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

  /**
   * Refuse when the queue is full, counting the requests being prepared (body received, being parsed and checked)
   * as queued: called before the body is read, and again once it has arrived, so a burst of requests is refused
   * before any of them is parsed beyond the queue's room (overload costs the server next to nothing).
   */
  function refuseWhenFull(): void {
    if (queue.size + preparing < maxQueue) return;
    counts.refused++;
    throw new HttpError(
      429,
      'queue_full',
      `the server is busy (${queue.pending} running, ${queue.size + preparing} waiting); retry later`,
      { 'retry-after': String(retryAfterSeconds()) },
    );
  }

  /**
   * Hold a place in the queue for a request whose body has arrived, while it is parsed and its images are checked;
   * the returned function gives the place back (when the request enters the queue or fails). Idempotent.
   */
  function reservePlace(): () => void {
    refuseWhenFull();
    preparing++;
    let held = true;
    return () => {
      if (held) {
        held = false;
        preparing--;
      }
    };
  }

  async function chatCompletions(req: IncomingMessage, res: ServerResponse, entry: Pending): Promise<void> {
    refuseWhenFull();
    let release = () => {};
    try {
      // Once the body has arrived and passed the cheap checks it holds a place in the queue (or gets 429), before
      // the schema, its images or the model.
      const body = await readJson(req, () => {
        release = reservePlace();
      });
      await answerChat(res, entry, body, release);
    } finally {
      release();
    }
  }

  /** A chat request whose body has arrived: validate, resolve its images, queue it, answer whole or streamed. */
  async function answerChat(res: ServerResponse, entry: Pending, body: unknown, release: () => void): Promise<void> {
    const parsed = chatCompletionRequestSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, 'invalid_request', describeZodError(parsed.error));
    const request = parsed.data;
    if (request.model !== undefined && !acceptedNames.has(request.model))
      throw new HttpError(
        404,
        'model_not_found',
        `model ${JSON.stringify(request.model)} is not served here; this server serves ${JSON.stringify(modelName)}${aliasNote}`,
      );
    const resolver = imageResolver();
    const messages = await toChatMessages(request, resolver);
    const images = resolver.images;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (!request.stream) {
      const result = await runQueued(
        entry,
        (signal) =>
          model.generate(toGenerateRequest(request, messages, signal)).catch((error: unknown) => {
            throw nameImageInError(error, images);
          }),
        release,
      );
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
    await runQueued(
      entry,
      async (signal) => {
        const generate = toGenerateRequest(request, messages, signal);
        const iterator = model.stream(generate)[Symbol.asyncIterator]();
        // Nothing is sent until the model produced its first delta (or finished): an error before that (prompt too
        // long, an image that does not decode) gets the same status and body as the same request unstreamed.
        let step: IteratorResult<string, GenerateResult | undefined>;
        try {
          step = await iterator.next();
        } catch (error) {
          if (signal.aborted) throw abortError(entry);
          throw nameImageInError(error, images);
        }
        let ended = step.done === true;
        try {
          if (signal.aborted) throw abortError(entry);
          res.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            connection: 'keep-alive',
            'x-accel-buffering': 'no',
          });
          const chunk = (delta: Record<string, string>, finish: string | null) =>
            `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: modelName, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
          try {
            await writeSse(res, chunk({ role: 'assistant', content: '' }, null));
            while (!step.done) {
              if (signal.aborted) break;
              await writeSse(res, chunk({ content: step.value }, null));
              step = await iterator.next();
            }
            ended = step.done === true;
            if (signal.aborted) throw abortError(entry);
            // The iterator's return value is the finished GenerateResult: "length" when max_tokens cut the answer.
            await writeSse(res, chunk({}, (step.done ? step.value?.finishReason : undefined) ?? 'stop'));
          } catch (error) {
            ended = true;
            const http = signal.aborted ? abortError(entry) : toHttpError(nameImageInError(error, images));
            await writeSse(res, `data: ${JSON.stringify(errorBody(http.status, http.code, http.message))}\n\n`);
          }
          // Every stream ends with [DONE], after an error event too (as vLLM does), so clients stop reading.
          await writeSse(res, 'data: [DONE]\n\n');
          res.end();
        } finally {
          // Left early (client gone, timeout): let the model's generator run its cleanup.
          if (!ended) await iterator.return?.().catch(() => {});
        }
      },
      release,
    );
  }

  /**
   * The body as JSON, refused (before the schema, any image or the model sees it) when it has too many messages,
   * parts or JSON values, too many characters of text or too many images; then `onReceived` runs (the queue
   * reservation). A large body is parsed and counted on the worker thread: the event loop never decodes or parses
   * megabytes at once, and parsing a small one costs microseconds.
   */
  async function readJson(req: IncomingMessage, onReceived?: () => void): Promise<unknown> {
    const type = req.headers['content-type'] ?? '';
    // Also keeps web pages on other origins out: a cross-origin JSON POST needs a CORS preflight this server refuses.
    if (!/^application\/json\b/i.test(type))
      throw new HttpError(415, 'content_type', `send the body as application/json (got ${type || 'no content-type'})`);
    const received = await readBody(req, maxBodyBytes, bodyBudget, jsonWorker);
    let parsed: ParsedBody;
    try {
      if (received.worker) parsed = await received.worker.end(bodyLimits);
      else {
        const value: unknown = JSON.parse(received.bytes.toString('utf8'));
        parsed = { stats: requestStats(value), value };
      }
    } catch (cause) {
      if (cause instanceof SyntaxError)
        throw new HttpError(400, 'invalid_json', `the body is not JSON: ${cause.message}`);
      throw cause;
    }
    // A request that can never be answered (too long, too many images) gets its 400 whatever the load; then, before
    // any schema, image or model work, the caller takes a place in the queue (or gives a 429).
    checkRequestSize(parsed);
    onReceived?.();
    return parsed.value;
  }

  /** Run one of the extra routes (the Studio's): parsed like a chat request, queued when it calls the model. */
  async function extraRoute(req: IncomingMessage, route: ExtraRoute, entry: Pending): Promise<unknown> {
    let release = () => {};
    try {
      if (route.queued) refuseWhenFull();
      const body =
        req.method === 'POST'
          ? await readJson(
              req,
              route.queued
                ? () => {
                    release = reservePlace();
                  }
                : undefined,
            )
          : undefined;
      const resolver = imageResolver();
      const context = (signal: AbortSignal): RouteContext => ({
        body,
        signal,
        model,
        resolveImage: resolver.resolve,
      });
      if (!route.queued) return await route.handle(context(entry.controller.signal));
      return await runQueued(
        entry,
        (signal) =>
          route.handle(context(signal)).catch((error: unknown) => {
            throw nameImageInError(error, resolver.images);
          }),
        release,
      );
    } finally {
      release();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const entry: Pending = { controller: new AbortController(), started: false };
    pending.add(entry);
    res.on('close', () => {
      pending.delete(entry);
      const unfinished = !res.writableFinished;
      if (unfinished && !entry.controller.signal.aborted) {
        entry.reason ??= 'client';
        counts.aborted++;
        entry.controller.abort();
      }
      options.onRequest?.({
        method: req.method ?? '',
        path: req.url ?? '',
        // The client went away before the whole answer was sent: 499, as nginx logs it, not the status we began.
        status: unfinished && entry.reason === 'client' ? 499 : res.statusCode,
        ms: performance.now() - started,
      });
    });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (!hostCheck.allows(req.headers.host))
        throw new HttpError(
          403,
          'host_not_allowed',
          `Host ${JSON.stringify(req.headers.host)} is not a name this server answers to (${hostCheck.describe()}); ` +
            'start it with --allowed-hosts NAME to accept it',
        );
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
        sendJson(res, 200, await extraRoute(req, route, entry));
        counts.served++;
      } else {
        const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
        const notFound = () => sendError(res, new HttpError(404, 'not_found', `no route ${req.method} ${path}`));
        if (req.method === 'GET' && mount) {
          req.url = (req.url ?? '').slice(mount.prefix.length) || '/';
          await mount.handler(req, res, notFound);
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
          jsonWorker.start();
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
      await jsonWorker.close();
    },
    stats: () => ({ running: queue.pending, queued: queue.size, ...counts }),
  };
}

/** An image of a request, with the place in the request it came from (for error messages). */
interface ResolvedImage {
  where: string;
  bytes: Uint8Array;
}

/**
 * The model's image errors name the image by its size (`image bytes (1812 B)`); say which part of the request it is:
 * the only image, or the one of that size.
 */
function nameImageInError(error: unknown, images: readonly ResolvedImage[]): unknown {
  if (!(error instanceof RuntimeError) || error.code !== 'IMAGE' || images.length === 0) return error;
  const size = /image bytes \((\d+) B\)/.exec(error.message)?.[1];
  const matching = size === undefined ? [] : images.filter((i) => i.bytes.byteLength === Number(size));
  const named = matching.length > 0 ? matching : images.length === 1 ? images : [];
  if (named.length === 0) return error;
  return new HttpError(400, 'bad_image', `${named.map((i) => i.where).join(' or ')}: ${error.message}`);
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
