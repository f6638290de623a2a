// Running ffmpeg/ffprobe: stdout straight into memory, stderr kept for error messages, the child always killed on
// abort or failure. node:child_process is enough here: we need a byte stream into a preallocated buffer, not a shell.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { VideoPoolError } from './errors.js';

/** Where to find the binaries (see {@link resolveFfmpeg} for the order they are looked for in). */
export interface FfmpegBinaries {
  /** Path of the ffmpeg binary (default: $FFMPEG_PATH, else npm `@ffmpeg-installer/ffmpeg`, else `ffmpeg` on the PATH). */
  ffmpegPath?: string;
  /** Path of the ffprobe binary (default: $FFPROBE_PATH, else npm `@ffprobe-installer/ffprobe`, else `ffprobe` on the PATH). */
  ffprobePath?: string;
}

/** The npm packages that ship the binaries (optional dependencies of @locvlm/video-pool). */
export const FFMPEG_NPM_PACKAGE = '@ffmpeg-installer/ffmpeg';
/** The npm package whose ffprobe binary is used when no other is chosen. */
export const FFPROBE_NPM_PACKAGE = '@ffprobe-installer/ffprobe';

/**
 * Where a binary came from: the `ffmpegPath`/`ffprobePath` option, the FFMPEG_PATH/FFPROBE_PATH environment variable,
 * the pinned npm package, or the system's (the bare name, looked up on the PATH).
 */
export type FfmpegSource =
  | 'option'
  | 'env'
  | `npm:${typeof FFMPEG_NPM_PACKAGE}`
  | `npm:${typeof FFPROBE_NPM_PACKAGE}`
  | 'system';

/** One resolved binary: what is run, and where it came from. */
export interface ResolvedBinary {
  tool: 'ffmpeg' | 'ffprobe';
  /** What is spawned: a path, or the bare name `ffmpeg`/`ffprobe` for the system's. */
  path: string;
  source: FfmpegSource;
  /** The npm package's build (e.g. '20181210-g0e8eb07980') when the binary came from npm. */
  version?: string;
  /** Variables added to the child's environment. */
  env?: Readonly<Record<string, string>>;
}

interface ToolSpec {
  tool: 'ffmpeg' | 'ffprobe';
  option: 'ffmpegPath' | 'ffprobePath';
  envVar: 'FFMPEG_PATH' | 'FFPROBE_PATH';
  npmPackage: typeof FFMPEG_NPM_PACKAGE | typeof FFPROBE_NPM_PACKAGE;
}

const FFMPEG: ToolSpec = {
  tool: 'ffmpeg',
  option: 'ffmpegPath',
  envVar: 'FFMPEG_PATH',
  npmPackage: FFMPEG_NPM_PACKAGE,
};
const FFPROBE: ToolSpec = {
  tool: 'ffprobe',
  option: 'ffprobePath',
  envVar: 'FFPROBE_PATH',
  npmPackage: FFPROBE_NPM_PACKAGE,
};

/** What an installer package exports: the binary's path and its build version. */
export interface NpmBinary {
  path: string;
  version?: string;
}

/** What resolution reads; tests replace it with fakes. */
export interface ResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  /** The binary an npm installer package provides, or undefined when the package is not installed here. */
  npmBinary: (packageName: string) => NpmBinary | undefined;
}

function localRequire(): NodeRequire {
  // ESM: import.meta.url is set; the CJS build (where tsup leaves import.meta empty) has a real `require`.
  const url = import.meta.url as string | undefined;
  return url ? createRequire(url) : require;
}

const npmBinaries = new Map<string, NpmBinary | undefined>();

/** Load an installer package lazily: it is an optional dependency, and its platform binary may be missing. */
export function installedNpmBinary(packageName: string): NpmBinary | undefined {
  if (npmBinaries.has(packageName)) return npmBinaries.get(packageName);
  let found: NpmBinary | undefined;
  try {
    const exported = localRequire()(packageName) as { path?: unknown; version?: unknown };
    if (typeof exported.path === 'string' && existsSync(exported.path)) {
      found = { path: exported.path, ...(typeof exported.version === 'string' ? { version: exported.version } : {}) };
    }
  } catch {
    // Not installed, or no binary for this platform (the installers throw then): fall back to the system's.
    found = undefined;
  }
  npmBinaries.set(packageName, found);
  return found;
}

const defaultContext: ResolveContext = { env: process.env, npmBinary: installedNpmBinary };

function resolveTool(spec: ToolSpec, options: FfmpegBinaries, context: ResolveContext): ResolvedBinary {
  const explicit = options[spec.option];
  if (explicit) return { tool: spec.tool, path: explicit, source: 'option' };
  const fromEnv = context.env[spec.envVar];
  if (fromEnv) return { tool: spec.tool, path: fromEnv, source: 'env' };
  const npm = context.npmBinary(spec.npmPackage);
  if (npm) {
    return {
      tool: spec.tool,
      path: npm.path,
      source: `npm:${spec.npmPackage}`,
      ...(npm.version ? { version: npm.version } : {}),
      // These are static glibc builds: loading the host's iconv modules (ffprobe does for MPEG-TS service names)
      // crashes them, so they get none and fall back to their built-in conversions.
      env: { GCONV_PATH: '/nonexistent' },
    };
  }
  return { tool: spec.tool, path: spec.tool, source: 'system' };
}

/**
 * The ffmpeg to run: the `ffmpegPath` option, else $FFMPEG_PATH, else the one inside npm `@ffmpeg-installer/ffmpeg`
 * when it is installed (an optional dependency of this package), else `ffmpeg` on the PATH.
 */
export function resolveFfmpeg(options: FfmpegBinaries = {}, context: ResolveContext = defaultContext): ResolvedBinary {
  return resolveTool(FFMPEG, options, context);
}

/**
 * The ffprobe to run: the `ffprobePath` option, else $FFPROBE_PATH, else the one inside npm
 * `@ffprobe-installer/ffprobe` when it is installed (an optional dependency of this package), else `ffprobe` on
 * the PATH.
 */
export function resolveFfprobe(options: FfmpegBinaries = {}, context: ResolveContext = defaultContext): ResolvedBinary {
  return resolveTool(FFPROBE, options, context);
}

function describeSource(binary: ResolvedBinary): string {
  switch (binary.source) {
    case 'option':
      return `the ${binary.tool}Path option`;
    case 'env':
      return `$${binary.tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}`;
    case 'system':
      return 'the PATH';
    default:
      return `npm ${binary.source.slice('npm:'.length)}`;
  }
}

/** How to get the binaries, for error messages. */
const INSTALL_HINT =
  `install the npm packages ${FFMPEG_NPM_PACKAGE} and ${FFPROBE_NPM_PACKAGE} (optional dependencies of ` +
  '@locvlm/video-pool) or the system ffmpeg (Debian: apt-get install ffmpeg), or pass ffmpegPath/ffprobePath ' +
  '(or set FFMPEG_PATH/FFPROBE_PATH)';

const syncOptions = new Map<string, Promise<'-fps_mode' | '-vsync'>>();

/**
 * The option that sets the output frame-rate mode: ffmpeg 5.1 renamed `-vsync` to `-fps_mode` and deprecated the old
 * name, while older builds (the npm package's is a 2018 4.1) know only `-vsync`. Read once per binary from its help.
 */
export function frameRateModeOption(
  binary: ResolvedBinary,
  file: string,
  signal?: AbortSignal,
): Promise<'-fps_mode' | '-vsync'> {
  const key = `${binary.path}\0${JSON.stringify(binary.env ?? {})}`;
  let known = syncOptions.get(key);
  if (!known) {
    known = runProcess(binary, ['-hide_banner', '-h', 'long'], { file, ...(signal ? { signal } : {}) }).then(
      (result) => (/^\s*-fps_mode\b/m.test(new TextDecoder().decode(result.stdout)) ? '-fps_mode' : '-vsync'),
    );
    syncOptions.set(key, known);
    // A failed look-up (binary missing, aborted) is not remembered.
    known.catch(() => syncOptions.delete(key));
  }
  return known;
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
export function runProcess(binary: ResolvedBinary, args: string[], options: RunOptions): Promise<RunResult> {
  const { file, signal } = options;
  if (signal?.aborted) return Promise.reject(abortedError(file, signal.reason));
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(binary.path, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      ...(binary.env ? { env: { ...process.env, ...binary.env } } : {}),
    });
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
      const what = `'${binary.path}' (from ${describeSource(binary)})`;
      const message =
        error.code === 'ENOENT'
          ? `cannot run ${what} to read ${file}: not found; ${INSTALL_HINT}`
          : `cannot run ${what} to read ${file}: ${error.message}` +
            (error.code === 'EACCES' ? `; is it executable? Else ${INSTALL_HINT}` : '');
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
