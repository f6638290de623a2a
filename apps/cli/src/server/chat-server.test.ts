import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createOpenAIModel,
  type GenerateRequest,
  type GenerateResult,
  loadOnnxModel,
  type OnnxVisionLanguageModel,
  RuntimeError,
  type VisionLanguageModel,
} from '@locvlm/runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUrl, GatedModel, shapesPng, tinyModelDir } from '../test-helpers.js';
import { type ChatCompletionServer, createChatCompletionServer, servedModelName } from './chat-server.js';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface ErrorBody {
  error: { message: string; code: string; type: string };
}
const errorOf = async (response: Response) => ((await response.json()) as ErrorBody).error;

const imageMessage = (url: string, text = 'What is this?') => [
  {
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url } },
      { type: 'text', text },
    ],
  },
];

describe('chat-completions server on the tiny model', () => {
  let model: OnnxVisionLanguageModel;
  let server: ChatCompletionServer;
  let url: string;
  let root: string;
  let png: Buffer;

  beforeAll(async () => {
    model = await loadOnnxModel(tinyModelDir);
    root = await mkdtemp(join(tmpdir(), 'locvlm-serve-'));
    png = await shapesPng();
    await writeFile(join(root, 'scene.png'), png);
    server = createChatCompletionServer(model, { port: 0, allowRoot: root, maxBodyBytes: 2_000_000 });
    url = await server.listen();
  });

  afterAll(async () => {
    await server.close(0);
    await model.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers through createOpenAIModel like a local call (greedy, same text)', async () => {
    const client = createOpenAIModel({ endpoints: [url], model: 'tiny-llava', maxRetries: 0 });
    const messages = [
      {
        role: 'user' as const,
        content: [
          { type: 'image' as const, image: { bytes: new Uint8Array(png) } },
          { type: 'text' as const, text: 'Where is the red circle?' },
        ],
      },
    ];
    const remote = await client.generate({ messages, maxNewTokens: 12 });
    const local = await model.generate({ messages, maxNewTokens: 12 });
    expect(remote.text).toBe(local.text);
    expect(remote.text.length).toBeGreaterThan(0);
    expect(remote.finishReason).toBe(local.finishReason);
    let streamed = '';
    for await (const delta of client.stream({ messages, maxNewTokens: 12 })) streamed += delta;
    expect(streamed).toBe(local.text);
    await client.close();
  });

  it('streams SSE chunks: role first, content deltas, finish_reason, then [DONE]', async () => {
    const response = await post(url, {
      model: 'tiny-llava',
      stream: true,
      max_tokens: 6,
      messages: imageMessage(dataUrl(png)),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(await response.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(['stop', 'length']).toContain(chunks.at(-1).choices[0].finish_reason);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
  });

  // Waits on @locvlm/runtime: model.stream()'s iterator returns the GenerateResult (finishReason) when it ends.
  it('a stream cut by max_tokens ends with finish_reason "length", as the same request unstreamed', async () => {
    const body = { max_tokens: 3, messages: imageMessage(dataUrl(png)) };
    const whole = await (await post(url, body)).json();
    // The tiny model's random weights never say EOS within 3 tokens: max_tokens cuts the answer.
    expect(whole.choices[0].finish_reason).toBe('length');
    const events = sseEvents(await (await post(url, { ...body, stream: true })).text());
    expect(events.at(-1)).toBe('[DONE]');
    expect(JSON.parse(events.at(-2) ?? '{}').choices[0].finish_reason).toBe('length');
  });

  it('refuses bad input in a stream with the same status and body as unstreamed (no 200 first)', async () => {
    const truncated = png.subarray(0, Math.floor(png.length * 0.6));
    const cases: Array<[unknown[], number, RegExp]> = [
      // Over the tiny model's 512-token context, though under the server's character limit.
      [[{ role: 'user', content: 'cat '.repeat(600) }], 400, /context is 512/],
      // The header reads fine; decoding fails in the model, and the error names the part of the request.
      [imageMessage(dataUrl(truncated)), 400, /^messages\[0\]\.content\[0\]\.image_url: .*cannot be decoded/],
    ];
    for (const [messages, status, message] of cases) {
      const whole = await post(url, { max_tokens: 2, messages });
      const streamed = await post(url, { max_tokens: 2, stream: true, messages });
      expect(whole.status).toBe(status);
      expect(streamed.status).toBe(status);
      expect(streamed.headers.get('content-type')).toMatch(/^application\/json/);
      const [a, b] = [await errorOf(whole), await errorOf(streamed)];
      expect(a.message).toMatch(message);
      expect(b).toEqual(a);
    }
  });

  it('serves /v1/models and /health', async () => {
    const models = await (await fetch(`${url}/v1/models`)).json();
    expect(models).toEqual({
      object: 'list',
      data: [{ id: 'tiny-llava', object: 'model', created: 0, owned_by: 'locvlm' }],
    });
    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', model: 'tiny-llava' });
  });

  it('answers requests for the served name and for the alias "default"', async () => {
    for (const model of ['tiny-llava', 'default']) {
      const response = await post(url, { model, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
      expect(response.status, model).toBe(200);
      expect((await response.json()).model).toBe('tiny-llava');
    }
    const wrong = await post(url, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect((await errorOf(wrong)).message).toBe(
      'model "gpt-4o" is not served here; this server serves "tiny-llava" (also accepted: "default")',
    );
  });

  it('names a served model after its folder (without #dtype) or its server-side name', () => {
    expect(servedModelName('/models/tiny-llava')).toBe('tiny-llava');
    expect(servedModelName('/models/tiny-llava/#q4')).toBe('tiny-llava');
    expect(servedModelName('locvlm-shapes-tiny#fp16')).toBe('locvlm-shapes-tiny');
    expect(servedModelName('http://a:8000,http://b:8000#llava-v1.5-7b')).toBe('llava-v1.5-7b');
  });

  it('reads local files under --allow-root only, as file: URLs or absolute paths', async () => {
    const inside = join(root, 'scene.png');
    for (const ref of [inside, pathToFileURL(inside).href]) {
      const ok = await post(url, { max_tokens: 3, messages: imageMessage(ref) });
      expect(ok.status).toBe(200);
    }
    const outsideDir = await mkdtemp(join(tmpdir(), 'locvlm-outside-'));
    await writeFile(join(outsideDir, 'x.png'), png);
    // A symlink inside the root that points outside it is refused too.
    await symlink(join(outsideDir, 'x.png'), join(root, 'link.png'));
    for (const ref of [join(outsideDir, 'x.png'), join(root, 'link.png'), `${root}/../${join(outsideDir, 'x.png')}`]) {
      const refused = await post(url, { messages: imageMessage(ref) });
      expect(refused.status).toBe(400);
      expect((await errorOf(refused)).message).toBe(
        `messages[0].content[0].image_url: file ${ref} is outside the allowed root ${root} or does not exist`,
      );
    }
    // No existence oracle: a file outside that exists and one that does not get the same answer, as do a missing
    // file inside and a symlink inside pointing at a missing file outside.
    await symlink(join(outsideDir, 'missing.png'), join(root, 'dangling.png'));
    const answer = async (ref: string) =>
      (await errorOf(await post(url, { messages: imageMessage(ref) }))).message.replace(ref, 'PATH');
    expect(await answer(join(outsideDir, 'x.png'))).toBe(await answer(join(outsideDir, 'missing.png')));
    expect(await answer(join(root, 'missing.png'))).toBe(await answer(join(root, 'dangling.png')));
    expect(await answer(join(root, 'link.png'))).toBe(await answer(join(outsideDir, 'missing.png')));
    await rm(outsideDir, { recursive: true, force: true });
  });

  it('reads a file whose name starts with two dots inside the root', async () => {
    await writeFile(join(root, '..dots.png'), png);
    const ok = await post(url, { max_tokens: 2, messages: imageMessage(join(root, '..dots.png')) });
    expect(ok.status).toBe(200);
  });

  it('refuses bad requests with a clear 4xx naming the problem', async () => {
    const cases: Array<[unknown, number, RegExp, Record<string, string>?]> = [
      ['{not json', 400, /not JSON/],
      [{ messages: [] }, 400, /messages/],
      [{ messages: [{ role: 'robot', content: 'hi' }] }, 400, /messages\[0\]\.role/],
      [{ messages: imageMessage('https://example.com/a.png') }, 400, /does not fetch remote images/],
      [{ messages: imageMessage('relative/a.png') }, 400, /data: URL/],
      [{ messages: imageMessage('data:image/png;base64,aGVsbG8=') }, 400, /not a PNG/],
      [{ model: 'gpt-4o', messages: imageMessage(dataUrl(png)) }, 404, /"tiny-llava"/],
      [{ max_tokens: 100000, messages: [{ role: 'user', content: 'hi' }] }, 400, /max_tokens/],
      [{ messages: [{ role: 'user', content: 'hi' }] }, 415, /application\/json/, { 'content-type': 'text/plain' }],
    ];
    for (const [body, status, message, headers] of cases) {
      const response = await post(url, body, headers);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      const error = await errorOf(response);
      expect(error.message).toMatch(message);
      expect(typeof error.code).toBe('string');
    }
    const wrongMethod = await fetch(`${url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
  });

  it('refuses an oversized body and an oversized image with 413', async () => {
    const big = await post(url, { messages: [{ role: 'user', content: 'x'.repeat(2_100_000) }] });
    expect(big.status).toBe(413);
    const small = createChatCompletionServer(model, { port: 0, maxImagePixels: 100 * 100 });
    const smallUrl = await small.listen();
    const wide = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const response = await post(smallUrl, { messages: imageMessage(dataUrl(wide)) });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).message).toMatch(/120000 pixels, over the limit of 10000/);
    await small.close(0);
  });

  it('bounds each request before any work: text characters, images, pixels, messages, JSON values', async () => {
    const tight = createChatCompletionServer(model, {
      port: 0,
      maxTextChars: 100,
      maxImages: 2,
      maxRequestPixels: 30000,
    });
    const tightUrl = await tight.listen();
    const text = (t: string) => ({ type: 'text', text: t });
    const image = { type: 'image_url', image_url: { url: dataUrl(png) } };
    const cases: Array<[unknown, number, string, string]> = [
      [
        { messages: [{ role: 'user', content: [text('x'.repeat(60)), text('y'.repeat(41))] }] },
        400,
        'text_too_long',
        "the request's text is 101 characters, over this server's limit of 100 (--max-text-chars)",
      ],
      [
        { stop: ['z'.repeat(30)], messages: [{ role: 'system', content: 'x'.repeat(71) }] },
        400,
        'text_too_long',
        "the request's text is 101 characters, over this server's limit of 100 (--max-text-chars)",
      ],
      [
        { messages: [{ role: 'user', content: [image, image, image, text('?')] }] },
        400,
        'too_many_images',
        "the request has 3 images, over this server's limit of 2 per request (--max-images)",
      ],
      [
        // 160x120 = 19200 pixels each: the second passes the budget of 30000, before either is decoded.
        { messages: [{ role: 'user', content: [image, text('and'), image] }] },
        413,
        'too_many_pixels',
        "messages[0].content[2].image_url (160x120) brings the request's images to 38400 decoded pixels, over this server's limit of 30000 per request (--max-megapixels)",
      ],
      [
        { messages: Array(1025).fill({ role: 'user', content: '' }) },
        400,
        'too_many_messages',
        "messages has 1025 entries, over this server's limit of 1024",
      ],
      [
        { messages: [{ role: 'user', content: 'hi' }], metadata: Array(40000).fill(0) },
        400,
        'body_too_complex',
        "the body has 40006 JSON values, over this server's limit of 32768",
      ],
    ];
    for (const [body, status, code, message] of cases) {
      const response = await post(tightUrl, body);
      expect(response.status, code).toBe(status);
      expect(await errorOf(response)).toMatchObject({ code, message });
    }
    // Within every limit: answered.
    const ok = await post(tightUrl, { max_tokens: 2, messages: [{ role: 'user', content: [image, text('Where?')] }] });
    expect(ok.status).toBe(200);
    await tight.close(0);
  });

  it('parses a body over 1 MiB on the worker thread: answers it, or refuses it with the same messages', async () => {
    // A 1.2 MB PNG of noise (incompressible) in a data: URL.
    const noisy = await sharp(
      Buffer.alloc(640 * 640 * 3).map(() => Math.floor(Math.random() * 256)),
      {
        raw: { width: 640, height: 640, channels: 3 },
      },
    )
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noisy.length).toBeGreaterThan(1024 * 1024);
    const ok = await post(url, { max_tokens: 2, messages: imageMessage(dataUrl(noisy)) });
    expect(ok.status).toBe(200);
    const long = await post(url, { messages: [{ role: 'user', content: 'x'.repeat(1_500_000) }] });
    expect(long.status).toBe(400);
    expect((await errorOf(long)).message).toBe(
      "the request's text is 1500000 characters, over this server's limit of 65536 (--max-text-chars)",
    );
    const broken = await post(url, `{"messages": "${'x'.repeat(1_500_000)}`);
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).code).toBe('invalid_json');
  });

  it('refuses with 503 when the bodies being received at once pass the shared budget', async () => {
    const tight = createChatCompletionServer(model, { port: 0, maxReceivingBytes: 1000 });
    const tightUrl = await tight.listen();
    const response = await post(tightUrl, { messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await errorOf(response)).code).toBe('busy_receiving');
    await tight.close(0);
  });
});

describe('chat-completions server queue', () => {
  it('queues up to maxQueue, refuses beyond it with 429 + Retry-After, then serves the queued', async () => {
    const model = new GatedModel();
    const server = createChatCompletionServer(model, { port: 0, maxConcurrent: 1, maxQueue: 2 });
    const url = await server.listen();
    const body = { messages: [{ role: 'user', content: 'hi' }] };
    const first = post(url, body);
    await vi_waitFor(() => model.started.length === 1);
    const queued = [post(url, body), post(url, body)];
    await vi_waitFor(() => server.stats().queued === 2);
    const refused = await post(url, body);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await errorOf(refused)).code).toBe('queue_full');
    // Release generations one by one until all three are answered.
    const all = Promise.all([first, ...queued]);
    const releaser = setInterval(() => model.release(), 5);
    const responses = await all;
    clearInterval(releaser);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await responses[0]!.json()).choices[0].message.content).toBe('It is located at (1, 2, 3, 4)');
    await server.close(0);
  });

  it('aborts the generation when the client disconnects (running and queued)', async () => {
    const model = new GatedModel();
    const server = createChatCompletionServer(model, { port: 0, maxConcurrent: 1, maxQueue: 4 });
    const url = await server.listen();
    const running = new AbortController();
    const waiting = new AbortController();
    const body = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const headers = { 'content-type': 'application/json' };
    const a = fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body, signal: running.signal });
    await vi_waitFor(() => model.started.length === 1);
    const b = fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body, signal: waiting.signal });
    await vi_waitFor(() => server.stats().queued === 1);
    waiting.abort();
    await expect(b).rejects.toThrow();
    await vi_waitFor(() => server.stats().queued === 0);
    // A streaming response's headers go out with its first delta; this client hangs up before that.
    running.abort();
    await expect(a).rejects.toThrow();
    await vi_waitFor(() => model.aborted.length === 1);
    expect(model.started.length).toBe(1);
    await vi_waitFor(() => server.stats().running === 0);
    await server.close(0);
  });

  it('shuts down gracefully: running requests finish, queued and new ones get 503', async () => {
    const model = new GatedModel();
    const server = createChatCompletionServer(model, { port: 0, maxConcurrent: 1, maxQueue: 4 });
    const url = await server.listen();
    const body = { messages: [{ role: 'user', content: 'hi' }] };
    const running = post(url, body);
    await vi_waitFor(() => model.started.length === 1);
    const queued = post(url, body);
    await vi_waitFor(() => server.stats().queued === 1);
    const closing = server.close(5000);
    const queuedResponse = await queued;
    expect(queuedResponse.status).toBe(503);
    expect((await errorOf(queuedResponse)).code).toBe('shutting_down');
    model.release();
    expect((await running).status).toBe(200);
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('aborts a generation that runs past the timeout with 504', async () => {
    const model = new GatedModel();
    const server = createChatCompletionServer(model, { port: 0, generationTimeoutMs: 100 });
    const url = await server.listen();
    const response = await post(url, { messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(504);
    expect(model.aborted.length).toBe(1);
    await server.close(0);
  });
});

describe('chat-completions server: streams and the request log', () => {
  it('ends a stream with the finish_reason the model returns, and an error event plus [DONE] when it breaks', async () => {
    const log: Array<{ path: string; status: number }> = [];
    const server = createChatCompletionServer(new ScriptedStreamModel(), {
      port: 0,
      onRequest: ({ path, status }) => log.push({ path, status }),
    });
    const url = await server.listen();
    const stream = async (content: string) => {
      const response = await post(url, { stream: true, messages: [{ role: 'user', content }] });
      expect(response.status).toBe(200);
      return sseEvents(await response.text());
    };
    const cut = await stream('length');
    expect(cut.at(-1)).toBe('[DONE]');
    expect(JSON.parse(cut.at(-2) ?? '{}').choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'length' });
    const broken = await stream('break');
    expect(broken.at(-1)).toBe('[DONE]');
    expect(JSON.parse(broken.at(-2) ?? '{}')).toEqual({
      error: { message: 'the decoder broke', type: 'server_error', code: 'backend' },
    });
    expect(JSON.parse(broken[1] ?? '{}').choices[0].delta).toEqual({ content: 'one ' });
    await server.close(0);
    expect(log.map((l) => l.status)).toEqual([200, 200]);
  });

  it('logs 499 for a request whose client went away, mid-stream or while queued', async () => {
    const log: Array<{ path: string; status: number }> = [];
    const model = new ScriptedStreamModel();
    const server = createChatCompletionServer(model, {
      port: 0,
      maxConcurrent: 1,
      onRequest: ({ path, status }) => log.push({ path, status }),
    });
    const url = await server.listen();
    const headers = { 'content-type': 'application/json' };
    const body = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hang' }] });
    const midStream = new AbortController();
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body,
      signal: midStream.signal,
    });
    expect(response.status).toBe(200);
    const queued = new AbortController();
    const waiting = fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body, signal: queued.signal });
    await vi_waitFor(() => server.stats().queued === 1);
    queued.abort();
    await expect(waiting).rejects.toThrow();
    midStream.abort();
    await vi_waitFor(() => log.length === 2);
    expect(log.map((l) => l.status)).toEqual([499, 499]);
    await server.close(0);
  });
});

/** A model whose stream follows its prompt: "length" returns finishReason length, "break" throws after a delta. */
class ScriptedStreamModel implements VisionLanguageModel {
  readonly id = 'scripted';
  async generate(): Promise<GenerateResult> {
    return { text: 'one two', finishReason: 'length' };
  }
  async *stream(request: GenerateRequest): AsyncGenerator<string, GenerateResult> {
    const prompt = String(request.messages[0]?.content);
    yield 'one ';
    if (prompt === 'break') throw new RuntimeError('BACKEND', 'the decoder broke');
    if (prompt === 'hang')
      await new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    yield 'two';
    return { text: 'one two', finishReason: 'length' };
  }
  async close(): Promise<void> {}
}

/** The data of each server-sent event. */
function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));
}

async function vi_waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
