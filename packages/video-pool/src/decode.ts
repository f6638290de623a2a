import { VideoPoolError } from './errors.js';
import { checkReadableFile, fileUrl, type ProbeOptions, probeVideo, type VideoInfo } from './probe.js';
import {
  abortedError,
  type FfmpegBinaries,
  frameRateModeOption,
  type ResolvedBinary,
  resolveFfmpeg,
  runProcess,
  stderrTail,
} from './process.js';
import { evenlySpacedTimestamps, frameIndexAt, LOCVLM_VID_FRAMES, videoChatGptFrameIndices } from './sampling.js';

/** One decoded frame: packed RGB, 3 bytes per pixel, rows top to bottom (sharp's `raw` input layout). */
export interface VideoFrame {
  /**
   * width x height x 3 bytes. Frames decoded by the same ffmpeg run are views into one buffer, so use `data`
   * itself (or its byteOffset/byteLength), not `data.buffer`, when handing pixels on.
   */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  /** Index of the frame in the stream (decode order from 0, as decord and ffmpeg's `n` count). */
  frameIndex: number;
  /** Nominal time of the frame, frameIndex / frameRate, in seconds from the start of the stream. */
  timestamp: number;
}

/** How frames are chosen when no explicit indices or timestamps are given. */
export type FrameSampling = 'video-chatgpt' | 'evenly-spaced';

/** ffmpeg's swscale algorithms for resizing. */
export type ScaleAlgorithm = 'bicubic' | 'bilinear' | 'fast_bilinear' | 'neighbor' | 'area' | 'lanczos';

export interface ExtractFramesOptions extends FfmpegBinaries {
  /** Frames to sample (default 8, the paper's LocVLM-Vid-B+). */
  count?: number;
  /**
   * 'video-chatgpt' (default): Video-ChatGPT's indices, min(count, frames) of them (a short video gives fewer).
   * 'evenly-spaced': frames at the centres of `count` equal slices of the duration (always `count` frames).
   */
  sampling?: FrameSampling;
  /** Decode exactly these frame indices (in this order; repeats allowed) instead of sampling. */
  frameIndices?: readonly number[];
  /** Decode the frames shown at these times (seconds) instead of sampling. */
  timestamps?: readonly number[];
  /**
   * Output size. Both sides: stretched to exactly that (Video-ChatGPT resizes to 224 x 224 this way). One side:
   * the other follows the aspect ratio. Omitted: the video's own size.
   */
  size?: { width?: number; height?: number };
  /** Resize algorithm (default 'bicubic', ffmpeg's default). */
  scaleAlgorithm?: ScaleAlgorithm;
  /**
   * 'seek': each frame is decoded from the keyframe before it (-ss before -i; up to 8 seeks per ffmpeg process),
   * so 8 frames of a 2-hour video decode a few hundred frames, not the whole stream. 'scan': one ffmpeg run that
   * decodes the stream from the start up to the last wanted frame and keeps the wanted ones (better when frames
   * are dense). 'auto' (default): scan when the video has at most 64 frames per wanted frame, else seek.
   */
  strategy?: 'auto' | 'seek' | 'scan';
  /** ffmpeg processes at once when seeking (default 2); each decodes single-threaded. */
  concurrency?: number;
  /** Use this probe result instead of running ffprobe again. */
  info?: VideoInfo;
  /** Passed to probeVideo when probing. */
  countFrames?: ProbeOptions['countFrames'];
  signal?: AbortSignal;
  /** Called after each decoded frame. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** What `extractFrames` returns: the video's info, the frames and the ffmpeg that decoded them. */
export interface ExtractedFrames {
  info: VideoInfo;
  /** One frame per requested index or timestamp, in request order. */
  frames: VideoFrame[];
  /** The ffmpeg that decoded them and where it came from (builds can differ in the last bit of a resized pixel). */
  ffmpeg: ResolvedBinary;
}

const SCAN_WHEN_FRAMES_PER_WANTED_AT_MOST = 64;

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new VideoPoolError('BAD_INPUT', `${name} must be an integer >= 1, got ${value}`);
  }
}

/** The frame indices that `extractFrames` would decode for these options (no decoding). */
export function chooseFrameIndices(info: VideoInfo, options: ExtractFramesOptions = {}): number[] {
  const { frameCount, frameRate, file } = info;
  if (options.frameIndices && options.timestamps) {
    throw new VideoPoolError('BAD_INPUT', 'give either frameIndices or timestamps, not both');
  }
  if (options.frameIndices) {
    for (const index of options.frameIndices) {
      if (!Number.isInteger(index) || index < 0 || index >= frameCount) {
        throw new VideoPoolError(
          'BAD_INPUT',
          `frame index ${index} is outside ${file}, which has ${frameCount} frames (${info.frameCountSource})`,
          { file },
        );
      }
    }
    return [...options.frameIndices];
  }
  if (options.timestamps) {
    return options.timestamps.map((seconds) => {
      if (!(seconds >= 0 && seconds <= info.durationSeconds)) {
        throw new VideoPoolError(
          'BAD_INPUT',
          `timestamp ${seconds} s is outside ${file}, which lasts ${info.durationSeconds} s`,
          { file },
        );
      }
      return frameIndexAt(seconds, frameRate, frameCount);
    });
  }
  const count = options.count ?? LOCVLM_VID_FRAMES;
  checkPositiveInteger('count', count);
  const sampling = options.sampling ?? 'video-chatgpt';
  if (sampling === 'video-chatgpt') return videoChatGptFrameIndices(frameCount, count);
  if (sampling === 'evenly-spaced') {
    return evenlySpacedTimestamps(info.durationSeconds, count).map((t) => frameIndexAt(t, frameRate, frameCount));
  }
  throw new VideoPoolError('BAD_INPUT', `sampling must be 'video-chatgpt' or 'evenly-spaced', got '${sampling}'`);
}

/** Output frame size for the requested `size` (see ExtractFramesOptions.size). */
export function outputSize(info: VideoInfo, size: ExtractFramesOptions['size']): { width: number; height: number } {
  const width = size?.width;
  const height = size?.height;
  if (width !== undefined) checkPositiveInteger('size.width', width);
  if (height !== undefined) checkPositiveInteger('size.height', height);
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) return { width, height: Math.max(1, Math.round((width * info.height) / info.width)) };
  if (height !== undefined) return { width: Math.max(1, Math.round((height * info.width) / info.height)), height };
  return { width: info.width, height: info.height };
}

const SCALE_ALGORITHMS: readonly ScaleAlgorithm[] = [
  'bicubic',
  'bilinear',
  'fast_bilinear',
  'neighbor',
  'area',
  'lanczos',
];

/**
 * Decode sampled frames of a video with ffmpeg, as packed RGB at a chosen size, straight from ffmpeg's stdout
 * into memory (no temporary files). By default 8 frames at Video-ChatGPT's indices, at the video's own size.
 *
 * Errors (VideoPoolError): FILE_NOT_FOUND, NOT_A_VIDEO, DECODE_FAILED (corrupt or truncated stream, fewer frames
 * than the container claims), FFMPEG_NOT_FOUND, BAD_INPUT, ABORTED. Every ffmpeg process is killed on error or
 * abort.
 */
export async function extractFrames(file: string, options: ExtractFramesOptions = {}): Promise<ExtractedFrames> {
  const userSignal = options.signal;
  if (userSignal?.aborted) throw abortedError(file, userSignal.reason);
  const scaleAlgorithm = options.scaleAlgorithm ?? 'bicubic';
  if (!SCALE_ALGORITHMS.includes(scaleAlgorithm)) {
    throw new VideoPoolError(
      'BAD_INPUT',
      `scaleAlgorithm must be one of ${SCALE_ALGORITHMS.join(', ')}, got '${scaleAlgorithm}'`,
    );
  }
  const concurrency = options.concurrency ?? 2;
  checkPositiveInteger('concurrency', concurrency);
  const strategyOption = options.strategy ?? 'auto';
  if (!['auto', 'seek', 'scan'].includes(strategyOption)) {
    throw new VideoPoolError('BAD_INPUT', `strategy must be 'auto', 'seek' or 'scan', got '${strategyOption}'`);
  }

  let info: VideoInfo;
  if (options.info) {
    await checkReadableFile(file);
    info = options.info;
  } else {
    info = await probeVideo(file, {
      ...binaries(options),
      ...(options.countFrames === undefined ? {} : { countFrames: options.countFrames }),
      ...(userSignal ? { signal: userSignal } : {}),
    });
  }
  const requested = chooseFrameIndices(info, options);
  const { width, height } = outputSize(info, options.size);
  const ffmpeg = resolveFfmpeg(options);
  if (requested.length === 0) return { info, frames: [], ffmpeg };
  const frameRateMode = await frameRateModeOption(ffmpeg, file, userSignal);

  const unique = [...new Set(requested)].sort((a, b) => a - b);
  const strategy =
    strategyOption === 'auto'
      ? info.frameCount <= unique.length * SCAN_WHEN_FRAMES_PER_WANTED_AT_MOST
        ? 'scan'
        : 'seek'
      : strategyOption;

  // One controller for every ffmpeg process of this call: the caller's abort or our first failure kills them all.
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', forwardAbort, { once: true });
  const job: DecodeJob = {
    file,
    info,
    width,
    height,
    filter: `scale=${width}:${height}:flags=${scaleAlgorithm}`,
    ffmpeg,
    frameRateMode,
    signal: controller.signal,
    total: unique.length,
    done: 0,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  let decoded: Map<number, Uint8Array>;
  try {
    decoded =
      strategy === 'scan'
        ? await decodeByScan(job, unique)
        : await decodeBySeeking(job, unique, concurrency, controller);
  } catch (error) {
    controller.abort();
    // The caller's own abort wins over whatever a killed process reported.
    if (userSignal?.aborted) throw abortedError(file, userSignal.reason);
    throw error;
  } finally {
    userSignal?.removeEventListener('abort', forwardAbort);
  }
  // An abort that came as the last process was finishing still counts.
  if (userSignal?.aborted) throw abortedError(file, userSignal.reason);

  const seen = new Set<number>();
  const frames = requested.map((frameIndex): VideoFrame => {
    const pixels = decoded.get(frameIndex)!;
    // A repeated index gets its own copy, so callers can modify frames independently.
    const data = seen.has(frameIndex) ? pixels.slice() : pixels;
    seen.add(frameIndex);
    return { data, width, height, channels: 3, frameIndex, timestamp: frameIndex / info.frameRate };
  });
  return { info, frames, ffmpeg };
}

function binaries(options: FfmpegBinaries): FfmpegBinaries {
  return {
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    ...(options.ffprobePath ? { ffprobePath: options.ffprobePath } : {}),
  };
}

interface DecodeJob {
  file: string;
  info: VideoInfo;
  width: number;
  height: number;
  filter: string;
  ffmpeg: ResolvedBinary;
  /** `-fps_mode` or, for ffmpeg before 5.1, `-vsync`. */
  frameRateMode: string;
  signal: AbortSignal;
  total: number;
  done: number;
  onProgress?: (progress: { done: number; total: number }) => void;
}

const COMMON_INPUT_ARGS = ['-hide_banner', '-nostdin', '-v', 'error'];

/** Raw RGB frames on stdout; `map` picks the stream (first real video stream by default, or a filter output). */
function outputArgs(frameRateMode: string, frames: number, map = '0:V:0'): string[] {
  return [
    '-map',
    map,
    '-an',
    '-sn',
    '-dn',
    '-frames:v',
    String(frames),
    // Every selected frame once, as decoded: no duplicates or drops to keep a constant rate.
    frameRateMode,
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

function missingFramesError(job: DecodeJob, missing: number[], detail: string): VideoPoolError {
  const list = missing.length > 8 ? `${missing.slice(0, 8).join(', ')}, ...` : missing.join(', ');
  return new VideoPoolError(
    'DECODE_FAILED',
    `ffmpeg could not decode frame${missing.length === 1 ? '' : 's'} ${list} of ${job.file} ` +
      `(${job.info.frameCount} frames according to ${job.info.frameCountSource}; the file may be corrupt or truncated)${detail}`,
    { file: job.file },
  );
}

/**
 * How far before the target frame each seek attempt starts, in seconds. A seek (-ss before -i) only moves the
 * demuxer near the target: some containers (MPEG-TS for one) land past the keyframe the target needs, so the first
 * frame decoded is later than the target, or none comes at all. Each attempt checks the time of the frame it got
 * and, if that overshot, the next one starts earlier and decodes forward to the target.
 */
const SEEK_PREROLLS_SECONDS = [0, 5, 30, 120];
/** Seeks per ffmpeg process: each is one more input (demuxer + single-threaded decoder) open at once. */
const MAX_SEEKS_PER_PROCESS = 8;

interface SeekEntry {
  index: number;
  /** Seconds from the stream start: half a frame before the frame's nominal time (never the frame after it). */
  target: number;
  /** Where the demuxer is asked to seek to (seconds from the stream start); 0: decode from the start. */
  inputSeek: number;
}

/**
 * One ffmpeg run that decodes one frame per entry, each input being the same file opened with its own seek. Each
 * input's chain keeps the first frame at or after the target time (file timestamps kept with -copyts), logs its
 * time with a named `showinfo`, and resizes it; `concat` puts the frames on stdout in entry order.
 */
function seekBatchArgs(job: DecodeJob, entries: SeekEntry[]): string[] {
  const inputs = entries.flatMap((entry) => [
    ...(entry.inputSeek > 0 ? ['-ss', entry.inputSeek.toFixed(6), '-noaccurate_seek'] : []),
    '-threads',
    '1',
    '-copyts',
    '-i',
    fileUrl(job.file),
  ]);
  const chains = entries.map((entry, k) => {
    const absoluteTarget = (job.info.startTime + entry.target).toFixed(6);
    return `[${k}:V:0]select='gte(t,${absoluteTarget})',trim=end_frame=1,showinfo@frame${k},${job.filter}[v${k}]`;
  });
  const labels = entries.map((_, k) => `[v${k}]`).join('');
  return [
    // showinfo logs at the info level.
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-v',
    'info',
    ...inputs,
    '-filter_complex',
    `${chains.join(';')};${labels}concat=n=${entries.length}:v=1:a=0[out]`,
    ...outputArgs(job.frameRateMode, entries.length, '[out]'),
  ];
}

/** Frame time logged by each `showinfo@frameK` (the first line for each K). */
function showinfoTimes(stderr: string): Map<number, number> {
  const times = new Map<number, number>();
  for (const match of stderr.matchAll(/showinfo@frame(\d+) @ [^\]]*\][^\n]*?\spts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)/g)) {
    const k = Number(match[1]);
    if (!times.has(k)) times.set(k, Number(match[2]));
  }
  return times;
}

/** ffmpeg's log without the informational lines that -v info adds (stream mapping, showinfo). */
function errorLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/showinfo@|^\s*(Input|Output|Stream|Duration|Metadata|Press|\w+\s*:)/.test(line))
    .join('\n');
}

interface SeekOutcome {
  /** A frame within one frame interval of its target (or decoded from the very start). */
  accepted?: Uint8Array;
  /** A frame that came later than that: the seek landed past the keyframe the target needs. */
  overshot?: Uint8Array;
  detail: string;
}

async function seekBatch(job: DecodeJob, entries: SeekEntry[]): Promise<SeekOutcome[]> {
  const frameBytes = job.width * job.height * 3;
  const result = await runProcess(job.ffmpeg, seekBatchArgs(job, entries), {
    file: job.file,
    signal: job.signal,
    outputBytes: frameBytes * entries.length,
    stderrKeep: 262144,
  });
  if (result.exitCode !== 0) {
    const detail = `; ffmpeg exit code ${result.exitCode ?? result.exitSignal}${stderrTail(errorLines(result.stderr))}`;
    return entries.map(() => ({ detail }));
  }
  const times = showinfoTimes(result.stderr);
  const { frameRate, startTime } = job.info;
  let position = 0;
  return entries.map((entry, k): SeekOutcome => {
    const time = times.get(k);
    if (time === undefined) return { detail: '; no frame at or after that time' };
    const start = position++ * frameBytes;
    if (start + frameBytes > result.stdoutBytes) {
      return { detail: `; ffmpeg returned ${result.stdoutBytes} bytes, fewer than the frames it logged` };
    }
    const frame = result.stdout.subarray(start, start + frameBytes);
    if (entry.inputSeek === 0 || time < startTime + entry.target + 1 / frameRate)
      return { accepted: frame, detail: '' };
    return { overshot: frame, detail: `; the nearest frame found is at ${time} s` };
  });
}

/** Contiguous groups of sorted work, at least `concurrency` of them (when there is enough), each at most `max`. */
function splitIntoBatches<T>(items: T[], concurrency: number, max: number): T[][] {
  const count = Math.max(Math.min(concurrency, items.length), Math.ceil(items.length / max));
  const size = Math.ceil(items.length / count);
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** Run `work` on each item, at most `concurrency` at once; the first failure aborts the rest and is thrown. */
async function runPool<T>(
  items: T[],
  concurrency: number,
  controller: AbortController,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        if (!failed) {
          failed = true;
          failure = error;
          controller.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed) throw failure;
}

/**
 * Seek to every wanted frame, several seeks per ffmpeg process (one process start instead of many). Frames whose
 * seek overshot or found nothing are tried again, all together, from further back (SEEK_PREROLLS_SECONDS).
 */
async function decodeBySeeking(
  job: DecodeJob,
  indices: number[],
  concurrency: number,
  controller: AbortController,
): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  const overshot = new Map<number, Uint8Array>();
  const details = new Map<number, string>();
  const triedSeeks = new Map<number, Set<number>>();
  let pending = indices;
  for (const preroll of SEEK_PREROLLS_SECONDS) {
    const entries: SeekEntry[] = [];
    for (const index of pending) {
      const target = (index - 0.5) / job.info.frameRate;
      const inputSeek = Math.max(0, target - preroll);
      const tried = triedSeeks.get(index) ?? new Set<number>();
      triedSeeks.set(index, tried);
      // Starting from the same point again would give the same frame.
      if (tried.has(inputSeek)) continue;
      tried.add(inputSeek);
      entries.push({ index, target, inputSeek });
    }
    if (entries.length === 0) break;
    await runPool(
      splitIntoBatches(entries, concurrency, MAX_SEEKS_PER_PROCESS),
      concurrency,
      controller,
      async (batch) => {
        const outcomes = await seekBatch(job, batch);
        for (const [k, outcome] of outcomes.entries()) {
          const { index } = batch[k]!;
          if (outcome.accepted) {
            out.set(index, outcome.accepted);
            job.done++;
            job.onProgress?.({ done: job.done, total: job.total });
          } else {
            // The latest overshooting frame came from the earliest start: the best one yet.
            if (outcome.overshot) overshot.set(index, outcome.overshot);
            details.set(index, outcome.detail);
          }
        }
      },
    );
    pending = pending.filter((index) => !out.has(index));
    if (pending.length === 0) break;
  }
  // Every attempt overshot by more than a frame: the stream has a gap there (variable frame rate); keep the frame
  // decoded from the earliest start.
  for (const index of pending) {
    const frame = overshot.get(index);
    if (frame) {
      out.set(index, frame);
      job.done++;
      job.onProgress?.({ done: job.done, total: job.total });
    }
  }
  const missing = pending.filter((index) => !out.has(index));
  if (missing.length > 0) throw missingFramesError(job, missing, details.get(missing[0]!) ?? '');
  return out;
}

/**
 * An ffmpeg expression that is 1 exactly for the frame numbers `n` in `sorted` (ascending, distinct): runs of
 * consecutive numbers become `between`, and the runs are searched with nested `if(lt(...))`, so the expression
 * stays shallow (ffmpeg's parser fails on a flat sum of a couple of hundred terms).
 */
export function frameNumberExpression(sorted: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  const build = (from: number, to: number): string => {
    if (to - from === 1) {
      const [a, b] = runs[from]!;
      return a === b ? `eq(n,${a})` : `between(n,${a},${b})`;
    }
    const middle = (from + to) >> 1;
    return `if(lt(n,${runs[middle]![0]}),${build(from, middle)},${build(middle, to)})`;
  };
  return build(0, runs.length);
}

async function decodeByScan(job: DecodeJob, indices: number[]): Promise<Map<number, Uint8Array>> {
  const frameBytes = job.width * job.height * 3;
  const selectExpression = frameNumberExpression(indices);
  const args = [
    ...COMMON_INPUT_ARGS,
    '-i',
    fileUrl(job.file),
    '-vf',
    `select='${selectExpression}',${job.filter}`,
    ...outputArgs(job.frameRateMode, indices.length),
  ];
  const result = await runProcess(job.ffmpeg, args, {
    file: job.file,
    signal: job.signal,
    outputBytes: frameBytes * indices.length,
    onBytes: (total) => {
      const complete = Math.min(Math.floor(total / frameBytes), indices.length);
      while (job.done < complete) {
        job.done++;
        job.onProgress?.({ done: job.done, total: job.total });
      }
    },
  });
  const complete = Math.floor(Math.min(result.stdoutBytes, frameBytes * indices.length) / frameBytes);
  if (result.exitCode !== 0 || complete < indices.length) {
    throw missingFramesError(
      job,
      indices.slice(complete),
      `; ffmpeg exit code ${result.exitCode ?? result.exitSignal}${stderrTail(result.stderr)}`,
    );
  }
  const out = new Map<number, Uint8Array>();
  // Views into the one buffer ffmpeg's output was read into.
  for (const [i, index] of indices.entries()) {
    out.set(index, result.stdout.subarray(i * frameBytes, (i + 1) * frameBytes));
  }
  return out;
}
