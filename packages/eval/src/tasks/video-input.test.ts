// Video tasks on video files: short clips made here with ffmpeg's lavfi sources, run end to end through runEval
// against a deterministic model double that records the frames it was given.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateRequest, ImageSource } from '@locvlm/runtime';
import { extractFrames, resolveFfmpeg, videoChatGptFrameIndices } from '@locvlm/video-pool';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { runEval } from '../runs/run-eval.js';
import { fakeModel, lastUserText } from '../testing/fake-model.js';
import { buildHalAct } from './hallucination.js';
import { decodeVideoFrames, isVideoFile, resolveVideo } from './video-input.js';
import { buildVideoQa } from './video-qa.js';

let dir: string;

// The clips are made with the ffmpeg video-pool decodes with (the npm package's unless FFMPEG_PATH is set).
const ffmpegBinary = resolveFfmpeg();

function ffmpeg(args: string[]): void {
  execFileSync(ffmpegBinary.path, ['-v', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...ffmpegBinary.env },
  });
}

/** Luma of ramp frame n (limited range), chosen so every frame is a distinct flat grey. */
const rampLuma = (n: number) => 20 + 10 * n;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eval-video-'));
  // 20 frames at 10 fps whose grey level encodes the frame number, losslessly coded.
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=64x48:r=10:d=2,geq=lum='20+10*N':cb=128:cr=128`,
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'ramp.mp4'),
  ]);
  // ffmpeg's test pattern, 30 frames, as VP9 WebM and as a GIF.
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=96x72:r=10:d=3', '-c:v', 'libvpx-vp9', join(dir, 'street.webm')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=96x72:r=10:d=3', join(dir, 'park.gif')]);
  writeFileSync(join(dir, 'broken.mp4'), Buffer.from('this is not a video, just bytes named like one'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The frames of the request's video part, decoded back to RGB. */
async function receivedFrames(request: GenerateRequest) {
  const user = request.messages.find((m) => m.role === 'user');
  if (!user || typeof user.content === 'string') throw new Error('no user parts');
  const video = user.content.find((p) => p.type === 'video');
  if (video?.type !== 'video') throw new Error('no video part');
  return Promise.all(
    video.frames.map(async (source: ImageSource) => {
      if (!('bytes' in source)) throw new Error('expected encoded bytes');
      const { data, info } = await sharp(source.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), width: info.width, height: info.height };
    }),
  );
}

const mean = (data: Uint8Array) => data.reduce((s, v) => s + v, 0) / data.length;

describe('video files in video tasks', () => {
  it('recognises video files and finds them by name with or without extension', () => {
    expect(isVideoFile('a/b.MP4')).toBe(true);
    expect(isVideoFile('a/b.gif')).toBe(true);
    expect(isVideoFile('a/b.jpg')).toBe(false);
    expect(resolveVideo(dir, 'ramp', 8)).toEqual({ file: join(dir, 'ramp.mp4') });
    expect(resolveVideo(dir, 'street.webm', 8)).toEqual({ file: join(dir, 'street.webm') });
    expect(() => resolveVideo(dir, 'missing', 8)).toThrow(/video missing: no frame folder and no video file/);
  });

  it('runs video QA on an MP4: 8 frames at Video-ChatGPT indices, in order, at the asked size', async () => {
    const task = buildVideoQa(
      [
        { id: 'q1', video: 'ramp', question: 'What colour is the video?', answer: 'grey' },
        { id: 'q2', video: 'ramp', question: 'What is in the video?', answer: 'nothing' },
      ],
      { dataset: 'msvd', framesRoot: dir, frameSize: { width: 32, height: 24 } },
    );
    expect(task.samples[0]?.video).toEqual({
      file: join(dir, 'ramp.mp4'),
      frameCount: 8,
      frameSize: { width: 32, height: 24 },
    });
    expect(JSON.stringify(task)).not.toContain('bytes');
    const model = fakeModel('fake-video', (request) => (lastUserText(request).includes('colour') ? 'Grey.' : 'a cat'));
    const result = await runEval({ task, model, outDir: join(dir, 'run-qa') });
    expect(result.score.metrics.accuracy).toBe(0.5);
    expect(model.calls).toHaveLength(2);

    const expected = videoChatGptFrameIndices(20, 8);
    expect(expected).toHaveLength(8);
    for (const call of model.calls) {
      const frames = await receivedFrames(call);
      expect(frames).toHaveLength(8);
      const seen = frames.map((frame) => {
        expect([frame.width, frame.height]).toEqual([32, 24]);
        // Limited-range luma to full-range RGB, then the ramp frame closest to the decoded grey.
        const level = mean(frame.data);
        let best = 0;
        for (let n = 1; n < 20; n++) {
          const err = (n: number) => Math.abs(((rampLuma(n) - 16) * 255) / 219 - level);
          if (err(n) < err(best)) best = n;
        }
        return best;
      });
      expect(seen).toEqual(expected);
    }
  }, 30_000);

  it('runs Hal-Act on WebM and GIF files with exactly the frames video-pool decodes', async () => {
    const records = [
      { video: 'street', objects: ['dog', 'car'] },
      { video: 'park.gif', objects: ['tree', 'dog'] },
    ];
    const task = buildHalAct(records, {
      framesRoot: dir,
      frameSize: { width: 48, height: 36 },
      vocabulary: ['dog', 'car', 'tree', 'cup', 'bench', 'kite'],
      seed: 3,
    });
    expect(task.samples).toHaveLength(8);
    expect(task.samples[0]?.messages[0]?.content).toContainEqual({ type: 'video', frames: [] });
    expect(task.samples[0]?.view.video).toBe(join(dir, 'street.webm'));
    const present = new Set(['street:dog', 'street:car', 'park.gif:tree', 'park.gif:dog']);
    const received: GenerateRequest[] = [];
    const model = fakeModel('fake-hal', (request) => {
      received.push(request);
      const text = lastUserText(request);
      expect(text).toMatch(/in the video\?$/);
      return /\b(dog|car|tree)\b/.test(text) ? 'Yes, there is.' : 'No.';
    });
    const result = await runEval({ task, model, outDir: join(dir, 'run-hal') });
    // The double says yes to dog/car/tree everywhere: right on every present object, wrong on absent ones it likes.
    const truth = task.samples.map((s) => present.has(s.id));
    const said = task.samples.map((s) => /:(dog|car|tree)$/.test(s.id));
    const right = truth.filter((t, i) => t === said[i]).length;
    expect(result.score.metrics.accuracy).toBeCloseTo(right / 8, 10);

    for (const [file, prefix] of [
      ['street.webm', 'street:'],
      ['park.gif', 'park.gif:'],
    ] as const) {
      const reference = await extractFrames(join(dir, file), { count: 8, size: { width: 48, height: 36 } });
      expect(reference.frames.map((f) => f.frameIndex)).toEqual(videoChatGptFrameIndices(30, 8));
      const index = task.samples.findIndex((s) => s.id.startsWith(prefix));
      const frames = await receivedFrames(received[index]!);
      expect(frames).toHaveLength(8);
      frames.forEach((frame, i) => {
        expect([frame.width, frame.height]).toEqual([48, 36]);
        expect(frame.data).toEqual(reference.frames[i]!.data);
      });
      // testsrc moves every frame: consecutive sampled frames differ.
      expect(frames[0]!.data).not.toEqual(frames[7]!.data);
    }
  }, 30_000);

  it('names the video file when it cannot be decoded', async () => {
    await expect(decodeVideoFrames({ file: join(dir, 'broken.mp4'), frameCount: 8 })).rejects.toMatchObject({
      name: 'EvaluationError',
      code: 'DATA',
      message: expect.stringContaining(`cannot decode video ${join(dir, 'broken.mp4')}`),
    });
    const task = buildVideoQa([{ id: 'q1', video: 'broken', question: 'What happens?', answer: 'nothing' }], {
      dataset: 'tgif',
      framesRoot: dir,
    });
    const model = fakeModel('never-asked', () => 'x');
    const run = runEval({ task, model, outDir: join(dir, 'run-broken') });
    await expect(run).rejects.toThrow(/broken\.mp4/);
    await run.catch((error: unknown) => {
      const chain: unknown[] = [];
      for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e);
      expect(chain.some((e) => e instanceof EvaluationError)).toBe(true);
    });
    expect(model.calls).toHaveLength(0);
  }, 30_000);
});
