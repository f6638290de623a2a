/** Stable error codes of @locvlm/video-pool. */
export type VideoPoolErrorCode =
  /** An argument is out of range or has the wrong shape (the message names it). */
  | 'BAD_INPUT'
  /** The video file does not exist or cannot be read. */
  | 'FILE_NOT_FOUND'
  /** The ffmpeg or ffprobe binary could not be started. */
  | 'FFMPEG_NOT_FOUND'
  /** ffprobe could not read the file as a video: not a media file, an unsupported container, or no video stream. */
  | 'NOT_A_VIDEO'
  /** ffmpeg failed or returned fewer frames than asked for (corrupt or truncated stream, unsupported codec). */
  | 'DECODE_FAILED'
  /** The caller's AbortSignal fired; any ffmpeg process started for the call has been killed. */
  | 'ABORTED';

/** The one error class of this package: a stable `code` and a message naming the bad value and where it came from. */
export class VideoPoolError extends Error {
  override readonly name = 'VideoPoolError';
  readonly code: VideoPoolErrorCode;
  /** The video file the error is about, when there is one. */
  readonly file: string | undefined;
  constructor(code: VideoPoolErrorCode, message: string, options?: { cause?: unknown; file?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options?.file;
  }
}
