// Probes for the hostile-input suite (hostile.test.ts) and the load bench (bench/index.ts), not part of the CLI: a
// `locvlm serve | studio` child process on loopback, its memory from /proc, /health latency polled while something
// else runs, raw HTTP requests with any headers, hostile images made at run time, and the mixed load.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { type Agent, request } from 'node:http';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

const sourceBin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const builtBin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const sourceDir = fileURLToPath(new URL('..', import.meta.url));

/** True when dist/bin.js exists and is newer than every file under src/ (a stale build would measure old code). */
export function builtBinIsFresh(): boolean {
  let built: number;
  try {
    built = statSync(builtBin).mtimeMs;
  } catch {
    return false;
  }
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  return built >= newest(sourceDir);
}

/** A `locvlm` child process serving on loopback. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Everything it wrote to stderr so far (the request log, warnings). */
  stderr(): string;
  /** SIGTERM, then its exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
  /** What runs: `dist/bin.js` or `src/bin.ts (tsx)`. */
  script: string;
}

/**
 * Start `locvlm <args>` (from src/ under tsx, or dist/bin.js with `built` when that build is fresh) and wait for the
 * URL it prints; `nodeArgs` go to node itself (e.g. `--cpu-prof`). The arguments should include `--port 0`.
 */
export function startServerProcess(
  args: string[],
  { built = false, nodeArgs = [] }: { built?: boolean; nodeArgs?: string[] } = {},
): Promise<ServerProcess> {
  const useBuilt = built && builtBinIsFresh();
  const script = useBuilt ? [builtBin] : ['--import', 'tsx', sourceBin];
  const argv = [...nodeArgs, ...script, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`locvlm ${args.join(' ')}: no URL within 60 s; stderr: ${err}`));
    }, 60_000);
    child.stdout?.on('data', (d) => {
      out += String(d);
      const url = out.match(/http:\/\/[^\s]+:\d+/)?.[0];
      if (url && child.pid !== undefined) {
        clearTimeout(timer);
        const pid = child.pid;
        resolve({
          child,
          pid,
          url: url.replace('://0.0.0.0:', '://127.0.0.1:'),
          stderr: () => err,
          script: useBuilt ? 'dist/bin.js' : 'src/bin.ts (tsx)',
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
              const code = await exited;
              clearTimeout(force);
              return code;
            }
            return child.exitCode;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`locvlm ${args.join(' ')} exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

/** A process's resident memory now (VmRSS) and at its peak so far (VmHWM), in bytes, from /proc. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** An HTTP answer read whole. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/**
 * One request on its own connection (or on `agent`), with any headers (a forged Host too) and a hard deadline;
 * resolves with status 0 and the error in `body` when the connection fails.
 */
export function rawRequest(
  url: string,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    deadlineMs?: number;
    agent?: Agent;
    signal?: AbortSignal;
  } = {},
): Promise<RawResponse> {
  const started = performance.now();
  const body = options.body;
  return new Promise((resolve) => {
    const base = new URL(url);
    // The path goes out as written (a URL string would have its dot segments resolved on the way).
    const req = request({
      host: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port,
      path,
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      agent: options.agent ?? false,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        // A chunked upload says no length; any other body says its own unless the caller claims another.
        ...(body !== undefined && options.headers?.['transfer-encoding'] === undefined
          ? { 'content-length': Buffer.byteLength(body) }
          : {}),
        ...options.headers,
      },
      timeout: options.deadlineMs ?? 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const fail = (error: Error) =>
      resolve({ status: 0, headers: {}, body: error.message, ms: performance.now() - started });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.deadlineMs ?? 60_000} ms`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
    });
    req.end(body);
  });
}

/** /health latencies collected while something else runs, one request after the other on a kept-alive socket. */
export interface HealthProbe {
  /** Stop polling; resolves with every latency (ms) and the number of failed polls. */
  stop(): Promise<{ latencies: number[]; failures: number }>;
}

/**
 * The poller, on a worker thread of its own: the caller's event loop (sending hundreds of requests at once) must not
 * delay the polls, or the client's lateness would be counted as the server's.
 */
const HEALTH_PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
let failures = 0;
let running = true;
parentPort.on('message', () => { running = false; });
const poll = () => new Promise((resolve) => {
  const started = performance.now();
  const req = http.get(workerData.url + '/health', { agent, timeout: 30000 }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - started : -1));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => resolve(-1));
});
(async () => {
  while (running) {
    const ms = await poll();
    if (ms >= 0) latencies.push(ms); else failures++;
    await new Promise((r) => setTimeout(r, workerData.intervalMs));
  }
  agent.destroy();
  parentPort.postMessage({ latencies, failures });
})();
`;

/** Poll `url`/health every `intervalMs` (a poll waits for the previous one) from a worker thread until stopped. */
export function probeHealth(url: string, intervalMs = 20): HealthProbe {
  const worker = new Worker(HEALTH_PROBE_SOURCE, { eval: true, execArgv: [], workerData: { url, intervalMs } });
  const result = new Promise<{ latencies: number[]; failures: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const figures = await result;
      await worker.terminate();
      return figures;
    },
  };
}

/** Sample a process's RSS every `intervalMs` until stopped; resolves with the largest sample and VmHWM. */
export function sampleMemory(pid: number, intervalMs = 10): { stop(): { peakRss: number; highWaterMark: number } } {
  let peakRss = processMemory(pid).rss;
  const timer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, processMemory(pid).rss);
    } catch {
      // the process is gone; the caller sees that elsewhere
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      let highWaterMark = 0;
      try {
        const now = processMemory(pid);
        peakRss = Math.max(peakRss, now.rss);
        highWaterMark = now.peak;
      } catch {
        // gone
      }
      return { peakRss, highWaterMark };
    },
  };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** What one hostile request cost the server. */
export interface Measured {
  response: RawResponse;
  /** Slowest /health answer while the request ran, ms. */
  healthMaxMs: number;
  /** Largest RSS of the server while the request ran, minus its RSS just before, bytes. */
  rssGrowth: number;
}

/** Send one request to a server process while polling /health and sampling the server's memory. */
export async function measure(server: ServerProcess, send: () => Promise<RawResponse>): Promise<Measured> {
  const before = processMemory(server.pid).rss;
  const memory = sampleMemory(server.pid);
  const health = probeHealth(server.url, 10);
  const response = await send();
  // One more poll after the answer, so a block that ended with it is seen.
  await new Promise((r) => setTimeout(r, 30));
  const { latencies } = await health.stop();
  const { peakRss } = memory.stop();
  return { response, healthMaxMs: Math.max(0, ...latencies), rssGrowth: peakRss - before };
}

/** A PNG of one colour, `width` x `height` (a wide one compresses to a few hundred KB). */
export function flatPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * A valid PNG header (signature + IHDR) claiming `width` x `height`, followed by one tiny IDAT and IEND: a
 * decompression bomb's header without the cost of making one.
 */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Buffer): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A chat request body with `images` (data: URLs of PNG bytes) and a question. */
export function chatBody(images: readonly Uint8Array[], text: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    max_tokens: 4,
    ...extra,
    messages: [
      {
        role: 'user',
        content: [
          ...images.map((png) => ({
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` },
          })),
          { type: 'text', text },
        ],
      },
    ],
  });
}

/** Figures of the mixed load: a burst of concurrent requests while a wide image and a huge prompt are in flight. */
export interface MixedLoadFigures {
  requests: number;
  answered: number;
  refused429: number;
  /** Answers that were neither 200 nor 429 (or no answer at all). */
  other: number;
  /** 429s without a Retry-After header. */
  refusedWithoutRetryAfter: number;
  wideImageStatus: number;
  wideImageMs: number;
  hugePromptStatus: number;
  hugePromptMs: number;
  wallMs: number;
  healthPolls: number;
  healthFailures: number;
  healthP50Ms: number;
  healthP99Ms: number;
  healthMaxMs: number;
  /** The server's peak RSS over its whole life (VmHWM), MB. */
  peakRssMb: number;
  /** The server's RSS before the load, MB. */
  baselineRssMb: number;
  /** 1 when the server process died during the load. */
  crashes: number;
}

/** What the mixed load's client saw: each request's status, whether a 429 said Retry-After, and how long it took. */
export interface MixedLoadAnswers {
  burst: Array<{ status: number; retryAfter: boolean }>;
  wide: { status: number; ms: number };
  huge: { status: number; ms: number };
  wallMs: number;
}

/**
 * Send the mixed load to `url` and wait for every answer: a 20000x2000 PNG and a 10 MB prompt first, then `burst`
 * concurrent requests (half streamed, each with `smallImage`). `ready` runs once the bodies are built, just before
 * the first byte is sent.
 */
export async function sendMixedLoad(
  url: string,
  { burst, smallImage, ready }: { burst: number; smallImage: Uint8Array; ready?: () => Promise<void> },
): Promise<MixedLoadAnswers> {
  const wide = chatBody([await flatPng(20_000, 2_000)], 'Where is the red area?');
  const huge = chatBody([], 'x'.repeat(10 * 1024 * 1024));
  const bodies = Array.from({ length: burst }, (_, i) =>
    chatBody([smallImage], `Question ${i}: where is the red circle?`, { stream: i % 2 === 1 }),
  );
  await ready?.();
  const started = performance.now();
  const send = (body: string) => rawRequest(url, '/v1/chat/completions', { body, deadlineMs: 120_000 });
  const wideAnswer = send(wide);
  const hugeAnswer = send(huge);
  const results = await Promise.all(bodies.map(send));
  const [wideResult, hugeResult] = await Promise.all([wideAnswer, hugeAnswer]);
  return {
    burst: results.map((r) => ({ status: r.status, retryAfter: r.headers['retry-after'] !== undefined })),
    wide: { status: wideResult.status, ms: wideResult.ms },
    huge: { status: hugeResult.status, ms: hugeResult.ms },
    wallMs: performance.now() - started,
  };
}

const loadGeneratorScript = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/**
 * sendMixedLoad from a child process at CPU niceness `nice` (lower priority than the server and the /health poller):
 * on one machine the clients' own CPU work would otherwise be counted as the server's latency, where real clients
 * run elsewhere. `ready` runs once the child has built its bodies.
 */
async function sendMixedLoadFromChild(
  url: string,
  options: { burst: number; smallImage: Uint8Array; nice: number; ready: () => Promise<void> },
): Promise<MixedLoadAnswers> {
  const child = spawn(process.execPath, ['--import', 'tsx', loadGeneratorScript], { stdio: ['pipe', 'pipe', 'pipe'] });
  setPriority(child.pid!, options.nice);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = (async function* () {
    for await (const chunk of child.stdout!) {
      out += String(chunk);
      let newline = out.indexOf('\n');
      while (newline >= 0) {
        yield out.slice(0, newline);
        out = out.slice(newline + 1);
        newline = out.indexOf('\n');
      }
    }
  })();
  child.stdin!.write(
    `${JSON.stringify({ url, burst: options.burst, smallImage: Buffer.from(options.smallImage).toString('base64') })}\n`,
  );
  const next = async (expected: string) => {
    const line = await lines.next();
    if (line.done) throw new Error(`the load generator exited (${await exited}) before ${expected}: ${err}`);
    return line.value;
  };
  if ((await next('ready')) !== 'ready') throw new Error(`the load generator did not say ready: ${err}`);
  await options.ready();
  child.stdin!.write('go\n');
  const answers = JSON.parse(await next('its answers')) as MixedLoadAnswers;
  child.stdin!.end();
  await exited;
  return answers;
}

/**
 * The mixed load against a server process (see sendMixedLoad), while /health is polled every `healthIntervalMs`
 * from a worker thread. With `clientNice`, the requests come from a child process at that CPU niceness.
 */
export async function mixedLoad(
  server: ServerProcess,
  {
    burst = 300,
    healthIntervalMs = 20,
    smallImage,
    clientNice,
  }: { burst?: number; healthIntervalMs?: number; smallImage: Buffer; clientNice?: number },
): Promise<{ figures: MixedLoadFigures; healthLatencies: number[] }> {
  let baseline = 0;
  let health: HealthProbe | undefined;
  const ready = async () => {
    baseline = processMemory(server.pid).rss;
    health = probeHealth(server.url, healthIntervalMs);
  };
  const answers =
    clientNice === undefined
      ? await sendMixedLoad(server.url, { burst, smallImage, ready })
      : await sendMixedLoadFromChild(server.url, { burst, smallImage, nice: clientNice, ready });
  const { latencies, failures } = await health!.stop();
  let crashes = 0;
  let peak = 0;
  try {
    peak = processMemory(server.pid).peak;
  } catch {
    crashes = 1;
  }
  if (server.child.exitCode !== null || server.child.signalCode !== null) crashes = 1;
  const results = answers.burst;
  const answered = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 429);
  const figures: MixedLoadFigures = {
    requests: results.length,
    answered,
    refused429: refused.length,
    other: results.length - answered - refused.length,
    refusedWithoutRetryAfter: refused.filter((r) => !r.retryAfter).length,
    wideImageStatus: answers.wide.status,
    wideImageMs: answers.wide.ms,
    hugePromptStatus: answers.huge.status,
    hugePromptMs: answers.huge.ms,
    wallMs: answers.wallMs,
    healthPolls: latencies.length,
    healthFailures: failures,
    healthP50Ms: percentile(latencies, 50),
    healthP99Ms: percentile(latencies, 99),
    healthMaxMs: Math.max(0, ...latencies),
    peakRssMb: peak / 1e6,
    baselineRssMb: baseline / 1e6,
    crashes,
  };
  return { figures, healthLatencies: latencies };
}
