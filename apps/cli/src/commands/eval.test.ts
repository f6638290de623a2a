// locvlm eval against a local OpenAI-compatible server (node:http): run, resume without asking again, report,
// re-score. The server answers every spatial question "left" and presence questions by a fixed object list.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

// 1x1 PNG; the runtime sends it to the server as a data URL.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

let server: Server;
let base: string;
const seen: { model: string; text: string; hasImage: boolean }[] = [];
/** Delay before each answer (to interrupt a run in progress). */
let slowMs = 0;

type WireMessage = { content: string | { type: string; text?: string; image_url?: { url: string } }[] };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
      const request = JSON.parse(body) as { model: string; messages: WireMessage[] };
      const last = request.messages.at(-1)!.content;
      const parts = typeof last === 'string' ? [{ type: 'text', text: last }] : last;
      const text = parts.flatMap((p) => (p.type === 'text' ? [p.text ?? ''] : [])).join(' ');
      seen.push({
        model: request.model,
        text,
        hasImage: parts.some((p) => p.image_url?.url.startsWith('data:image/png')),
      });
      // A judge (Video-ChatGPT protocol) is asked for a Python dict.
      const content = /Provide your evaluation only/.test(text)
        ? "{'pred': 'yes', 'score': 4}"
        : /Is there an? (dog|cat|chair|person|apple)/.test(text)
          ? 'Yes.'
          : /Is there/.test(text)
            ? 'No.'
            : 'It is on the left.';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

async function locvlm(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = { out: (t) => out.push(line(t)), err: (t) => err.push(line(t)) };
  const code = await run(argv, io);
  return { code, out: out.join('').trimEnd(), err: err.join('').trimEnd() };
}

/** Three 640x480 images; image 1 has dog (left) | cat, chair (right) as single instances. */
function dataset(): { dir: string; instances: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-eval-'));
  for (const name of ['img1.png', 'img2.png', 'img3.png']) writeFileSync(join(dir, name), PNG);
  const box = (cx: number, cy: number) => [cx - 20, cy - 20, 40, 40];
  const names = ['person', 'dog', 'cat', 'chair', 'apple', 'bird', 'kite', 'boat'];
  const categories = names.map((name, i) => ({ id: i + 1, name }));
  const cat = (n: string) => names.indexOf(n) + 1;
  let id = 1;
  const ann = (image: number, name: string, b: number[]) => ({
    id: id++,
    image_id: image,
    category_id: cat(name),
    bbox: b,
    iscrowd: 0,
  });
  const coco = {
    images: [1, 2, 3].map((i) => ({ id: i, file_name: `img${i}.png`, width: 640, height: 480 })),
    categories,
    annotations: [
      ann(1, 'dog', box(100, 240)),
      ann(1, 'cat', box(500, 100)),
      ann(1, 'chair', box(560, 400)),
      ann(1, 'person', box(300, 50)),
      ann(1, 'person', box(200, 300)),
      ann(2, 'bird', box(100, 60)),
      ann(2, 'kite', box(500, 80)),
      ann(3, 'boat', box(300, 420)),
      ann(3, 'apple', box(100, 100)),
    ],
  };
  const instances = join(dir, 'instances.json');
  writeFileSync(instances, JSON.stringify(coco));
  return { dir, instances };
}

// Cold imports of the eval stack and ONNX sessions are slow on a loaded machine; these are integration tests.
describe('locvlm eval', { timeout: 60_000 }, () => {
  it('has one sub-command per @locvlm/eval task', async () => {
    const { TASKS } = await import('@locvlm/eval');
    const { EVAL_TASK_NAMES } = await import('./eval.js');
    expect([...EVAL_TASK_NAMES]).toEqual(TASKS.map((t) => t.name));
  });

  it('lists the tasks', async () => {
    const result = await locvlm('eval', 'tasks');
    expect(result.code).toBe(0);
    expect(result.out).toContain('coco-spatial-released');
    expect(result.out).toContain('--data instances_val2014.json');
  });

  it('runs a task through an OpenAI-compatible server, resumes without asking again, reports and re-scores', async () => {
    const { dir, instances } = dataset();
    const out = join(dir, 'run-a');
    // A pool of two endpoints (the same server twice; a base URL with its /v1 is accepted).
    const model = ['--endpoint', `${base}/v1`, '--endpoint', base, '--model-name', 'llava-test'];
    const args = ['eval', 'coco-spatial', ...model, '--data', instances, '--images', dir, '--out', out];
    const before = seen.length;
    const first = await locvlm(...args);
    expect(first.err).toContain('coco-spatial: 2 samples');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ task: 'coco-spatial', accuracy: 1, samples: 2, answered: 2 });
    expect(seen.length - before).toBe(2);
    expect(seen.at(-1)).toMatchObject({
      model: 'llava-test',
      hasImage: true,
      text: 'Which side of cat is dog located?',
    });
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    // Same command again: everything is in the run file, nothing is asked.
    const again = await locvlm(...args);
    expect(again.code).toBe(0);
    expect(seen.length - before).toBe(2);

    const hal = join(dir, 'run-hal');
    const halResult = await locvlm(
      'eval',
      'hal-coco',
      '--endpoint',
      base,
      '--model-name',
      'llava-test',
      '--concurrency',
      '3',
      '--data',
      instances,
      '--images',
      dir,
      '--out',
      hal,
      '--no-progress',
    );
    expect(halResult.code).toBe(0);
    // Two present and two absent objects for each of the 3 images.
    expect(JSON.parse(halResult.out)).toMatchObject({ task: 'hal-coco', samples: 12, answered: 12, missing: 0 });

    const report = await locvlm(
      'eval',
      'report',
      `baseline=${out}`,
      `mine=${hal}`,
      '--out',
      join(dir, 'report'),
      '--images',
      'link',
    );
    expect(report.code).toBe(0);
    expect(report.out).toContain('Table 4: Spatial reasoning');
    // Finding the 3 pictures ends with the progress convention's summary line; then how they came out (linked
    // relative to the report).
    const [found, summary] = report.err.split('\n');
    expect(found).toMatch(/^report pictures: 3\/3 in \d+m?s/);
    expect(summary).toBe(`report: ${join(dir, 'report', 'report.html')} (14 linked)`);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<img class="sample-picture" src="../img1.png"');
    expect(html).toContain('mine');

    const rescored = await locvlm('eval', 'rescore', out);
    expect(rescored.code).toBe(0);
    expect(JSON.parse(rescored.out).accuracy).toBe(1);
  });

  /** `locvlm eval hal-coco` on one image of the dataset with a local model directory (and more flags). */
  const evalLocal = (fixture: string, data: { dir: string; instances: string }, out: string, ...flags: string[]) =>
    locvlm(
      'eval',
      'hal-coco',
      '--model',
      fileURLToPath(new URL(`../../../../packages/runtime/fixtures/${fixture}`, import.meta.url)),
      ...flags,
      '--data',
      data.instances,
      '--images',
      data.dir,
      '--out',
      out,
      '--limit',
      '1',
      '--max-new-tokens',
      '4',
      '--no-progress',
    );

  it("runs in-process on an ONNX model (the runtime's tiny random-weight fixture)", async () => {
    const data = dataset();
    const out = join(data.dir, 'run-onnx');
    const result = await evalLocal('tiny-llava', data, out);
    expect(result.err).toContain('hal-coco: 4 samples');
    expect(result.code).toBe(0);
    // Random weights answer nonsense, but every answer is cached and scored.
    expect(JSON.parse(result.out)).toMatchObject({ task: 'hal-coco', samples: 4, answered: 4, missing: 0 });
    const lines = readFileSync(join(out, 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!).config.model).toContain('tiny-llava');
    expect(lines).toHaveLength(5);
    // Other weights are another model: the run file records them, so a resume cannot mix the two.
    const q4 = await evalLocal('tiny-llava', data, out, '--dtype', 'q4');
    expect(q4.code).not.toBe(0);
    expect(q4.err).toMatch(/#q4/);
    const fresh = join(data.dir, 'run-onnx-q4');
    const ok = await evalLocal('tiny-llava', data, fresh, '--dtype', 'q4');
    expect(ok.code).toBe(0);
    const q4Lines = readFileSync(join(fresh, 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(q4Lines[0]!).config.model).toMatch(/tiny-llava#q4$/);
  });

  it('runs in-process on a family transformers.js runs (a Qwen2.5-VL export)', async () => {
    const data = dataset();
    const out = join(data.dir, 'run-qwen');
    const result = await evalLocal('tiny-qwen2.5-vl', data, out, '--dtype', 'q4');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ task: 'hal-coco', samples: 4, answered: 4, missing: 0 });
    const first = JSON.parse(readFileSync(join(out, 'predictions.jsonl'), 'utf8').split('\n')[0]!);
    expect(first.config.model).toMatch(/tiny-qwen2\.5-vl#q4$/);
  });

  it('Ctrl-C stops a run cleanly and the same command resumes it', async () => {
    const { dir, instances } = dataset();
    const out = join(dir, 'run-sigint');
    const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
    const args = ['--import', 'tsx', bin, 'eval', 'hal-coco', '--endpoint', base, '--model-name', 'slow'];
    args.push('--data', instances);
    args.push('--images', dir, '--out', out, '--no-progress');
    slowMs = 150;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Interrupt once a few answers are in the run file.
    const file = join(out, 'predictions.jsonl');
    while (!existsSync(file) || readFileSync(file, 'utf8').trim().split('\n').length < 4) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    slowMs = 0;
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: interrupted after \d+ of 12 answers; run the same command again to resume/);
    const kept = readFileSync(file, 'utf8').trim().split('\n').length - 1;
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(12);
    // A request the child sent just before it died may still be reaching the fake server: let it land first, so
    // only the resumed run's requests are counted below.
    await new Promise((r) => setTimeout(r, 1000));
    const before = seen.length;
    const resumed = await locvlm('eval', ...args.slice(4));
    expect(resumed.code).toBe(0);
    expect(seen.length - before).toBe(12 - kept);
  });

  it('refuses bad flags with exit code 2 and a message naming them', async () => {
    const { instances } = dataset();
    const missing = await locvlm('eval', 'coco-spatial', '--model', '/x', '--out', '/tmp/x');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/required option '--data <files...>' not specified/);
    const unknown = await locvlm('eval', 'mmbench', '--model', '/x', '--data', instances, '--out', '/tmp/x');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'mmbench'/);
    const oldFlag = await locvlm('eval', 'coco-spatial', '--backend', 'onnx:/x', '--data', instances, '--out', '/x');
    expect(oldFlag.code).toBe(2);
    expect(oldFlag.err).toMatch(/unknown option '--backend'/);
    const run = ['--data', instances, '--out', '/tmp/x'];
    const cases: Array<[string[], RegExp]> = [
      [
        ['--model', '/x', '--endpoint', base, '--model-name', 'm'],
        /give either --model DIR or --endpoint URL, not both/,
      ],
      [['--model', '/x', '--model-name', 'm'], /--model-name goes with --endpoint/],
      [['--endpoint', base], /--endpoint needs --model-name NAME/],
      [
        ['--endpoint', base, '--model-name', 'm', '--concurrency', '0'],
        /--concurrency "0": must be a positive integer/,
      ],
      [['--endpoint', base, '--model-name', 'm', '--concurrency', 'many'], /--concurrency "many"/],
      [['--model', '/x', '--judge-endpoint', base], /--judge-endpoint needs --judge-model-name NAME/],
      [['--model', '/x', '--judge-model-name', 'j'], /--judge-model-name goes with --judge-endpoint/],
      [
        ['--model', '/x', '--judge-model', '/j', '--judge-endpoint', base],
        /give either --judge-model DIR or --judge-endpoint/,
      ],
      [['--model', '/x', '--limit', 'many'], /--limit "many"/],
    ];
    for (const [flags, message] of cases) {
      const result = await locvlm('eval', 'hal-coco', ...flags, ...run);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.err).toMatch(message);
      expect(result.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('grades video QA with a judge model named by the --judge-* flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-eval-video-'));
    mkdirSync(join(dir, 'frames', 'v1'), { recursive: true });
    for (const name of ['00.png', '01.png']) writeFileSync(join(dir, 'frames', 'v1', name), PNG);
    writeFileSync(join(dir, 'q.json'), JSON.stringify([{ video_name: 'v1', question_id: 1, question: 'Where?' }]));
    writeFileSync(join(dir, 'a.json'), JSON.stringify([{ question_id: 1, answer: 'on the left' }]));
    const before = seen.length;
    const result = await locvlm(
      ...['eval', 'video-qa', '--data', join(dir, 'q.json'), join(dir, 'a.json'), '--frames', join(dir, 'frames')],
      ...['--endpoint', base, '--model-name', 'video-model'],
      ...['--judge-endpoint', base, '--judge-model-name', 'judge-model', '--out', join(dir, 'run'), '--no-progress'],
    );
    expect(result.err).toContain('activitynet-qa: 1 samples');
    expect(result.code).toBe(0);
    // (A late answer to the interrupted run of the Ctrl-C test may land in `seen` too.)
    const asked = seen.slice(before).filter((s) => s.model !== 'slow');
    expect(asked.map((s) => s.model)).toEqual(['video-model', 'judge-model']);
    expect(asked[1]!.text).toContain('Correct Answer: on the left');
    expect(JSON.parse(result.out)).toMatchObject({ task: 'activitynet-qa', accuracy: 1, 'score(0-5)': 4 });
    const help = await locvlm('eval', 'video-qa', '--help');
    expect(help.out).toMatch(/--judge-model <dir>/);
  });
});
