// Running ffmpeg/ffprobe: stdout straight into memory, stderr kept for error messages, the child always killed on
// abort or failure. node:child_process is enough here: we need a byte stream into a preallocated buffer, not a shell.
import { spawn } from 'node:child_process';
import { VideoPoolError } from './errors.js';

/** Where to find the binaries; explicit options win over FFMPEG_PATH / FFPROBE_PATH, then the PATH. */
export interface FfmpegBinaries {
  /** Path of the ffmpeg binary (default: $FFMPEG_PATH, else `ffmpeg` on the PATH). */
  ffmpegPath?: string;
  /** Path of the ffprobe binary (default: $FFPROBE_PATH, else `ffprobe` on the PATH). */
  ffprobePath?: string;
}

export function ffmpegBinary(options: FfmpegBinaries): string {
  return options.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
}

export function ffprobeBinary(options: FfmpegBinaries): string {
  return options.ffprobePath ?? process.env.FFPROBE_PATH ?? 'ffprobe';
}

export interface RunResult {
  /** stdout bytes (a view of the preallocated buffer when `outputBytes` was given). */
  stdout: Uint8Array;
  /** Bytes ffmpeg wrote to stdout, including any beyond the buffer's end. */
  stdoutBytes: number;
  /** The last few kilobytes of stderr. */
  stderr: string;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** The video file, for error messages. */
  file: string;
  signal?: AbortSignal;
  /** Preallocate this many bytes for stdout (raw frames); otherwise stdout is collected as it comes (JSON). */
  outputBytes?: number;
  /** Keep this many characters of stderr's end (default 8192). */
  stderrKeep?: number;
  /** Called as stdout bytes arrive, with the running total. */
  onBytes?: (total: number) => void;
}

const STDERR_KEEP = 8192;

export function abortedError(file: string, reason: unknown): VideoPoolError {
  return new VideoPoolError('ABORTED', `reading ${file} was aborted`, { cause: reason, file });
}

/** Spawn `binary args`, collect its output, and kill it if `signal` fires. Rejects only on spawn failure or abort. */
export function runProcess(binary: string, args: string[], options: RunOptions): Promise<RunResult> {
  const { file, signal } = options;
  if (signal?.aborted) return Promise.reject(abortedError(file, signal.reason));
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const preallocated = options.outputBytes === undefined ? undefined : new Uint8Array(options.outputBytes);
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;

    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    // Reject only once the child is gone, so "aborted" also means "no ffmpeg left running" (a killed process can
    // take a moment to exit on a loaded machine).
    const onAbort = () => {
      const rejectAborted = () => finish(() => reject(abortedError(file, signal?.reason)));
      const exited = child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
      child.kill('SIGKILL');
      if (exited) rejectAborted();
      else child.once('exit', rejectAborted);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (preallocated) {
        const room = preallocated.length - stdoutBytes;
        if (room > 0) preallocated.set(room >= chunk.length ? chunk : chunk.subarray(0, room), stdoutBytes);
      } else {
        chunks.push(chunk);
      }
      stdoutBytes += chunk.length;
      options.onBytes?.(stdoutBytes);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-(options.stderrKeep ?? STDERR_KEEP));
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      child.kill('SIGKILL');
      const message =
        error.code === 'ENOENT'
          ? `cannot run '${binary}' (not found) to read ${file}: install ffmpeg (Debian: apt-get install ffmpeg) ` +
            'or pass ffmpegPath/ffprobePath (or set FFMPEG_PATH/FFPROBE_PATH)'
          : `cannot run '${binary}' to read ${file}: ${error.message}`;
      finish(() => reject(new VideoPoolError('FFMPEG_NOT_FOUND', message, { cause: error, file })));
    });
    child.on('close', (exitCode, exitSignal) => {
      if (signal?.aborted) return; // onAbort settles
      finish(() =>
        resolve({
          stdout: preallocated
            ? preallocated.subarray(0, Math.min(stdoutBytes, preallocated.length))
            : new Uint8Array(Buffer.concat(chunks)),
          stdoutBytes,
          stderr: stderr.trim(),
          exitCode,
          exitSignal,
        }),
      );
    });
  });
}

/** The last line(s) of ffmpeg's stderr, for an error message. */
export function stderrTail(stderr: string, lines = 3): string {
  const tail = stderr.split('\n').filter(Boolean).slice(-lines).join(' | ');
  return tail ? `: ${tail}` : '';
}
