import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '@locvlm/video-pool';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

// The fixture of @locvlm/pseudo-data (COCO instances + images drawn by sharp).
const fixtures = join(dirname(createRequire(import.meta.url).resolve('@locvlm/pseudo-data/package.json')), 'fixtures');

async function locvlm(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = { out: (t) => out.push(line(t)), err: (t) => err.push(line(t)) };
  const code = await run(argv, io);
  return { code, out: out.join('').trimEnd(), err: err.join('').trimEnd() };
}

describe('locvlm data localize-instruct', () => {
  it('writes LLaVA JSON and stats.json and prints a summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cli-li-'));
    const result = await locvlm(
      'data',
      'localize-instruct',
      '--coco',
      join(fixtures, 'instances.json'),
      '--images-dir',
      join(fixtures, 'images'),
      '--images-root',
      fixtures,
      '--out',
      out,
      '--seed',
      '3',
      '--bins',
      '336',
      '--repr',
      'point',
      '--frame',
      'pad-square',
    );
    // The progress convention's summary line (stderr is no terminal here).
    expect(result.err).toMatch(/^images: 4\/4 in \d+m?s/);
    expect(result.code).toBe(0);
    expect(result.out).toContain('records: 7');
    expect(result.out).toContain('LocPred 4, NegPred 4, RevLoc 4');
    const records = JSON.parse(readFileSync(join(out, 'localize-instruct.json'), 'utf8'));
    expect(records[0].image).toBe('images/cat-and-two-dogs.png');
    expect(JSON.stringify(records)).toContain('(cx,cy) point');
    // The cat's centre (30, 40) in the 160x120 image is (30, 60) in the padded 160x160 square: IVB-336 (63, 126).
    expect(JSON.stringify(records)).toContain('It is located at (63, 126)');
    expect(JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')).records).toBe(7);
  }, 30_000);

  it('reports bad flags and bad files as input errors (exit 2) naming the problem', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cli-li-'));
    const badBins = await locvlm(
      'data',
      'localize-instruct',
      '--coco',
      join(fixtures, 'instances.json'),
      '--out',
      out,
      '--bins',
      'x',
    );
    expect(badBins.code).toBe(2);
    expect(badBins.err).toContain('--bins "x"');
    const bad = join(out, 'bad.json');
    const coco = JSON.parse(readFileSync(join(fixtures, 'instances.json'), 'utf8'));
    coco.annotations[2].bbox = [1, 2, 3];
    writeFileSync(bad, JSON.stringify(coco));
    const badFile = await locvlm('data', 'localize-instruct', '--coco', bad, '--out', out);
    expect(badFile.code).toBe(2);
    expect(badFile.err).toContain('annotations[2].bbox');
    const help = await locvlm('data', 'localize-instruct', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('--repr <repr>');
  }, 30_000);

  it('builds from panoptic output and from referring expressions', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cli-pan-'));
    const panoptic = await locvlm(
      'data',
      'localize-instruct',
      '--panoptic',
      join(fixtures, 'panoptic.json'),
      '--panoptic-png',
      join(fixtures, 'panoptic'),
      '--out',
      out,
      '--format',
      'jsonl',
    );
    expect(panoptic.code).toBe(0);
    expect(readFileSync(join(out, 'localize-instruct.jsonl'), 'utf8').trim().split('\n').length).toBe(7);
    const refs = await locvlm(
      'data',
      'localize-instruct',
      '--coco',
      join(fixtures, 'instances.json'),
      '--refs',
      join(fixtures, 'refs.json'),
      '--out',
      out,
    );
    expect(refs.code).toBe(0);
    expect(readFileSync(join(out, 'localize-instruct.json'), 'utf8')).toContain('orange cat on the left');
  }, 30_000);
});

describe('locvlm data video', () => {
  it('samples 8 frames with video-pool, detects, keeps the (static) objects and writes blurred frames', async () => {
    const { execFileSync } = await import('node:child_process');
    const { existsSync, readdirSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'cli-video-'));
    const video = join(dir, 'videos', 'still.mp4');
    (await import('node:fs')).mkdirSync(dirname(video), { recursive: true });
    // A 2-second clip of the fixture image: every object stands still. Made with the ffmpeg video-pool decodes with.
    const ffmpeg = resolveFfmpeg();
    execFileSync(
      ffmpeg.path,
      [
        ...['-loglevel', 'error', '-loop', '1', '-i', join(fixtures, 'images', 'cat-and-two-dogs.png')],
        ...['-t', '2', '-r', '10', '-pix_fmt', 'yuv420p', video],
      ],
      { env: { ...process.env, ...ffmpeg.env } },
    );
    const out = join(dir, 'out');
    const result = await locvlm(
      'data',
      'video',
      '--out',
      out,
      '--videos-root',
      join(dir, 'videos'),
      '--score',
      '0.1',
      '--seed',
      '2',
      video,
      '--no-progress',
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('videos: 1');
    expect(result.out).toContain('moving 0');
    expect(result.out).toMatch(/faces blurred: \d+ in \d+ of 8 frames written/);
    expect(JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')).blurredFaces.images).toBe(8);
    expect(readdirSync(join(out, 'frames', 'still'))).toHaveLength(8);
    const records = JSON.parse(readFileSync(join(out, 'localize-video.json'), 'utf8'));
    expect(records[0].id).toBe('still.mp4:locpred');
    expect(records[0].video).toBe('still.mp4');
    expect(records[0].frames[0]).toBe('frames/still/00.jpg');
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.objects).toBeGreaterThan(0);
    expect(existsSync(join(out, 'video.run.jsonl'))).toBe(true);
  }, 120_000);
});

describe('locvlm data pseudo-boxes', () => {
  it('detects objects in a folder and writes COCO instances that localize-instruct reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-boxes-'));
    const instances = join(dir, 'pseudo.json');
    const boxes = await locvlm(
      'data',
      'pseudo-boxes',
      '--images',
      join(fixtures, 'images'),
      '--out',
      instances,
      '--score',
      '0.1',
    );
    expect(boxes.err).toMatch(/^images: 4\/4 in \d+m?s \([\d.]+\/s\)$/);
    expect(boxes.code).toBe(0);
    expect(boxes.out).toContain('images: 4');
    const coco = JSON.parse(readFileSync(instances, 'utf8'));
    expect(coco.categories).toHaveLength(80);
    expect(coco.annotations.length).toBeGreaterThan(0);
    const built = await locvlm('data', 'localize-instruct', '--coco', instances, '--out', join(dir, 'li'));
    expect(built.code).toBe(0);
    expect(built.out).toContain('images: 4');
    const bad = await locvlm(
      'data',
      'pseudo-boxes',
      '--images',
      join(fixtures, 'images'),
      '--out',
      instances,
      '--score',
      '2',
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--score "2"');
  }, 120_000);
});

describe('locvlm data prefcoco', () => {
  it('asks an OpenAI-compatible server for captions, builds PRefCOCO, and resumes from its run file', async () => {
    const { createServer } = await import('node:http');
    let requests = 0;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        requests++;
        const text = JSON.stringify(JSON.parse(body).messages);
        const category = /Describe the (.+?) in this image/.exec(text)?.[1] ?? 'thing';
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: `The ${category} sits near the middle. Extra.` },
                finish_reason: 'stop',
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const out = mkdtempSync(join(tmpdir(), 'cli-prefcoco-'));
      const url = `http://127.0.0.1:${port}`;
      const command = (endpoints: string[], seed = '4') => [
        ...['data', 'prefcoco', '--coco', join(fixtures, 'instances.json'), '--images-dir', join(fixtures, 'images')],
        ...['--out', out, ...endpoints.flatMap((e) => ['--endpoint', e]), '--model-name', 'fake'],
        ...['--concurrency', '2', '--seed', seed],
      ];
      // A pool of two endpoints (the same server twice; a base URL with its /v1 is accepted).
      const args = command([url, `${url}/v1`]);
      const first = await locvlm(...args, '--no-progress');
      expect(first.err).toBe('');
      expect(first.code).toBe(0);
      expect(first.out).toContain('described 4 objects (0 answers unusable)');
      expect(requests).toBe(4);
      const bytes = readFileSync(join(out, 'prefcoco.json'), 'utf8');
      expect(bytes).toContain('The stop sign sits near the middle.');
      expect(bytes).not.toContain('Extra');
      const again = await locvlm(...args);
      expect(again.code).toBe(0);
      expect(requests).toBe(4); // everything came from the run file
      expect(readFileSync(join(out, 'prefcoco.json'), 'utf8')).toBe(bytes);
      // The endpoint list may change between runs (the served model name may not): the run file still fits.
      const fewer = await locvlm(...command([url]));
      expect(fewer.code).toBe(0);
      expect(requests).toBe(4);
      const otherSeed = await locvlm(...command([url], '5'));
      expect(otherSeed.code).toBe(0); // the seed shapes the records, not the captions: the run file still fits
      expect(requests).toBe(4);
      const both = await locvlm(...command([url]), '--model', join(out, 'model'));
      expect(both.code).toBe(2);
      expect(both.err).toBe('error: give either --model DIR or --endpoint URL, not both');
      const badConcurrency = await locvlm(...command([url]), '--concurrency', '-1');
      expect(badConcurrency.code).toBe(2);
      expect(badConcurrency.err).toContain('--concurrency "-1": must be a positive integer');
    } finally {
      server.close();
    }
  }, 60_000);

  it('captions with a local model in-process (--model DIR)', async () => {
    const tinyModel = fileURLToPath(new URL('../../../../packages/runtime/fixtures/tiny-llava', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'cli-prefcoco-local-'));
    const result = await locvlm(
      ...['data', 'prefcoco', '--coco', join(fixtures, 'instances.json'), '--images-dir', join(fixtures, 'images')],
      ...['--out', out, '--model', tinyModel, '--max-new-tokens', '4', '--concurrency', '1'],
    );
    expect(result.err).toMatch(/^objects: 4\/4 in \d+m?s \([\d.]+\/s\)$/);
    expect(result.code).toBe(0);
    // Random weights write nonsense, but every one of the 4 objects was asked and answered.
    expect(result.out).toMatch(/described \d+ objects \(\d+ answers unusable\)/);
    const [, described, unusable] = /described (\d+) objects \((\d+)/.exec(result.out)!;
    expect(Number(described) + Number(unusable)).toBe(4);
    const runFile = readFileSync(join(out, 'prefcoco.run.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(runFile[0]!).config.model).toBe(tinyModel);
  }, 60_000);
});

describe('locvlm data blur-faces', () => {
  it('copies a folder with the faces blurred and counts them per image in stats.json', async () => {
    const { mkdirSync, copyFileSync } = await import('node:fs');
    const { default: sharp } = await import('sharp');
    const dir = mkdtempSync(join(tmpdir(), 'cli-blur-'));
    const images = join(dir, 'images');
    mkdirSync(images);
    // The five face crops of a photo that ships with @vladmandic/human (a dependency of @locvlm/pseudo-data).
    const pseudoData = createRequire(join(dirname(fixtures), 'package.json'));
    const assets = join(dirname(pseudoData.resolve('@vladmandic/human')), '..', 'assets');
    await sharp(join(assets, 'screenshot-facedetect.jpg'))
      .extract({ left: 0, top: 340, width: 800, height: 165 })
      .toFile(join(images, 'faces.jpg'));
    copyFileSync(join(fixtures, 'images', 'empty.png'), join(images, 'empty.png'));
    const out = join(dir, 'out');
    const result = await locvlm('data', 'blur-faces', '--images', images, '--out', out);
    expect(result.err).not.toMatch(/error/i); // progress may be reported there
    expect(result.code).toBe(0);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.images).toBe(2);
    expect(stats.perImage['empty.png']).toBe(0);
    expect(stats.perImage['faces.jpg']).toBeGreaterThanOrEqual(5);
    expect(result.out).toContain(`faces blurred: ${stats.faces} in 1 of 2 images`);
    const original = await sharp(join(images, 'faces.jpg')).raw().toBuffer();
    const blurred = await sharp(join(out, 'faces.jpg')).raw().toBuffer();
    expect(Buffer.compare(original, blurred)).not.toBe(0);
    const bad = await locvlm('data', 'blur-faces', '--images', images, '--out', out, '--min-face', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--min-face "x"');
    const same = await locvlm('data', 'blur-faces', '--images', images, '--out', images);
    expect(same.code).toBe(2);
    expect(same.err).toContain('is the images folder');
  }, 120_000);
});
