// Any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp server, `locvlm serve`) as a
// VisionLanguageModel: images go as data: URLs in image_url parts, streaming uses server-sent events, several
// endpoints share the load with bounded concurrency, and 429 / 5xx / timeouts are retried with backoff.
import { RuntimeError } from '../errors.js';
import { describeSource, type ImageLimits, readImageSource } from '../image/source.js';
import type {
  ChatMessage,
  ContentPart,
  GenerateRequest,
  GenerateResult,
  ImageSource,
  VisionLanguageModel,
} from '../model.js';

/** One OpenAI-compatible server: its base URL and, optionally, its own API key. */
export interface OpenAIEndpoint {
  /** Base URL without the `/v1/chat/completions` suffix, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  apiKey?: string;
  /** Model name for this endpoint (default: the model option). */
  model?: string;
  headers?: Record<string, string>;
}

/** A pool of OpenAI-compatible servers serving one model, with concurrency, retries and limits. */
export interface OpenAIModelOptions {
  /** One endpoint or several; each request goes to the least busy one. */
  endpoints: Array<string | OpenAIEndpoint>;
  /** The `model` field sent to the server. */
  model: string;
  /** Bearer token for endpoints that have none of their own. */
  apiKey?: string;
  /** Requests in flight per endpoint (default 4); more wait in line. */
  maxConcurrencyPerEndpoint?: number;
  /** Retries after a 429, a 5xx, a network error or a timeout (default 3). */
  maxRetries?: number;
  /** First backoff delay; doubles each retry, with jitter (default 500 ms). A Retry-After header wins. */
  retryBaseDelayMs?: number;
  /** Longest wait for one HTTP attempt (default 120 s); for streams, the wait for the response headers. */
  timeoutMs?: number;
  /** Encoded image size limit; `allowRemote` passes http(s) image URLs to the server unchanged. */
  imageLimits?: ImageLimits;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

interface EndpointState extends OpenAIEndpoint {
  url: string;
  inFlight: number;
}

type WireContent = string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;

/** Media type of encoded image bytes from their signature, or undefined. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const b = (i: number) => bytes[i] ?? -1;
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'image/png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'image/jpeg';
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'image/gif';
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45)
    return 'image/webp';
  if (b(0) === 0x42 && b(1) === 0x4d) return 'image/bmp';
  return undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new RuntimeError('ABORTED', 'request was aborted'));
      },
      { once: true },
    );
  });

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp, `locvlm serve`) as a model. */
export class OpenAICompatibleModel implements VisionLanguageModel {
  readonly id: string;
  private readonly endpoints: EndpointState[];
  private readonly waiting: Array<() => void> = [];
  private readonly fetchImpl: typeof fetch;
  private closed = false;

  constructor(private readonly options: OpenAIModelOptions) {
    if (!options.endpoints?.length) throw new RuntimeError('BAD_INPUT', 'an OpenAI-compatible model needs an endpoint');
    if (!options.model) throw new RuntimeError('BAD_INPUT', 'an OpenAI-compatible model needs a model name');
    this.endpoints = options.endpoints.map((e) => {
      const ep = typeof e === 'string' ? { baseUrl: e } : e;
      let base: URL;
      try {
        base = new URL(ep.baseUrl);
      } catch (cause) {
        throw new RuntimeError('BAD_INPUT', `endpoint base URL ${ep.baseUrl} is not a URL`, { cause });
      }
      const url = `${base.href.replace(/\/+$/, '')}/v1/chat/completions`;
      return { ...ep, url, inFlight: 0 };
    });
    this.id = `${this.endpoints.map((e) => e.baseUrl).join(',')}#${options.model}`;
    this.fetchImpl = options.fetch ?? fetch;
  }

  private get perEndpoint(): number {
    return this.options.maxConcurrencyPerEndpoint ?? 4;
  }

  /** Take a slot on the least busy endpoint, waiting while all are full. */
  private async acquire(signal?: AbortSignal): Promise<EndpointState> {
    for (;;) {
      if (this.closed) throw new RuntimeError('BACKEND', `model ${this.id} is closed`);
      if (signal?.aborted) throw new RuntimeError('ABORTED', 'request was aborted');
      const free = this.endpoints
        .filter((e) => e.inFlight < this.perEndpoint)
        .sort((a, b) => a.inFlight - b.inFlight)[0];
      if (free) {
        free.inFlight++;
        return free;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(endpoint: EndpointState): void {
    endpoint.inFlight--;
    this.waiting.shift()?.();
  }

  private async imageUrl(source: ImageSource): Promise<string> {
    if ('url' in source && typeof source.url === 'string') {
      if (source.url.startsWith('data:')) return source.url;
      if (/^https?:/i.test(source.url) && this.options.imageLimits?.allowRemote) return source.url;
    }
    const bytes = await readImageSource(source, this.options.imageLimits ?? {});
    const type = sniffImageType(bytes);
    if (!type) throw new RuntimeError('IMAGE', `${describeSource(source)} is not a PNG, JPEG, GIF, WebP or BMP image`);
    return `data:${type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
  }

  private async wireMessages(messages: ChatMessage[]): Promise<Array<{ role: string; content: WireContent }>> {
    if (!Array.isArray(messages) || messages.length === 0)
      throw new RuntimeError('BAD_INPUT', 'messages must be a non-empty array');
    return Promise.all(
      messages.map(async (m, i) => {
        if (typeof m.content === 'string') return { role: m.role, content: m.content };
        if (!Array.isArray(m.content))
          throw new RuntimeError('BAD_INPUT', `messages[${i}].content must be a string or parts`);
        const parts = await Promise.all(
          m.content.map(async (p: ContentPart) => {
            if (p.type === 'text') return [{ type: 'text' as const, text: p.text }];
            if (p.type === 'image')
              return [{ type: 'image_url' as const, image_url: { url: await this.imageUrl(p.image) } }];
            if (p.type === 'video') {
              // Chat-completions has no video part: frames go as images in time order.
              return Promise.all(
                p.frames.map(async (f) => ({ type: 'image_url' as const, image_url: { url: await this.imageUrl(f) } })),
              );
            }
            throw new RuntimeError(
              'BAD_INPUT',
              `messages[${i}] has a part of unknown type ${(p as { type: string }).type}`,
            );
          }),
        );
        return { role: m.role, content: parts.flat() };
      }),
    );
  }

  private async body(request: GenerateRequest, model: string, stream: boolean): Promise<string> {
    const body: Record<string, unknown> = {
      model,
      messages: await this.wireMessages(request.messages),
      max_tokens: request.maxNewTokens ?? 128,
      temperature: request.temperature ?? 0,
      stream,
    };
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.seed !== undefined) body.seed = request.seed;
    if (request.stop?.length) body.stop = request.stop;
    return JSON.stringify(body);
  }

  /** POST with retries; returns the response of the first attempt with a 2xx status. */
  private async post(request: GenerateRequest, stream: boolean): Promise<{ response: Response; release: () => void }> {
    const maxRetries = this.options.maxRetries ?? 3;
    const base = this.options.retryBaseDelayMs ?? 500;
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    let lastError: unknown;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const endpoint = await this.acquire(request.signal);
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          this.release(endpoint);
        }
      };
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      try {
        const body = await this.body(request, endpoint.model ?? this.options.model, stream);
        const apiKey = endpoint.apiKey ?? this.options.apiKey;
        let response: Response;
        try {
          response = await this.fetchImpl(endpoint.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: stream ? 'text/event-stream' : 'application/json',
              ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
              ...endpoint.headers,
            },
            body,
            signal,
          });
        } catch (cause) {
          if (request.signal?.aborted) throw new RuntimeError('ABORTED', 'request was aborted', { cause });
          const timedOut = timeout.aborted;
          throw new RetryableError(
            timedOut
              ? `POST ${endpoint.url} timed out after ${timeoutMs} ms`
              : `POST ${endpoint.url} failed: ${(cause as Error).message}`,
            undefined,
            { cause },
          );
        }
        if (response.ok) return { response, release };
        const text = await response.text().catch(() => '');
        const detail = errorDetail(text);
        const message = `POST ${endpoint.url}: HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
        if (response.status === 429 || response.status >= 500) {
          const retryAfter = Number(response.headers.get('retry-after'));
          throw new RetryableError(
            message,
            Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
          );
        }
        throw new RuntimeError('BACKEND', message);
      } catch (error) {
        release();
        if (!(error instanceof RetryableError)) throw error;
        lastError = error;
        if (attempt === maxRetries) break;
        const backoff = base * 2 ** attempt * (0.5 + Math.random() / 2);
        await sleep(Math.min(error.retryAfterMs ?? backoff, 60_000), request.signal);
      }
    }
    throw new RuntimeError('BACKEND', `${(lastError as Error).message} (gave up after ${maxRetries + 1} attempts)`, {
      cause: lastError,
    });
  }

  /** Send the chat to one of the endpoints (with retries) and return its answer. */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const t0 = performance.now();
    const { response, release } = await this.post(request, false);
    try {
      let json: unknown;
      try {
        json = await response.json();
      } catch (cause) {
        throw new RuntimeError('BACKEND', `${response.url || 'server'} sent a body that is not JSON`, { cause });
      }
      const choice = (json as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: string }> })
        .choices?.[0];
      const content = choice?.message?.content;
      if (typeof content !== 'string')
        throw new RuntimeError(
          'BACKEND',
          `server reply has no choices[0].message.content: ${JSON.stringify(json).slice(0, 200)}`,
        );
      const usage = (json as { usage?: { completion_tokens?: number } }).usage;
      const result: GenerateResult = {
        text: content,
        finishReason: choice?.finish_reason === 'length' ? 'length' : 'stop',
      };
      if (request.details) {
        const totalMs = performance.now() - t0;
        result.timing = { promptMs: totalMs, firstTokenMs: totalMs, totalMs, newTokens: usage?.completion_tokens ?? 0 };
      }
      return result;
    } finally {
      release();
    }
  }

  async *stream(request: GenerateRequest): AsyncGenerator<string, GenerateResult | undefined> {
    const { response, release } = await this.post(request, true);
    // What the server said about how the answer ended (its last chunk's finish_reason), and the text so far.
    let text = '';
    let finishReason: GenerateResult['finishReason'] | undefined;
    const ended = (): GenerateResult | undefined => (finishReason ? { text, finishReason } : undefined);
    try {
      if (!response.body) throw new RuntimeError('BACKEND', 'streaming response has no body');
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') return ended();
          let event: {
            choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
            error?: { message?: string };
          };
          try {
            event = JSON.parse(data);
          } catch (cause) {
            throw new RuntimeError('BACKEND', `server sent an event that is not JSON: ${data.slice(0, 200)}`, {
              cause,
            });
          }
          if (event.error) throw new RuntimeError('BACKEND', `server error in stream: ${event.error.message ?? data}`);
          const reason = event.choices?.[0]?.finish_reason;
          if (reason === 'length') finishReason = 'length';
          else if (typeof reason === 'string') finishReason = 'stop';
          const delta = event.choices?.[0]?.delta?.content;
          if (delta) {
            text += delta;
            yield delta;
          }
        }
      }
      return ended();
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      if (request.signal?.aborted) throw new RuntimeError('ABORTED', 'request was aborted', { cause: error });
      throw new RuntimeError('BACKEND', `stream broke off: ${(error as Error).message}`, { cause: error });
    } finally {
      release();
    }
  }

  /** Several requests at once, bounded by the endpoints' concurrency. */
  generateBatch(requests: GenerateRequest[]): Promise<GenerateResult[]> {
    return Promise.all(requests.map((r) => this.generate(r)));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof json.error === 'string') return json.error;
    return json.error?.message ?? json.message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

/** An OpenAI-compatible chat-completions server (or several) as a model. */
export function createOpenAIModel(options: OpenAIModelOptions): OpenAICompatibleModel {
  return new OpenAICompatibleModel(options);
}
