import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { VideoPoolError } from './errors.js';
import { type FfmpegBinaries, resolveFfprobe, runProcess, stderrTail } from './process.js';

/** What ffprobe says about a file's first video stream (cover-art pictures skipped). */
export interface VideoInfo {
  file: string;
  /** Frame size as decoded frames come out of ffmpeg: rotation metadata applied (90/270 degrees swap the sides). */
  width: number;
  height: number;
  /** Seconds (the stream's duration, else the container's). */
  durationSeconds: number;
  /** Average frame rate (frames per second); `r_frame_rate` when the average is unknown. */
  frameRate: number;
  /** Frames in the stream; how it was found is in `frameCountSource`. */
  frameCount: number;
  /**
   * 'container': the stream header's frame count (mp4/mov), what decord's `len(vr)` usually reports;
   * 'counted': ffprobe counted the packets (`countFrames: true`; reads the whole file but decodes nothing);
   * 'estimated': round(duration x frame rate).
   */
  frameCountSource: 'container' | 'counted' | 'estimated';
  /** Codec name as ffprobe prints it, e.g. 'h264'. */
  codec: string;
  /** Container format name(s), e.g. 'mov,mp4,m4a,3gp,3g2,mj2'. */
  format: string;
  /** Time of the stream's first frame in seconds (MPEG-TS files often start at 1.4 s); frame times count from it. */
  startTime: number;
  /** Display rotation in degrees (0 when none). */
  rotation: number;
}

export interface ProbeOptions extends FfmpegBinaries {
  /** Count packets when the container does not record the frame count (reads the whole file; no decoding). */
  countFrames?: boolean;
  signal?: AbortSignal;
}

const numeric = z.union([z.number(), z.string()]).optional();

const probeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_name: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
        duration: numeric,
        start_time: numeric,
        nb_frames: numeric,
        nb_read_packets: numeric,
        side_data_list: z.array(z.object({ rotation: numeric }).loose()).optional(),
        tags: z.object({ rotate: numeric }).loose().optional(),
      }),
    )
    .optional(),
  format: z.object({ format_name: z.string().optional(), duration: numeric, start_time: numeric }).loose().optional(),
});

function toNumber(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" -> 29.97; "0/0" and junk -> undefined. */
export function parseFrameRate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [num, den] = text.split('/').map(Number);
  const rate = den === undefined ? num : num! / den;
  return rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/** Turn ffprobe's JSON (`-show_entries` as `probeVideo` asks for it) into a VideoInfo; throws NOT_A_VIDEO. */
export function parseProbeOutput(file: string, json: unknown): VideoInfo {
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) {
    throw new VideoPoolError(
      'NOT_A_VIDEO',
      `ffprobe output for ${file} has an unexpected shape: ${parsed.error.message}`,
      {
        cause: parsed.error,
        file,
      },
    );
  }
  const stream = parsed.data.streams?.[0];
  if (!stream) throw new VideoPoolError('NOT_A_VIDEO', `${file} has no video stream`, { file });
  const { width, height } = stream;
  if (!width || !height) {
    throw new VideoPoolError('NOT_A_VIDEO', `${file}: ffprobe reports no frame size for the video stream`, { file });
  }
  const frameRate = parseFrameRate(stream.avg_frame_rate) ?? parseFrameRate(stream.r_frame_rate);
  if (frameRate === undefined) {
    throw new VideoPoolError(
      'NOT_A_VIDEO',
      `${file}: ffprobe reports no frame rate (avg_frame_rate '${stream.avg_frame_rate}', r_frame_rate '${stream.r_frame_rate}')`,
      { file },
    );
  }
  const durationSeconds = toNumber(stream.duration) ?? toNumber(parsed.data.format?.duration);
  const containerFrames = toNumber(stream.nb_frames);
  const countedFrames = toNumber(stream.nb_read_packets);
  let frameCount: number;
  let frameCountSource: VideoInfo['frameCountSource'];
  if (containerFrames !== undefined && containerFrames > 0) {
    frameCount = containerFrames;
    frameCountSource = 'container';
  } else if (countedFrames !== undefined && countedFrames > 0) {
    frameCount = countedFrames;
    frameCountSource = 'counted';
  } else if (durationSeconds !== undefined && durationSeconds > 0) {
    frameCount = Math.max(1, Math.round(durationSeconds * frameRate));
    frameCountSource = 'estimated';
  } else {
    throw new VideoPoolError('NOT_A_VIDEO', `${file}: ffprobe reports neither a frame count nor a duration`, { file });
  }
  const rotation =
    toNumber(stream.side_data_list?.find((entry) => entry.rotation !== undefined)?.rotation) ??
    toNumber(stream.tags?.rotate) ??
    0;
  const quarterTurn = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  return {
    file,
    width: quarterTurn ? height : width,
    height: quarterTurn ? width : height,
    durationSeconds: durationSeconds ?? frameCount / frameRate,
    frameRate,
    frameCount,
    frameCountSource,
    codec: stream.codec_name ?? 'unknown',
    format: parsed.data.format?.format_name ?? 'unknown',
    startTime: toNumber(stream.start_time) ?? toNumber(parsed.data.format?.start_time) ?? 0,
    rotation,
  };
}

/** Reject a missing, unreadable or non-file path before starting ffmpeg, with the reason. */
export async function checkReadableFile(file: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new VideoPoolError('FILE_NOT_FOUND', `video file ${file} ${reason}`, { cause: error, file });
  }
  if (!stats.isFile()) throw new VideoPoolError('NOT_A_VIDEO', `${file} is not a file`, { file });
}

/**
 * Size, duration, frame rate and frame count of a video's first video stream, from ffprobe.
 * Errors: FILE_NOT_FOUND, NOT_A_VIDEO (not a media file, unsupported container, no video stream),
 * FFMPEG_NOT_FOUND, ABORTED.
 */
export async function probeVideo(file: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  await checkReadableFile(file);
  const args = [
    '-v',
    'error',
    '-select_streams',
    'V:0',
    ...(options.countFrames ? ['-count_packets'] : []),
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,duration,start_time,nb_frames' +
      `${options.countFrames ? ',nb_read_packets' : ''}:stream_side_data=rotation:stream_tags=rotate` +
      ':format=format_name,duration,start_time',
    '-of',
    'json',
    // '-i' is not needed by ffprobe, and "file:" keeps a name like "a:b.mp4" from being read as a protocol.
    fileUrl(file),
  ];
  const result = await runProcess(resolveFfprobe(options), args, {
    file,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.exitCode !== 0) {
    throw new VideoPoolError(
      'NOT_A_VIDEO',
      `ffprobe cannot read ${file} as a video (exit code ${result.exitCode ?? result.exitSignal})${stderrTail(result.stderr)}`,
      { file },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(result.stdout));
  } catch (error) {
    throw new VideoPoolError('NOT_A_VIDEO', `ffprobe printed invalid JSON for ${file}`, { cause: error, file });
  }
  return parseProbeOutput(file, json);
}

/** ffmpeg input name for a local path: the `file:` protocol, so ':' in a name is never taken as a protocol. */
export function fileUrl(file: string): string {
  return `file:${file}`;
}
