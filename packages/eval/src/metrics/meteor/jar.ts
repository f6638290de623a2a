// Optional backend: the reference meteor-1.5.jar driven over its `-stdio` protocol, exactly as pycocoevalcap does
// (`java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm`). "SCORE ||| ref1 ||| ... ||| hyp" answers one stats line;
// "EVAL ||| stats1 ||| stats2 ..." answers one score per segment and then the corpus score from pooled statistics.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EvaluationError } from '../../errors.js';
import type { MeteorPair } from './scorer.js';
import { type MeteorStats, parseMeteorStats } from './stats.js';

/** The parts of a child's stdout / stderr the backend uses (a Node `Readable` has them). */
export interface MeteorJarReadable {
  /** Decode output as UTF-8. */
  setEncoding(encoding: 'utf8'): unknown;
  /** Receive output as text. */
  on(event: 'data', listener: (chunk: string) => void): unknown;
}

/** The parts of a child's stdin the backend uses (a Node `Writable` has them). */
export interface MeteorJarWritable {
  /** Write one chunk of text. */
  write(chunk: string): unknown;
  /** Close the stream. */
  end(): unknown;
}

/**
 * The parts of a child process the backend uses (so tests can pass a fake). Node's `ChildProcess` fits; the types are
 * written out so that this package's declarations need no `@types/node`.
 */
export interface MeteorJarProcess {
  stdin: MeteorJarWritable;
  stdout: MeteorJarReadable;
  stderr?: MeteorJarReadable | null;
  /** `signal` is a signal name such as "SIGTERM". */
  kill(signal?: string): boolean;
  /** Listen for the process ending or failing to start. */
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown;
  /** Listen for the process ending or failing to start. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** How to start the reference jar. */
export interface MeteorJarOptions {
  /** Path to meteor-1.5.jar (its data/paraphrase-en.gz must sit beside it, as in the Meteor distribution). */
  jarPath: string;
  /** Java executable (default "java"). */
  javaPath?: string;
  /** JVM options (default ["-Xmx2G"], as pycocoevalcap). */
  jvmArgs?: readonly string[];
  /** Meteor options after `- - -stdio` (default ["-l", "en", "-norm"], as pycocoevalcap). */
  meteorArgs?: readonly string[];
  /** Start the process yourself (tests); default spawns `java`. */
  spawnProcess?: (command: string, args: readonly string[]) => MeteorJarProcess;
}

/** Corpus result from the jar. */
export interface MeteorJarCorpusResult {
  score: number;
  segmentScores: number[];
  stats: MeteorStats[];
  /** The raw SS lines the jar printed, one per segment. */
  statsLines: string[];
}

/** Build the SCORE line pycocoevalcap sends ("|||" removed from texts, double spaces collapsed once). */
export function meteorScoreLine(hypothesis: string, references: readonly string[]): string {
  const clean = (s: string) =>
    s
      .replaceAll('|||', '')
      .replaceAll('  ', ' ')
      .replace(/[\r\n]+/g, ' ');
  return ['SCORE', references.map(clean).join(' ||| '), clean(hypothesis)].join(' ||| ');
}

/** Build the EVAL line for several segments' stats lines. */
export function meteorEvalLine(statsLines: readonly string[]): string {
  return ['EVAL', ...statsLines].join(' ||| ');
}

/** Parse one score line the jar prints in answer to EVAL. */
export function parseMeteorScoreLine(line: string, source = 'meteor-1.5.jar'): number {
  const value = Number(line.trim());
  if (line.trim() === '' || !Number.isFinite(value)) {
    throw new EvaluationError('BACKEND', `${source}: expected a score, got ${JSON.stringify(line)}`);
  }
  return value;
}

/** A running meteor-1.5.jar; calls are serialised over its single stdin/stdout. */
export class MeteorJarBackend {
  private readonly proc: MeteorJarProcess;
  private buffer = '';
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private readonly lines: string[] = [];
  private stderrTail = '';
  private failure: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(proc: MeteorJarProcess) {
    this.proc = proc;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => this.onData(chunk));
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    proc.on('error', (err) =>
      this.fail(new EvaluationError('BACKEND', `meteor-1.5.jar could not run: ${err.message}`, { cause: err })),
    );
    proc.on('exit', (code, signal) =>
      this.fail(
        new EvaluationError(
          'BACKEND',
          `meteor-1.5.jar exited (code ${code}, signal ${signal})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`,
        ),
      ),
    );
  }

  /** Start the jar. Throws when the jar file is missing (unless a custom spawnProcess is given). */
  static start(options: MeteorJarOptions): MeteorJarBackend {
    if (!options.spawnProcess && !existsSync(options.jarPath)) {
      throw new EvaluationError('RESOURCE', `meteor-1.5.jar not found at ${options.jarPath}`);
    }
    const args = [
      '-jar',
      ...(options.jvmArgs ?? ['-Xmx2G']),
      options.jarPath,
      '-',
      '-',
      '-stdio',
      ...(options.meteorArgs ?? ['-l', 'en', '-norm']),
    ];
    const command = options.javaPath ?? 'java';
    const proc = options.spawnProcess
      ? options.spawnProcess(command, args)
      : (spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] }) as unknown as MeteorJarProcess);
    return new MeteorJarBackend(proc);
  }

  /** Meteor's statistics for one hypothesis against its references (best reference kept by the jar). */
  segmentStats(hypothesis: string, references: readonly string[]): Promise<{ line: string; stats: MeteorStats }> {
    return this.serialise(async () => {
      const line = await this.request(meteorScoreLine(hypothesis, references), 1).then((l) => l[0]!);
      return { line, stats: parseMeteorStats(line, 'meteor-1.5.jar SCORE answer') };
    });
  }

  /** Score a corpus as pycocoevalcap does: SCORE per segment, then one EVAL for segment and corpus scores. */
  corpus(pairs: readonly MeteorPair[]): Promise<MeteorJarCorpusResult> {
    return this.serialise(async () => {
      const statsLines: string[] = [];
      for (const p of pairs) {
        const [line] = await this.request(meteorScoreLine(p.hypothesis, p.references), 1);
        statsLines.push(line!);
      }
      const stats = statsLines.map((l, i) => parseMeteorStats(l, `meteor-1.5.jar SCORE answer for segment ${i}`));
      const answers = await this.request(meteorEvalLine(statsLines), pairs.length + 1);
      const scores = answers.map((l, i) => parseMeteorScoreLine(l, `meteor-1.5.jar EVAL answer line ${i + 1}`));
      return { score: scores.at(-1)!, segmentScores: scores.slice(0, -1), stats, statsLines };
    });
  }

  /** Stop the jar. */
  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async request(line: string, answers: number): Promise<string[]> {
    if (this.failure) throw this.failure;
    this.proc.stdin.write(`${line}\n`);
    const out: string[] = [];
    for (let i = 0; i < answers; i++) {
      const answer = await this.nextLine();
      if (answer.startsWith('Error:')) {
        throw new EvaluationError(
          'BACKEND',
          `meteor-1.5.jar answered ${JSON.stringify(answer)} to ${JSON.stringify(line.slice(0, 200))}`,
        );
      }
      out.push(answer);
    }
    return out;
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(line);
      else this.lines.push(line);
      nl = this.buffer.indexOf('\n');
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
