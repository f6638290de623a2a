import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { noisePng } from '../testing/fixtures.js';
import { createOpenAIModel, sniffImageType } from './model.js';

type Handler = (body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
const servers: Server[] = [];

async function fakeServer(handler: Handler): Promise<{ url: string; requests: Array<Record<string, unknown>> }> {
  const requests: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      const body = JSON.parse(data) as Record<string, unknown>;
      requests.push({ ...body, _path: req.url, _auth: req.headers.authorization });
      void handler(body, req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

function reply(res: ServerResponse, text: string, finish = 'stop'): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      choices: [{ message: { role: 'assistant', content: text }, finish_reason: finish }],
      usage: { completion_tokens: 3 },
    }),
  );
}

async function errorOf(p: Promise<unknown>): Promise<RuntimeError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RuntimeError);
  return e as RuntimeError;
}

describe('OpenAI-compatible model', () => {
  it('sends images as data: URLs in image_url parts and reads the answer', async () => {
    const png = await noisePng(8, 8);
    const server = await fakeServer((_b, _r, res) => reply(res, 'It is located at (1, 2, 3, 4)', 'length'));
    const model = createOpenAIModel({ endpoints: [server.url], model: 'llava', apiKey: 'k1' });
    const result = await model.generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'image', image: { bytes: png } },
            { type: 'text', text: 'Where is the cat?' },
          ],
        },
      ],
      maxNewTokens: 32,
      temperature: 0.2,
      topP: 0.9,
      seed: 4,
      stop: ['###'],
      details: true,
    });
    expect(result.text).toBe('It is located at (1, 2, 3, 4)');
    expect(result.finishReason).toBe('length');
    expect(result.timing?.newTokens).toBe(3);
    const sent = server.requests[0]!;
    expect(sent._path).toBe('/v1/chat/completions');
    expect(sent._auth).toBe('Bearer k1');
    expect(sent).toMatchObject({
      model: 'llava',
      max_tokens: 32,
      temperature: 0.2,
      top_p: 0.9,
      seed: 4,
      stop: ['###'],
      stream: false,
    });
    const user = (sent.messages as Array<{ content: Array<Record<string, unknown>> }>)[1]!;
    expect(user.content[0]).toEqual({
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` },
    });
    expect(user.content[1]).toEqual({ type: 'text', text: 'Where is the cat?' });
    await model.close();
  });

  it('streams server-sent events as text deltas', async () => {
    const server = await fakeServer((_b, _r, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['It ', 'is ', 'a cat', '.']) {
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
      }
      res.write('data: [DONE]\n\n');
      res.end();
    });
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm' });
    const deltas: string[] = [];
    for await (const d of model.stream({ messages: [{ role: 'user', content: 'hi' }] })) deltas.push(d);
    expect(deltas).toEqual(['It ', 'is ', 'a cat', '.']);
    expect(server.requests[0]!.stream).toBe(true);
  });

  it("ends a stream with the server's finish_reason", async () => {
    const server = await fakeServer((_b, _r, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'It is' }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}\n\n`);
      res.write('data: [DONE]\n\n');
      res.end();
    });
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm' });
    const iterator = model.stream({ messages: [{ role: 'user', content: 'hi' }] })[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 'It is', done: false });
    expect(await iterator.next()).toEqual({ value: { text: 'It is', finishReason: 'length' }, done: true });
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    let calls = 0;
    const server = await fakeServer((_b, _r, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0' });
        res.end('{"error":{"message":"slow down"}}');
      } else if (calls === 2) {
        res.writeHead(503);
        res.end('busy');
      } else reply(res, 'ok');
    });
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm', retryBaseDelayMs: 5 });
    expect((await model.generate({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after maxRetries with the last status, and does not retry a 400', async () => {
    let calls = 0;
    const failing = await fakeServer((_b, _r, res) => {
      calls++;
      res.writeHead(500);
      res.end('{"error":{"message":"boom"}}');
    });
    const model = createOpenAIModel({ endpoints: [failing.url], model: 'm', retryBaseDelayMs: 1, maxRetries: 2 });
    const e = await errorOf(model.generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(e.code).toBe('BACKEND');
    expect(e.message).toMatch(/HTTP 500: boom \(gave up after 3 attempts\)/);
    expect(calls).toBe(3);

    let badCalls = 0;
    const bad = await fakeServer((_b, _r, res) => {
      badCalls++;
      res.writeHead(400);
      res.end('{"error":{"message":"unknown model x"}}');
    });
    const m2 = createOpenAIModel({ endpoints: [bad.url], model: 'x', retryBaseDelayMs: 1 });
    const e2 = await errorOf(m2.generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(e2.message).toMatch(/HTTP 400: unknown model x/);
    expect(badCalls).toBe(1);
  });

  it('retries a request that timed out', async () => {
    let calls = 0;
    const server = await fakeServer((_b, _r, res) => {
      calls++;
      if (calls === 1) return; // never answers
      reply(res, 'late but fine');
    });
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm', timeoutMs: 150, retryBaseDelayMs: 1 });
    expect((await model.generate({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('late but fine');
    expect(calls).toBe(2);
  });

  it('keeps at most maxConcurrencyPerEndpoint requests in flight and spreads over endpoints', async () => {
    let inFlight = 0;
    let peak = 0;
    const handler: Handler = async (_b, _r, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      reply(res, 'x');
    };
    const a = await fakeServer(handler);
    const b = await fakeServer(handler);
    const model = createOpenAIModel({
      endpoints: [a.url, { baseUrl: b.url, model: 'other' }],
      model: 'm',
      maxConcurrencyPerEndpoint: 2,
    });
    const results = await model.generateBatch(
      Array.from({ length: 10 }, () => ({ messages: [{ role: 'user' as const, content: 'hi' }] })),
    );
    expect(results).toHaveLength(10);
    expect(peak).toBeLessThanOrEqual(4);
    expect(a.requests.length + b.requests.length).toBe(10);
    expect(a.requests.length).toBeGreaterThan(0);
    expect(b.requests.every((r) => r.model === 'other')).toBe(true);
  });

  it('rejects bad input with typed errors before any request', async () => {
    const server = await fakeServer((_b, _r, res) => reply(res, 'x'));
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm' });
    expect((await errorOf(model.generate({ messages: [] }))).code).toBe('BAD_INPUT');
    const notImage = await errorOf(
      model.generate({
        messages: [{ role: 'user', content: [{ type: 'image', image: { bytes: new Uint8Array([1, 2, 3]) } }] }],
      }),
    );
    expect(notImage.code).toBe('IMAGE');
    expect(server.requests).toHaveLength(0);
    expect(() => createOpenAIModel({ endpoints: ['not a url'], model: 'm' })).toThrow(/not a URL/);
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
  });

  it('reports a connection refused as BACKEND after retries', async () => {
    const server = await fakeServer((_b, _r, res) => reply(res, 'x'));
    const url = server.url;
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const model = createOpenAIModel({ endpoints: [url], model: 'm', maxRetries: 1, retryBaseDelayMs: 1 });
    const e = await errorOf(model.generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(e.code).toBe('BACKEND');
    expect(e.message).toContain(url);
  });

  it('aborts a request in flight when the signal fires', async () => {
    const server = await fakeServer(() => {
      /* never answers */
    });
    const model = createOpenAIModel({ endpoints: [server.url], model: 'm' });
    const controller = new AbortController();
    const pending = model.generate({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await errorOf(pending)).code).toBe('ABORTED');
  });
});
