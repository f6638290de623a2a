// Video tasks (Hal-Act, video QA) take a video either as a folder of extracted frames or as a video file. A file is
// decoded only when its sample is asked (tasks stay plain JSON and small): @locvlm/video-pool's ffmpeg decoding at
// Video-ChatGPT's frame indices, frames kept in memory and handed to the model as PNG bytes (runtime's ImageSource
// takes paths, encoded bytes or URLs, not raw RGB), so no temporary files are written.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ChatMessage, ContentPart, ImageSource } from '@locvlm/runtime';
import { extractFrames, videoChatGptFrameIndices } from '@locvlm/video-pool';
import { EvaluationError } from '../errors.js';
import type { EvalSample, ImageSize, VideoFileInput } from './types.js';

/** File extensions read as videos (anything ffmpeg decodes works when given explicitly with one of these). */
export const VIDEO_FILE_EXTENSIONS = [
  '.mp4',
  '.m4v',
  '.mov',
  '.mkv',
  '.webm',
  '.avi',
  '.gif',
  '.mpg',
  '.mpeg',
  '.ts',
  '.flv',
  '.wmv',
  '.ogv',
  '.3gp',
] as const;

/** List a video's extracted frames (image files sorted by name) and pick `count` as Video-ChatGPT does. */
export function listFrames(dir: string, count: number): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(jpe?g|png|webp)$/i.test(n));
  } catch (cause) {
    throw new EvaluationError('DATA', `cannot list frames in ${dir}: ${(cause as Error).message}`, { cause });
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0) throw new EvaluationError('DATA', `no frame images (jpg/png/webp) in ${dir}`);
  return videoChatGptFrameIndices(names.length, count).map((i) => join(dir, names[i]!));
}

/** True when the path ends in one of `VIDEO_FILE_EXTENSIONS` (case-insensitive). */
export function isVideoFile(path: string): boolean {
  return (VIDEO_FILE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** A video as a task sees it: picked frame images, or a video file decoded when asked. */
export type VideoSource = { frames: string[] } | { file: string };

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Find a video named `name` under `root`: a folder of extracted frames (`{root}/{name}/`), the path itself when it
 * is a video file, or `{root}/{name}{.mp4,.mkv,...}` (how Video-ChatGPT's inference scripts look videos up).
 * `prefixes` are also tried before the name (ActivityNet's `v_`). Frame folders win over files of the same name.
 */
export function resolveVideo(
  root: string,
  name: string,
  frameCount: number,
  prefixes: readonly string[] = [],
): VideoSource {
  const names = [name, ...prefixes.map((p) => `${p}${name}`)];
  for (const candidate of names) {
    const path = join(root, candidate);
    if (isDirectory(path)) return { frames: listFrames(path, frameCount) };
  }
  for (const candidate of names) {
    const path = join(root, candidate);
    if (isVideoFile(path) && existsSync(path)) return { file: path };
    for (const ext of VIDEO_FILE_EXTENSIONS) {
      if (existsSync(path + ext)) return { file: path + ext };
    }
  }
  throw new EvaluationError(
    'DATA',
    `video ${name}: no frame folder and no video file (${VIDEO_FILE_EXTENSIONS.join(', ')}) at ${join(root, names[0] ?? name)}` +
      (prefixes.length > 0 ? ` (also tried prefixes ${prefixes.join(', ')})` : ''),
  );
}

/** The request part for a video: frame paths, or (for a file) an empty frame list filled when asked. */
export function videoContentPart(source: VideoSource): ContentPart {
  return 'frames' in source
    ? { type: 'video', frames: source.frames.map((path) => ({ path })) }
    : { type: 'video', frames: [] };
}

/**
 * Decode a video file's frames at Video-ChatGPT's indices (`frameCount` of them; fewer for a video shorter than
 * that, as Video-ChatGPT does), resized to `frameSize` when given, as PNG-encoded bytes in time order.
 */
export async function decodeVideoFrames(input: VideoFileInput, signal?: AbortSignal): Promise<ImageSource[]> {
  let frames: Awaited<ReturnType<typeof extractFrames>>['frames'];
  try {
    ({ frames } = await extractFrames(input.file, {
      count: input.frameCount,
      sampling: 'video-chatgpt',
      ...(input.frameSize ? { size: input.frameSize } : {}),
      ...(signal ? { signal } : {}),
    }));
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new EvaluationError('DATA', `cannot decode video ${input.file}: ${(cause as Error).message}`, { cause });
  }
  if (frames.length === 0) throw new EvaluationError('DATA', `video ${input.file} has no frames`);
  const { default: sharp } = await import('sharp');
  return Promise.all(
    frames.map(async (frame) => {
      // Lossless and fast: the model decodes these bytes again right away.
      const png = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer();
      return { bytes: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
    }),
  );
}

/**
 * Decoded frames of the last few videos, so the several questions asked about one video (Hal-Act asks four) decode
 * it once. Holds promises, so concurrent requests for the same video share one decode; failures are not kept.
 */
export class DecodedVideoCache {
  readonly #entries = new Map<string, Promise<ImageSource[]>>();
  constructor(readonly capacity = 4) {}

  /** The decoded frames of `path`, decoding it on first use. */
  get(input: VideoFileInput, signal?: AbortSignal): Promise<ImageSource[]> {
    const key = JSON.stringify([input.file, input.frameCount, input.frameSize ?? null]);
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const decoding = decodeVideoFrames(input, signal);
    this.#entries.set(key, decoding);
    decoding.catch(() => this.#entries.delete(key));
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return decoding;
  }
}

/** The sample's messages with its video file's frames in the empty video part (unchanged without a video file). */
export async function withDecodedVideo(
  sample: EvalSample,
  options: { signal?: AbortSignal; cache?: DecodedVideoCache } = {},
): Promise<ChatMessage[]> {
  const input = sample.video;
  if (!input) return sample.messages;
  const frames = await (options.cache
    ? options.cache.get(input, options.signal)
    : decodeVideoFrames(input, options.signal));
  let filled = false;
  const messages = sample.messages.map((message): ChatMessage => {
    if (typeof message.content === 'string') return message;
    return {
      ...message,
      content: message.content.map((part) => {
        if (part.type !== 'video' || part.frames.length > 0 || filled) return part;
        filled = true;
        return { type: 'video', frames };
      }),
    };
  });
  if (!filled) {
    throw new EvaluationError('BAD_INPUT', `sample ${sample.id} names video ${input.file} but has no empty video part`);
  }
  return messages;
}

/** The `video` field of a sample for a file source (with the task's frame count and size). */
export function videoFileInput(
  source: VideoSource,
  frameCount: number,
  frameSize: ImageSize | undefined,
): VideoFileInput | undefined {
  if (!('file' in source)) return undefined;
  return { file: source.file, frameCount, ...(frameSize ? { frameSize } : {}) };
}
