import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createOpenAIModel, loadOnnxModel, type OnnxVisionLanguageModel } from '@locvlm/runtime';
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
    const events = (await response.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
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
      expect((await errorOf(refused)).message).toMatch(/outside the allowed root|does not exist/);
    }
    await rm(outsideDir, { recursive: true, force: true });
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
    // A streaming response's headers go out when its generation starts; the client then hangs up mid-stream.
    const streaming = await a;
    expect(streaming.status).toBe(200);
    running.abort();
    await expect(streaming.text()).rejects.toThrow();
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

async function vi_waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
