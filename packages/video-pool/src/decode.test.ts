import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExtractFramesOptions, extractFrames, frameNumberExpression } from './decode.js';
import { type VideoPoolError, VideoPoolError as VideoPoolErrorClass } from './errors.js';
import { parseProbeOutput, probeVideo } from './probe.js';
import { resolveFfmpeg } from './process.js';

const run = promisify(execFile);
let dir: string;
const file = (name: string) => join(dir, name);

/** Frame n of these videos is a flat grey of level 4n, so a decoded frame tells which frame it is. */
const GREY_RAMP = "color=black:s=64x48:r=10:d=6,format=gray,geq=lum='4*N'";

// The fixtures are made with the same ffmpeg the library finds (the npm package's unless FFMPEG_PATH says otherwise).
const ffmpegBinary = resolveFfmpeg();

async function ffmpeg(...args: string[]) {
  await run(ffmpegBinary.path, ['-hide_banner', '-v', 'error', '-y', ...args], {
    env: { ...process.env, ...ffmpegBinary.env },
  });
}

/** Which frame of a grey-ramp video this is (mean of the red channel / 4). */
function rampFrame(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum += data[i]!;
  return Math.round(sum / (data.length / 3) / 4);
}

async function expectVideoPoolError(promise: Promise<unknown>, code: VideoPoolError['code'], pattern: RegExp) {
  const error = await promise.then(
    () => {
      throw new Error(`expected a VideoPoolError ${code}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VideoPoolErrorClass);
  expect((error as VideoPoolError).code).toBe(code);
  expect((error as Error).message).toMatch(pattern);
  return error as VideoPoolError;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'video-pool-test-'));
  // x264 with B-frames and a keyframe every 12 frames, lossless so grey levels survive: seeking must find frames
  // between keyframes. The MPEG-TS copy starts at 1.4 s and is what trips naive seeking.
  const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-qp', '0', '-g', '12', '-bf', '3', '-pix_fmt', 'yuv420p'];
  await Promise.all([
    ffmpeg('-f', 'lavfi', '-i', GREY_RAMP, ...x264, file('ramp.mp4')),
    ffmpeg('-f', 'lavfi', '-i', GREY_RAMP, ...x264, '-f', 'mpegts', file('ramp.ts')),
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=96x54:r=25:d=2', '-c:v', 'mpeg4', '-q:v', '3', file('testsrc.mkv')),
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=32x24:r=5:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', file('five.mp4')),
    ffmpeg('-f', 'lavfi', '-i', 'sine=d=0.5', file('audio.m4a')),
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=320x240:r=25:d=30',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      file('long.mp4'),
    ),
  ]);
  const mp4 = readFileSync(file('ramp.mp4'));
  writeFileSync(file('truncated.mp4'), mp4.subarray(0, Math.floor(mp4.length / 2)));
  writeFileSync(file('text.mp4'), 'this is not a video\n');
  mkdirSync(file('folder.mp4'));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('probeVideo', () => {
  it('reads size, rate, duration and frame count', async () => {
    const info = await probeVideo(file('ramp.mp4'));
    expect(info).toMatchObject({
      width: 64,
      height: 48,
      frameRate: 10,
      frameCount: 60,
      frameCountSource: 'container',
      durationSeconds: 6,
      codec: 'h264',
      startTime: 0,
      rotation: 0,
    });
  });

  it('estimates or counts frames when the container has no count (MPEG-TS) and reports its start time', async () => {
    const estimated = await probeVideo(file('ramp.ts'));
    expect(estimated).toMatchObject({ frameCount: 60, frameCountSource: 'estimated' });
    expect(estimated.startTime).toBeCloseTo(1.4, 6);
    const counted = await probeVideo(file('ramp.ts'), { countFrames: true });
    expect(counted).toMatchObject({ frameCount: 60, frameCountSource: 'counted' });
  });

  it('applies rotation metadata to the frame size (parsed ffprobe output)', () => {
    const info = parseProbeOutput('phone.mp4', {
      streams: [
        {
          codec_name: 'h264',
          width: 1920,
          height: 1080,
          avg_frame_rate: '30000/1001',
          r_frame_rate: '30000/1001',
          duration: '2.002000',
          nb_frames: '60',
          side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }],
        },
      ],
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.002000' },
    });
    expect(info).toMatchObject({ width: 1080, height: 1920, rotation: -90, frameCount: 60 });
    expect(info.frameRate).toBeCloseTo(29.97, 2);
  });

  it('names the file in clear errors: missing, not a video, audio only, directory, no ffprobe', async () => {
    await expectVideoPoolError(probeVideo(file('missing.mp4')), 'FILE_NOT_FOUND', /missing\.mp4 does not exist/);
    await expectVideoPoolError(probeVideo(file('text.mp4')), 'NOT_A_VIDEO', /text\.mp4.*Invalid data/);
    await expectVideoPoolError(probeVideo(file('truncated.mp4')), 'NOT_A_VIDEO', /truncated\.mp4/);
    await expectVideoPoolError(probeVideo(file('audio.m4a')), 'NOT_A_VIDEO', /audio\.m4a has no video stream/);
    await expectVideoPoolError(probeVideo(file('folder.mp4')), 'NOT_A_VIDEO', /is not a file/);
    await expectVideoPoolError(
      probeVideo(file('ramp.mp4'), { ffprobePath: '/nonexistent/ffprobe' }),
      'FFMPEG_NOT_FOUND',
      /'\/nonexistent\/ffprobe' \(from the ffprobePath option\) to read .*ramp\.mp4: not found; install the npm packages @ffmpeg-installer\/ffmpeg and @ffprobe-installer\/ffprobe/,
    );
  });
});

describe('frameNumberExpression', () => {
  it('merges runs and nests the search so the expression stays shallow', () => {
    expect(frameNumberExpression([5])).toBe('eq(n,5)');
    expect(frameNumberExpression([1, 2, 3, 7])).toBe('if(lt(n,7),between(n,1,3),eq(n,7))');
    expect(frameNumberExpression([0, 2, 4, 6])).toBe(
      'if(lt(n,4),if(lt(n,2),eq(n,0),eq(n,2)),if(lt(n,6),eq(n,4),eq(n,6)))',
    );
    const deep = frameNumberExpression(Array.from({ length: 1000 }, (_, i) => i * 2));
    expect(deep.match(/if\(/g)).toHaveLength(999);
  });
});

describe('extractFrames', () => {
  // First frames, both sides of a keyframe (every 12 frames), the last frames.
  const indices = [0, 2, 11, 13, 37, 50, 59];

  for (const strategy of ['seek', 'scan'] as const) {
    for (const name of ['ramp.mp4', 'ramp.ts']) {
      it(`decodes exactly the asked frames by ${strategy} (${name}, B-frames, between keyframes)`, async () => {
        const { frames, info } = await extractFrames(file(name), { frameIndices: indices, strategy });
        expect(frames.map((f) => f.frameIndex)).toEqual(indices);
        expect(frames.map((f) => rampFrame(f.data))).toEqual(indices);
        expect(frames[0]).toMatchObject({ width: 64, height: 48, channels: 3 });
        expect(frames[0]!.data).toHaveLength(64 * 48 * 3);
        expect(frames[2]!.timestamp).toBeCloseTo(11 / info.frameRate, 9);
      }, 60_000);
    }
  }

  it('scans many frames at once (every frame; every third frame of 750)', async () => {
    const all = Array.from({ length: 60 }, (_, i) => i);
    const { frames } = await extractFrames(file('ramp.mp4'), { frameIndices: all, strategy: 'scan' });
    expect(frames.map((f) => rampFrame(f.data))).toEqual(all);
    const sparse = Array.from({ length: 250 }, (_, i) => i * 3);
    const long = await extractFrames(file('long.mp4'), { frameIndices: sparse, strategy: 'scan', size: { width: 16 } });
    expect(long.frames).toHaveLength(250);
    // testsrc draws the time, so frames one second apart differ.
    expect(long.frames[0]!.data).not.toEqual(long.frames[25]!.data);
  }, 60_000);

  it("samples 8 frames at Video-ChatGPT's indices by default, in request order with repeats", async () => {
    const { frames, ffmpeg: decoder } = await extractFrames(file('ramp.mp4'));
    expect(decoder).toEqual(ffmpegBinary); // the result says which ffmpeg decoded it
    const expected = [3, 11, 18, 26, 33, 40, 48, 55]; // NumPy: get_seq_frames(60, 8)
    expect(frames.map((f) => f.frameIndex)).toEqual(expected);
    expect(frames.map((f) => rampFrame(f.data))).toEqual(expected);

    const repeated = await extractFrames(file('ramp.mp4'), { frameIndices: [30, 10, 30] });
    expect(repeated.frames.map((f) => rampFrame(f.data))).toEqual([30, 10, 30]);
    expect(repeated.frames[0]!.data).not.toBe(repeated.frames[2]!.data);
    expect(repeated.frames[0]!.data).toEqual(repeated.frames[2]!.data);
  }, 60_000);

  it('handles a video shorter than the frame count (5 frames, 8 asked)', async () => {
    const chatgpt = await extractFrames(file('five.mp4'), { count: 8 });
    expect(chatgpt.frames.map((f) => f.frameIndex)).toEqual([0, 1, 2, 2, 3]);
    const even = await extractFrames(file('five.mp4'), { count: 8, sampling: 'evenly-spaced' });
    expect(even.frames.map((f) => f.frameIndex)).toEqual([0, 0, 1, 2, 2, 3, 4, 4]); // floor(5 * (i + 0.5) / 8)
  }, 60_000);

  it('samples evenly spaced times and explicit timestamps', async () => {
    const even = await extractFrames(file('ramp.mp4'), { count: 4, sampling: 'evenly-spaced' });
    // Centres of four 1.5 s slices: 0.75, 2.25, 3.75, 5.25 s at 10 fps.
    expect(even.frames.map((f) => rampFrame(f.data))).toEqual([7, 22, 37, 52]);
    const timed = await extractFrames(file('ramp.ts'), { timestamps: [0, 2.5, 5.95] });
    expect(timed.frames.map((f) => rampFrame(f.data))).toEqual([0, 25, 59]);
  }, 60_000);

  it('resizes: both sides stretch, one side keeps the aspect ratio', async () => {
    const stretched = await extractFrames(file('testsrc.mkv'), { frameIndices: [5], size: { width: 40, height: 40 } });
    expect(stretched.frames[0]).toMatchObject({ width: 40, height: 40 });
    expect(stretched.frames[0]!.data).toHaveLength(40 * 40 * 3);
    const narrow = await extractFrames(file('testsrc.mkv'), { frameIndices: [5], size: { width: 48 } });
    expect(narrow.frames[0]).toMatchObject({ width: 48, height: 27 });
  }, 60_000);

  it('gives the same pixels by seeking and by scanning (testsrc, mpeg4 in Matroska)', async () => {
    const options: ExtractFramesOptions = { frameIndices: [0, 17, 33, 49], size: { width: 48, height: 32 } };
    const seek = await extractFrames(file('testsrc.mkv'), { ...options, strategy: 'seek' });
    const scan = await extractFrames(file('testsrc.mkv'), { ...options, strategy: 'scan' });
    for (const [i, frame] of seek.frames.entries()) expect(frame.data).toEqual(scan.frames[i]!.data);
    // testsrc frames differ over time (moving gradient, counter), so these are not one frame repeated.
    expect(seek.frames[0]!.data).not.toEqual(seek.frames[3]!.data);
  }, 60_000);

  it('reports progress per decoded frame', async () => {
    const seen: number[] = [];
    await extractFrames(file('ramp.mp4'), {
      frameIndices: [5, 40, 5],
      onProgress: ({ done, total }) => seen.push(done / total),
    });
    expect(seen).toEqual([0.5, 1]);
  }, 60_000);

  it('rejects bad requests before decoding', async () => {
    await expectVideoPoolError(
      extractFrames(file('ramp.mp4'), { frameIndices: [60] }),
      'BAD_INPUT',
      /frame index 60 is outside .*ramp\.mp4, which has 60 frames/,
    );
    await expectVideoPoolError(
      extractFrames(file('ramp.mp4'), { timestamps: [7] }),
      'BAD_INPUT',
      /timestamp 7 s is outside/,
    );
    await expectVideoPoolError(extractFrames(file('ramp.mp4'), { count: 0 }), 'BAD_INPUT', /count/);
    await expectVideoPoolError(
      extractFrames(file('ramp.mp4'), { frameIndices: [1], timestamps: [1] }),
      'BAD_INPUT',
      /either/,
    );
    await expectVideoPoolError(extractFrames(file('ramp.mp4'), { size: { width: 0 } }), 'BAD_INPUT', /size\.width/);
  }, 60_000);

  it('fails clearly on missing, corrupt and unsupported files and on a missing ffmpeg', async () => {
    await expectVideoPoolError(extractFrames(file('missing.mp4')), 'FILE_NOT_FOUND', /missing\.mp4/);
    await expectVideoPoolError(extractFrames(file('text.mp4')), 'NOT_A_VIDEO', /text\.mp4/);
    await expectVideoPoolError(extractFrames(file('audio.m4a')), 'NOT_A_VIDEO', /no video stream/);
    await expectVideoPoolError(
      extractFrames(file('ramp.mp4'), { ffmpegPath: '/nonexistent/ffmpeg' }),
      'FFMPEG_NOT_FOUND',
      /\/nonexistent\/ffmpeg/,
    );
    // A container that claims more frames than the stream holds (here: a lying probe result).
    const info = await probeVideo(file('ramp.ts'));
    for (const strategy of ['seek', 'scan'] as const) {
      await expectVideoPoolError(
        extractFrames(file('ramp.ts'), { info: { ...info, frameCount: 200 }, frameIndices: [10, 150], strategy }),
        'DECODE_FAILED',
        /frames? 150 of .*ramp\.ts/,
      );
    }
  }, 60_000);

  it('aborts: rejects with ABORTED and leaves no ffmpeg running', async () => {
    // Command lines of running processes (Linux /proc) that mention ffmpeg and this test's folder.
    const ffmpegRunningHere = () =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
          } catch {
            return ''; // the process ended meanwhile
          }
        })
        .filter((line) => line.includes(dir) && line.includes('ffmpeg'));
    // Mid-process: scanning all 750 frames of a 30 s video, aborted after the second frame arrives.
    for (const strategy of ['scan', 'seek'] as const) {
      const controller = new AbortController();
      let runningAtAbort: string[] = [];
      const pending = extractFrames(file('long.mp4'), {
        strategy,
        concurrency: 1,
        frameIndices: Array.from({ length: 750 }, (_, i) => i),
        signal: controller.signal,
        onProgress: ({ done }) => {
          if (done === 2) {
            runningAtAbort = ffmpegRunningHere();
            controller.abort(new Error('enough'));
          }
        },
      });
      await expectVideoPoolError(pending, 'ABORTED', /long\.mp4 was aborted/);
      if (strategy === 'scan') expect(runningAtAbort).toHaveLength(1);
      // No process still has this test's folder on its command line.
      expect(ffmpegRunningHere()).toEqual([]);
    }
    const already = new AbortController();
    already.abort();
    await expectVideoPoolError(extractFrames(file('ramp.mp4'), { signal: already.signal }), 'ABORTED', /aborted/);
  }, 60_000);
});
