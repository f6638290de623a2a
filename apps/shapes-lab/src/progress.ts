// Progress of this app's long commands (world, evaluate) by the repository's one convention, the same as the
// `locvlm` CLI's (apps/cli/src/progress.ts; apps do not import each other): on a terminal a live bar (cli-progress)
// on stderr; into a pipe or a log file a line when another 5% is done, or every 10 s while items keep finishing,
// never more often than one line every 2 s; then one summary line. `--no-progress` silences all of it.
import { SingleBar } from 'cli-progress';

/** Where a job stands. */
export interface ProgressUpdate {
  done: number;
  total: number;
}

/** A job's progress display: fed updates, then finished once (it prints the summary line). */
export interface Progress {
  update(progress: ProgressUpdate): void;
  /** Stop the bar and print the summary line (nothing if no update came); safe to call more than once. */
  finish(): void;
}

/** How progress is shown. */
export interface ProgressOptions {
  /** What is counted, e.g. `evaluate` or `world train`. */
  label: string;
  /** False for `--no-progress`. */
  enabled: boolean;
  /** Where pipe lines and the summary go (default: stderr, one line each). */
  err?: (line: string) => void;
  /** Draw a live bar (default: whether stderr is a terminal). */
  tty?: boolean;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** In a pipe: a line per 1/PIPE_STEPS of the job (5%), one at least every 10 s, lines at least 2 s apart. */
const PIPE_STEPS = 20;
const PIPE_HEARTBEAT_MS = 10_000;
const PIPE_MIN_GAP_MS = 2_000;

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

const stepOf = (p: ProgressUpdate) => (p.total > 0 ? Math.floor((p.done * PIPE_STEPS) / p.total) : 0);

/** A progress display following the convention above. */
export function createProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return { update() {}, finish() {} };
  const now = options.now ?? (() => performance.now());
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { label } = options;
  const started = now();
  let last: ProgressUpdate | undefined;
  let finished = false;
  const summary = () => {
    if (!last) return;
    const elapsed = now() - started;
    const fresh = last.done;
    const speed = fresh > 0 ? ` (${rate(fresh, elapsed)}/s)` : '';
    err(
      last.done >= last.total
        ? `${label}: ${last.done}/${last.total} in ${formatDuration(elapsed)}${speed}`
        : `${label}: stopped at ${last.done}/${last.total} after ${formatDuration(elapsed)}${speed}`,
    );
  };

  if (options.tty ?? process.stderr.isTTY === true) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      barsize: 30,
    });
    return {
      update(p) {
        if (finished) return;
        if (!last) {
          bar.start(p.total, p.done);
        } else {
          if (p.total !== bar.getTotal()) bar.setTotal(p.total);
          bar.update(p.done);
        }
        last = p;
      },
      finish() {
        if (finished) return;
        finished = true;
        if (last) bar.stop();
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
      const fresh = p.done;
      const elapsed = at - started;
      const eta = fresh > 0 ? `, ETA ${formatDuration(((p.total - p.done) * elapsed) / fresh)}` : '';
      err(`${label}: ${p.done}/${p.total} (${Math.floor((100 * p.done) / p.total)}%), ${rate(fresh, elapsed)}/s${eta}`);
    },
    finish() {
      if (finished) return;
      finished = true;
      summary();
    },
  };
}
