import { VideoPoolError } from './errors.js';

/** Frames per video in Video-ChatGPT (and LocVLM-Vid-B). */
export const VIDEO_CHATGPT_FRAMES = 100;
/** Frames per video in the paper's LocVLM-Vid-B+ ("8 uniformly spaced frames", Appendix D). */
export const LOCVLM_VID_FRAMES = 8;

/**
 * Round to the nearest integer, ties to the even one: what Python's `round` and NumPy's `np.round` do
 * (`round(0.5) == 0`, `round(1.5) == 2`, `round(2.5) == 2`), unlike `Math.round`, which sends ties up.
 */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  // x - floor(x) is exact for every finite double, so the tie test below is exact too.
  const fraction = x - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new VideoPoolError('BAD_INPUT', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Video-ChatGPT's frame indices (video_chatgpt/eval/model_utils.py `get_seq_frames`, called with
 * `min(total, maxFrames)`): `n = min(totalFrames, maxFrames)`, `seg = (totalFrames - 1) / n`, and frame i is
 * `(round(seg * i) + round(seg * (i + 1))) // 2` with NumPy's round-half-to-even.
 *
 * A video shorter than `maxFrames` gives one index per frame, but not always distinct ones: for 5 frames the
 * indices are [0, 1, 2, 2, 3], exactly as in Video-ChatGPT (the last frame is never taken).
 */
export function videoChatGptFrameIndices(totalFrames: number, maxFrames: number = VIDEO_CHATGPT_FRAMES): number[] {
  checkCount('totalFrames', totalFrames, 1);
  checkCount('maxFrames', maxFrames, 1);
  const count = Math.min(totalFrames, maxFrames);
  // Same double-precision arithmetic as Python: float(total - 1) / count, then seg * i.
  const segment = (totalFrames - 1) / count;
  const indices = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const start = roundHalfEven(segment * i);
    const end = roundHalfEven(segment * (i + 1));
    indices[i] = Math.floor((start + end) / 2);
  }
  return indices;
}

/**
 * `count` timestamps (seconds) at the centres of `count` equal slices of `[0, durationSeconds)`:
 * `durationSeconds * (i + 0.5) / count`. Plain uniform sampling that needs no frame count; the first and last
 * timestamps keep half a slice away from the ends, where videos often hold black or fade frames.
 */
export function evenlySpacedTimestamps(durationSeconds: number, count: number): number[] {
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new VideoPoolError('BAD_INPUT', `durationSeconds must be a positive number, got ${durationSeconds}`);
  }
  checkCount('count', count, 1);
  return Array.from({ length: count }, (_, i) => (durationSeconds * (i + 0.5)) / count);
}

/**
 * The frame index shown at `seconds` in a constant-frame-rate video: `floor(seconds * frameRate)`, clamped to
 * `[0, totalFrames - 1]`. A tiny tolerance keeps `k / frameRate` (which may be a hair below k/fps in doubles) on frame k.
 */
export function frameIndexAt(seconds: number, frameRate: number, totalFrames: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new VideoPoolError('BAD_INPUT', `timestamp must be a number >= 0, got ${seconds}`);
  }
  if (!Number.isFinite(frameRate) || frameRate <= 0) {
    throw new VideoPoolError('BAD_INPUT', `frameRate must be a positive number, got ${frameRate}`);
  }
  checkCount('totalFrames', totalFrames, 1);
  const index = Math.floor(seconds * frameRate + 1e-9);
  return Math.min(Math.max(index, 0), totalFrames - 1);
}
