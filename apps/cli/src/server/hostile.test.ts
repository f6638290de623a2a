// The hostile-input suite (issue 19): `locvlm serve` and `locvlm studio` as child processes on loopback with their
// default limits and the tiny model, each hostile request sent while /health is polled and the server's memory is
// read from /proc. Every case asserts the bound it must meet: the answer, the time to it, the slowest /health answer
// meanwhile, the server's RSS growth. Bounded: about 20 requests per case, each with a deadline.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapesPng, tinyModelDir } from '../test-helpers.js';
import {
  chatBody,
  flatPng,
  type MixedLoadFigures,
  measure,
  mixedLoad,
  pngHeaderOnly,
  rawRequest,
  type ServerProcess,
  startServerProcess,
} from './load-probes.js';

const MB = 1e6;
/** /health must answer within this while any request runs (issue 19). */
const HEALTH_MS = 100;
/**
 * Cases with a time bound are tried up to three times: a machine busy with other work (other test files, other
 * packages) can delay one /health poll past its bound, while a server that blocks its event loop does so every time.
 */
const timed = (timeout = 30_000) => ({ retry: 2, timeout });
const chat = (server: ServerProcess, body: string | Buffer, headers: Record<string, string | number> = {}) =>
  rawRequest(server.url, '/v1/chat/completions', { body, headers, deadlineMs: 60_000 });
const errorOf = (body: string) => (JSON.parse(body) as { error: { message: string; code: string } }).error;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'locvlm-hostile-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('hostile input against `locvlm serve` (default limits)', () => {
  let server: ServerProcess;
  let small: Buffer;

  beforeAll(async () => {
    server = await startServerProcess(['serve', '--model', tinyModelDir, '--port', '0', '--served-name', 'tiny']);
    small = await shapesPng(160, 120);
    // Warm up: the first generation's allocations are not a hostile request's growth.
    expect((await chat(server, chatBody([small], 'warm up'))).status).toBe(200);
  }, 90_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  }, 30_000);

  it(
    '1 MB and 10 MB prompts are refused before tokenizing: 400 in < 1 s, /health < 100 ms, RSS < +100 MB',
    timed(60_000),
    async () => {
      for (const size of [1024 * 1024, 10 * 1024 * 1024]) {
        const body = Buffer.from(chatBody([], 'x'.repeat(size)));
        const { response, healthMaxMs, rssGrowth } = await measure(server, () => chat(server, body));
        expect(response.status, `${size} chars`).toBe(400);
        expect(errorOf(response.body)).toEqual({
          code: 'text_too_long',
          message: `the request's text is ${size} characters, over this server's limit of 65536 (--max-text-chars)`,
          type: 'invalid_request_error',
        });
        expect(response.ms, `${size} chars: time to refuse`).toBeLessThan(1000);
        expect(healthMaxMs, `${size} chars: slowest /health`).toBeLessThan(HEALTH_MS);
        expect(rssGrowth / MB, `${size} chars: RSS growth, MB`).toBeLessThan(100);
      }
    },
  );

  it(
    'ten 6000x6000 PNGs are refused by count, five by the pixel budget, from headers only: < 1 s, RSS < +50 MB',
    timed(60_000),
    async () => {
      const big = await flatPng(6000, 6000);
      const ten = Buffer.from(chatBody(Array(10).fill(big), 'Which is red?'));
      const counted = await measure(server, () => chat(server, ten));
      expect(counted.response.status).toBe(400);
      expect(errorOf(counted.response.body)).toMatchObject({
        code: 'too_many_images',
        message: "the request has 10 images, over this server's limit of 8 per request (--max-images)",
      });
      const five = Buffer.from(chatBody(Array(5).fill(big), 'Which is red?'));
      const budget = await measure(server, () => chat(server, five));
      expect(budget.response.status).toBe(413);
      expect(errorOf(budget.response.body)).toMatchObject({
        code: 'too_many_pixels',
        message:
          "messages[0].content[1].image_url (6000x6000) brings the request's images to 72000000 decoded pixels, " +
          "over this server's limit of 48000000 per request (--max-megapixels)",
      });
      for (const { response, healthMaxMs, rssGrowth } of [counted, budget]) {
        expect(response.ms).toBeLessThan(1000);
        expect(healthMaxMs).toBeLessThan(HEALTH_MS);
        // 36 megapixels decoded would be 108 MB each: nothing was decoded.
        expect(rssGrowth / MB).toBeLessThan(50);
      }
    },
  );

  it('a 30000x30000 decompression bomb is refused from its header: 413 in < 1 s', timed(), async () => {
    const { response, healthMaxMs, rssGrowth } = await measure(server, () =>
      chat(server, chatBody([pngHeaderOnly(30_000, 30_000)], 'What is this?')),
    );
    expect(response.status).toBe(413);
    expect(errorOf(response.body).message).toBe(
      'messages[0].content[0].image_url: image is 30000x30000, 900000000 pixels, over the limit of 40000000',
    );
    expect(response.ms).toBeLessThan(1000);
    expect(healthMaxMs).toBeLessThan(HEALTH_MS);
    expect(rssGrowth / MB).toBeLessThan(50);
  });

  it(
    'a 100 MB body is refused before it is read, and an undeclared one at the 24 MiB limit',
    timed(60_000),
    async () => {
      const declared = await rawRequest(server.url, '/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 100 * 1024 * 1024 },
        body: '',
        deadlineMs: 10_000,
      });
      // The declared length is over the limit: 413 at once, without waiting for a byte of the body.
      expect(declared.status).toBe(413);
      expect(declared.ms).toBeLessThan(1000);
      const chunked = await measure(server, () =>
        rawRequest(server.url, '/v1/chat/completions', {
          body: Buffer.alloc(30 * 1024 * 1024, 0x20),
          headers: { 'transfer-encoding': 'chunked' },
          deadlineMs: 30_000,
        }),
      );
      expect(chunked.response.status).toBe(413);
      expect(errorOf(chunked.response.body).code).toBe('body_too_large');
      expect(chunked.healthMaxMs).toBeLessThan(HEALTH_MS);
      expect(chunked.rssGrowth / MB).toBeLessThan(100);
    },
  );

  it('a truncated PNG gets 400 naming the part of the request, streamed or not', async () => {
    const png = await shapesPng(320, 240);
    const truncated = png.subarray(0, Math.floor(png.length * 0.6));
    for (const stream of [false, true]) {
      const response = await chat(server, chatBody([small, truncated], 'What is this?', { stream }));
      expect(response.status, `stream: ${stream}`).toBe(400);
      expect(errorOf(response.body).message).toMatch(
        /^messages\[0\]\.content\[1\]\.image_url: image bytes \(\d+ B\) cannot be decoded as an image/,
      );
    }
  });

  // The runtime's part of issue 19: pad-to-square must not build a 20000x20000 (or 40000x40000) canvas.
  for (const [width, height] of [
    [20_000, 2_000],
    [40_000, 1_000],
  ] as const) {
    it(
      `a ${width}x${height} PNG (40 megapixels, under the limit) is answered: 200 in < 5 s, /health < 100 ms, RSS < +400 MB`,
      timed(60_000),
      async () => {
        const body = chatBody([await flatPng(width, height)], 'Where is the red area?');
        const { response, healthMaxMs, rssGrowth } = await measure(server, () => chat(server, body));
        expect(response.status, response.body.slice(0, 200)).toBe(200);
        expect(response.ms, 'time to answer').toBeLessThan(5000);
        expect(healthMaxMs, 'slowest /health').toBeLessThan(HEALTH_MS);
        expect(rssGrowth / MB, 'RSS growth, MB').toBeLessThan(400);
      },
    );
  }

  it('answers only Host names that cannot be a DNS-rebinding page: loopback names, the bound address', async () => {
    const port = new URL(server.url).port;
    const body = chatBody([], 'hi');
    for (const host of ['localhost', `localhost:${port}`, '127.0.0.1', `127.0.0.1:${port}`, '[::1]', `[::1]:${port}`]) {
      expect((await rawRequest(server.url, '/health', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.1.nip.io']) {
      for (const [path, requestBody] of [
        ['/health', undefined],
        ['/v1/models', undefined],
        ['/v1/chat/completions', body],
      ] as const) {
        const response = await rawRequest(server.url, path, {
          headers: { host },
          ...(requestBody ? { body: requestBody } : {}),
        });
        expect(response.status, `${host} ${path}`).toBe(403);
        expect(errorOf(response.body).message).toBe(
          `Host ${JSON.stringify(host)} is not a name this server answers to (localhost, 127.0.0.1, [::1]); ` +
            'start it with --allowed-hosts NAME to accept it',
        );
      }
    }
  });

  it('logs 499, not 200, for a request whose client went away', async () => {
    const controller = new AbortController();
    const request = rawRequest(server.url, '/v1/chat/completions', {
      body: chatBody([small], 'Tell me everything.', { max_tokens: 400, stream: true }),
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    await request;
    const deadline = Date.now() + 5000;
    while (!/POST \/v1\/chat\/completions 499 /.test(server.stderr()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(server.stderr()).toMatch(/POST \/v1\/chat\/completions 499 \d+ ms/);
  });

  it(
    '300 concurrent requests while a wide image and a 10 MB prompt are in flight: no crash, every request answered or refused with 429 + Retry-After, /health never stalls, peak RSS < 600 MB',
    timed(180_000),
    async () => {
      // A fresh server: its peak RSS (VmHWM) is this load's, not the earlier cases'.
      const fresh = await startServerProcess(['serve', '--model', tinyModelDir, '--port', '0', '--quiet']);
      let figures: MixedLoadFigures;
      try {
        expect((await chat(fresh, chatBody([small], 'warm up'))).status).toBe(200);
        ({ figures } = await mixedLoad(fresh, { burst: 300, smallImage: small }));
      } finally {
        expect(await fresh.stop()).toBe(0);
      }
      console.log(`hostile mixed load: ${JSON.stringify(figures)}`);
      expect(figures.crashes).toBe(0);
      expect(figures.other).toBe(0);
      expect(figures.refusedWithoutRetryAfter).toBe(0);
      expect(figures.answered).toBeGreaterThanOrEqual(1);
      // Refused by the text limit, whatever the load (a request that can never be answered is not told to retry).
      expect(figures.hugePromptStatus).toBe(400);
      expect(figures.healthFailures).toBe(0);
      // The 100 ms p99 goal is the bench's (`npm run bench`, measured alone with the clients at a lower CPU priority:
      // bench-results/cli.json). Here the 300 clients run in this process, beside other test files, on the same two
      // cores as the server, so the bound is that /health never stalls (the issue saw 13.6 s).
      expect(figures.healthP99Ms).toBeLessThan(500);
      expect(figures.healthMaxMs).toBeLessThan(2000);
      expect(figures.wideImageStatus).toBe(200);
      expect(figures.peakRssMb).toBeLessThan(600);
    },
  );
});

describe('hostile input against `locvlm studio`', () => {
  let studio: ServerProcess;
  let reports: string;
  let outside: string;

  beforeAll(async () => {
    reports = join(work, 'reports');
    outside = join(work, 'outside');
    await mkdir(join(reports, 'run-1'), { recursive: true });
    await mkdir(join(reports, '.git'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(reports, 'run-1', 'report.html'), '<!doctype html><h1>POPE 0.87</h1>');
    await writeFile(join(reports, '.env'), 'API_KEY=secret');
    await writeFile(join(reports, '.git', 'config'), '[core]');
    await writeFile(join(reports, 'run-1', '.hidden.html'), 'HIDDEN-CONTENT');
    await writeFile(join(outside, 'shadow'), 'root:$6$hash');
    // Symlinks: one to a folder outside, one to a file outside, one to a dotfile inside.
    await symlink(outside, join(reports, 'etc'));
    await symlink(join(outside, 'shadow'), join(reports, 'shadow.html'));
    await symlink(join(reports, '.env'), join(reports, 'env.html'));
    studio = await startServerProcess(['studio', '--model', tinyModelDir, '--port', '0', '--reports', reports]);
  }, 90_000);
  afterAll(async () => {
    expect(await studio.stop()).toBe(0);
  }, 30_000);

  it('/reports/ serves regular, non-hidden files inside the folder and 404s the rest', async () => {
    const ok = await rawRequest(studio.url, '/reports/run-1/report.html');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(ok.body).toContain('POPE 0.87');
    for (const path of [
      '/reports/.env',
      '/reports/%2eenv',
      '/reports/.git/config',
      '/reports/.git/',
      '/reports/run-1/.hidden.html',
      '/reports/etc/shadow',
      '/reports/shadow.html',
      '/reports/env.html',
      '/reports/',
      '/reports',
      '/reports/run-1',
      '/reports/run-1/',
      '/reports/../reports/run-1/report.html',
      '/reports/%2e%2e/outside/shadow',
      '/reports/run-1/..%2f..%2foutside%2fshadow',
      '/reports/run-1%2freport.html',
      '/reports/%E0%A4%A',
      '/reports/run-1/report.html%00.png',
    ]) {
      const response = await rawRequest(studio.url, path);
      expect(response.status, path).toBe(404);
      expect(response.body).not.toMatch(/secret|hash|\[core\]|HIDDEN-CONTENT/);
    }
    // The page's own files: no traversal out of the page folder either.
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/.env'])
      expect((await rawRequest(studio.url, path)).status, path).toBe(404);
  });

  it('checks the Host header on the page, its API and the reports', async () => {
    for (const path of ['/', '/studio/api/info', '/reports/run-1/report.html', '/health']) {
      expect((await rawRequest(studio.url, path, { headers: { host: 'rebind.evil.example' } })).status, path).toBe(403);
      expect((await rawRequest(studio.url, path, { headers: { host: 'localhost' } })).status, path).toBe(200);
    }
  });

  it('the locate route answers a 20000x2000 image in < 5 s with /health < 100 ms', timed(60_000), async () => {
    const image = `data:image/png;base64,${(await flatPng(20_000, 2_000)).toString('base64')}`;
    const { response, healthMaxMs } = await measure(studio, () =>
      rawRequest(studio.url, '/studio/api/locate', {
        body: JSON.stringify({ image, object: 'red area', maxTokens: 4 }),
        deadlineMs: 60_000,
      }),
    );
    expect(response.status, response.body.slice(0, 200)).toBe(200);
    expect(response.ms).toBeLessThan(5000);
    expect(healthMaxMs).toBeLessThan(HEALTH_MS);
  });
});

describe('serve --host beyond loopback', () => {
  it('warns on stderr that the server is reachable from the network without authentication', async () => {
    // The model folder is missing, so the command stops before it binds: nothing listens beyond loopback.
    const failed = await startServerProcess([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--model',
      join(work, 'no-model'),
    ]).catch((error: Error) => error.message);
    expect(failed).toMatch(/exited with 2 before listening/);
    expect(failed).toMatch(
      /warning: --host 0\.0\.0\.0 listens on every network interface of this machine: the server is reachable from the network and has no authentication/,
    );
  }, 60_000);
});
