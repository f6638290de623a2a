// The one progress convention of every long command (eval, eval report/rescore, data ...): on a terminal a live bar
// (cli-progress) on stderr; into a pipe or a log file a line now and then: when another 5% is done, or every 10 s
// while items keep finishing, never more often than one line every 2 s; then, on both, one summary line.
// `--no-progress` silences all of it. Packages only report progress through callbacks; drawing it is the CLI's.
import { SingleBar } from 'cli-progress';
import type { CliIo } from './io.js';

/** Where a job stands. */
export interface ProgressUpdate {
  done: number;
  total: number;
  /** Items found already done (a resumed run file) when the job started. */
  resumed?: number;
}

/** A job's progress display: fed updates, then finished once (it prints the summary line). */
export interface Progress {
  update(progress: ProgressUpdate): void;
  /** Stop the bar and print the summary line (nothing if no update came); safe to call more than once. */
  finish(): void;
}

/** How progress is shown. */
export interface ProgressOptions {
  /** What is counted, e.g. `grounding-coco generate` or `images`. */
  label: string;
  /** False for `--no-progress`: nothing at all is printed. */
  enabled: boolean;
  /** Pipe lines and the summary go to `io.err`. */
  io: CliIo;
  /** Draw a live bar (default: whether stderr is a terminal). */
  tty?: boolean;
  /** The terminal the bar is drawn on (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** In a pipe, a line each time another 1/PIPE_STEPS of the job is done (20: every 5%). */
export const PIPE_STEPS = 20;
/** In a pipe, a line at least this often while items keep finishing. */
export const PIPE_HEARTBEAT_MS = 10_000;
/** In a pipe, lines are at least this far apart. */
export const PIPE_MIN_GAP_MS = 2_000;

/** A duration as people read it: 850ms, 12s, 3m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const rate = (items: number, ms: number) => {
  const perSecond = ms > 0 ? (items * 1000) / ms : 0;
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond >= 1 ? perSecond.toFixed(1) : perSecond.toFixed(2);
};

/** Which 5% step of the job is done (integer arithmetic, so 6 of 40 is step 3, not 2.9999). */
const stepOf = (p: ProgressUpdate) => (p.total > 0 ? Math.floor((p.done * PIPE_STEPS) / p.total) : 0);

const silent: Progress = { update() {}, finish() {} };

/** A progress display following the convention above. */
export function createProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return silent;
  const now = options.now ?? (() => performance.now());
  const tty = options.tty ?? process.stderr.isTTY === true;
  const { label, io } = options;
  const started = now();
  let firstDone = 0;
  let last: ProgressUpdate | undefined;
  let finished = false;
  const pace = (p: ProgressUpdate, at: number) => {
    const fresh = p.done - firstDone;
    const elapsed = at - started;
    const left = p.total - p.done;
    const eta = fresh > 0 && left > 0 ? `, ETA ${formatDuration((left * elapsed) / fresh)}` : '';
    return { fresh, elapsed, eta };
  };
  const summary = () => {
    if (!last) return;
    const at = now();
    const { fresh, elapsed } = pace(last, at);
    const resumed = last.resumed ? `, ${last.resumed} already done` : '';
    const speed = fresh > 0 ? ` (${rate(fresh, elapsed)}/s)` : '';
    io.err(
      last.done >= last.total
        ? `${label}: ${last.done}/${last.total} in ${formatDuration(elapsed)}${speed}${resumed}`
        : `${label}: stopped at ${last.done}/${last.total} after ${formatDuration(elapsed)}${speed}${resumed}`,
    );
  };

  if (tty) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream: options.stream ?? process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      barsize: 30,
    });
    let running = false;
    return {
      update(p) {
        if (finished) return;
        last = p;
        if (!running) {
          firstDone = p.resumed ?? 0;
          bar.start(p.total, p.done);
          running = true;
        } else {
          if (p.total !== bar.getTotal()) bar.setTotal(p.total);
          bar.update(p.done);
        }
      },
      finish() {
        if (finished) return;
        finished = true;
        if (running) bar.stop();
        summary();
      },
    };
  }

  let lastLineAt = started;
  let lastStep = 0;
  let lastLineDone = 0;
  return {
    update(p) {
      if (finished) return;
      const at = now();
      if (!last) {
        firstDone = p.resumed ?? 0;
        lastLineDone = p.done;
        lastStep = stepOf(p);
      }
      last = p;
      if (p.done >= p.total) return; // the summary line says it
      const step = stepOf(p);
      const due = step > lastStep || (at - lastLineAt >= PIPE_HEARTBEAT_MS && p.done > lastLineDone);
      if (!due || at - lastLineAt < PIPE_MIN_GAP_MS) return;
      lastLineAt = at;
      lastStep = step;
      lastLineDone = p.done;
      const { fresh, elapsed, eta } = pace(p, at);
      const percent = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
      io.err(`${label}: ${p.done}/${p.total} (${percent}%), ${rate(fresh, elapsed)}/s${eta}`);
    },
    finish() {
      if (finished) return;
      finished = true;
      summary();
    },
  };
}
