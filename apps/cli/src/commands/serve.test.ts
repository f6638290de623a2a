// `locvlm serve` and `locvlm studio` as real processes: they print where they listen, answer, and exit 0 on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOpenAIModel } from '@locvlm/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { locvlm, runtimeFixture, shapesPng, tinyModelDir } from '../test-helpers.js';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const children: ChildProcess[] = [];

/** Start `locvlm <args>` under tsx; resolves with the URL it prints. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s; stderr: ${err}`)), 30_000);
    child.stdout?.on('data', (d) => {
      out += String(d);
      const url = out.match(/http:\/\/127\.0\.0\.1:\d+/)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, stderr: () => err });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening; stderr: ${err}`)));
  });
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('locvlm serve / studio processes', () => {
  it('serve answers an OpenAI client, logs requests, and shuts down cleanly on SIGTERM', async () => {
    const { child, url, stderr } = await start([
      'serve',
      '--model',
      tinyModelDir,
      '--port',
      '0',
      '--served-name',
      'tiny',
    ]);
    const client = createOpenAIModel({ endpoints: [url], model: 'tiny', maxRetries: 0 });
    const result = await client.generate({ messages: [{ role: 'user', content: 'hello' }], maxNewTokens: 4 });
    expect(result.text.length).toBeGreaterThan(0);
    await client.close();
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
    expect(stderr()).toMatch(/POST \/v1\/chat\/completions 200/);
    expect(stderr()).toMatch(/shutting down/);
  }, 60_000);

  it('serve --dtype q4 answers chat requests for a Qwen2 LLaVA with its own chat template', async () => {
    const { child, url } = await start([
      'serve',
      '--model',
      runtimeFixture('tiny-llava-qwen2'),
      '--dtype',
      'q4',
      '--port',
      '0',
      '--served-name',
      'qwen',
      '--quiet',
    ]);
    const client = createOpenAIModel({ endpoints: [url], model: 'qwen', maxRetries: 0 });
    const png = await shapesPng(90, 60);
    const result = await client.generate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', image: { bytes: png } },
            { type: 'text', text: 'Where is the cat?' },
          ],
        },
      ],
      maxNewTokens: 4,
    });
    expect(result.text.length).toBeGreaterThan(0);
    await client.close();
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  }, 60_000);

  it('studio serves the page and its info route', async () => {
    const { child, url } = await start(['studio', '--model', tinyModelDir, '--port', '0', '--quiet']);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>LocVLM Studio</title>');
    const info = await (await fetch(`${url}/studio/api/info`)).json();
    expect(info).toMatchObject({ model: 'tiny-llava', codec: { kind: 'ivb', bins: 224 }, reports: [] });
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  }, 60_000);

  it('studio --dtype q4 runs a FastVLM export and says which family and weights it loaded', async () => {
    const { child, url } = await start([
      'studio',
      '--model',
      runtimeFixture('tiny-fastvlm'),
      '--dtype',
      'q4',
      '--port',
      '0',
      '--quiet',
    ]);
    const info = await (await fetch(`${url}/studio/api/info`)).json();
    expect(info).toMatchObject({ model: 'tiny-fastvlm', family: 'llava_qwen2', engine: 'locvlm' });
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  }, 60_000);

  it('studio on a Florence-2 export shows the family, its engine and its location format', async () => {
    const { child, url } = await start([
      'studio',
      '--model',
      runtimeFixture('tiny-florence2'),
      '--port',
      '0',
      '--quiet',
    ]);
    const info = await (await fetch(`${url}/studio/api/info`)).json();
    expect(info).toMatchObject({ family: 'florence2', engine: 'transformers.js', codec: { kind: 'florence' } });
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  }, 60_000);

  it('serve answers OpenAI chat requests for every family transformers.js runs', async () => {
    const png = await shapesPng(90, 60);
    for (const [fixture, text] of [
      ['tiny-florence2', '<CAPTION>'],
      ['tiny-qwen2-vl', 'What is this?'],
      ['tiny-qwen2.5-vl', 'What is this?'],
      ['tiny-qwen3-vl', 'What is this?'],
      ['tiny-paligemma', 'caption en'],
      ['tiny-smolvlm', 'What is this?'],
      ['tiny-gemma3', 'What is this?'],
    ] as const) {
      const { child, url } = await start(['serve', '--model', runtimeFixture(fixture), '--port', '0', '--quiet']);
      const client = createOpenAIModel({ endpoints: [url], model: 'default', maxRetries: 0 });
      const messages = [
        {
          role: 'user' as const,
          content: [
            { type: 'image' as const, image: { bytes: png } },
            { type: 'text' as const, text },
          ],
        },
      ];
      const whole = await client.generate({ messages, maxNewTokens: 4 });
      expect(whole.text.length, fixture).toBeGreaterThan(0);
      let streamed = '';
      for await (const delta of client.stream({ messages, maxNewTokens: 4 })) streamed += delta;
      expect(streamed, fixture).toBe(whole.text);
      await client.close();
      child.kill('SIGTERM');
      expect(await exitCode(child)).toBe(0);
    }
  }, 120_000);

  it('--help shows the per-request limits with their defaults, and the Host check', async () => {
    for (const command of ['serve', 'studio']) {
      const help = (await locvlm(command, '--help')).out.replace(/\s+/g, ' ');
      expect(help).toMatch(/--max-text-chars <n> characters of text in one request, .*\(default: "65536"\)/);
      expect(help).toMatch(/--max-images <n> images in one request \(400 beyond\) \(default: "8"\)/);
      expect(help).toMatch(/--max-megapixels <n> decoded pixels of one request's images together, .*\(default: "48"\)/);
      expect(help).toMatch(/--allowed-hosts <names>/);
      expect(help).toMatch(/The Host header must be localhost, 127\.0\.0\.1, \[::1\], the --host address/);
    }
  });

  it('refuses bad limit flags with exit code 2, naming the flag', async () => {
    for (const [flag, value] of [
      ['--max-text-chars', '0'],
      ['--max-images', '-1'],
      ['--max-megapixels', 'lots'],
      ['--allowed-hosts', ' , '],
    ] as const) {
      const result = await locvlm('serve', '--model', tinyModelDir, flag, value);
      expect(result.code, flag).toBe(2);
      expect(result.err, flag).toMatch(new RegExp(`^error: ${flag} "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    }
  });

  it('refuses a bad flag with exit code 2 before loading anything', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', bin, 'serve', '--model', tinyModelDir, '--port', 'http'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    expect(await exitCode(child)).toBe(2);
    expect(err).toMatch(/--port "http"/);
  }, 60_000);
});
