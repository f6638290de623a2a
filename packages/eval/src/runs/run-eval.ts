// Running a task against a model: every answer is appended to a JSONL run file as it arrives (key
// `task:sampleId`), so an interrupted run resumes without asking again, and re-scoring reads only files.
//
// A run folder holds:
//   task.json          the task (samples, targets, settings), written atomically before the first request
//   predictions.jsonl  the run file of answers (first line: configuration; resuming with another is refused)
//   judgments.jsonl    the judge's replies (video QA with a judge model)
//   score.json         the task score, rewritten after each run or re-score
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  type ChatMessage,
  type ContentPart,
  type ImageSource,
  type JobProgress,
  type JsonValue,
  openRunFile,
  type RunFile,
  runJob,
  type VisionLanguageModel,
  writeFileAtomic,
} from '@locvlm/runtime';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { validate } from '../tasks/data.js';
import type { EvalSample, EvalTask, GenerationSettings, SampleView, TaskScore } from '../tasks/types.js';
import { DecodedVideoCache, withDecodedVideo } from '../tasks/video-input.js';
import { judgeStage } from './judge.js';
import { judgeRequestBuilder, scoreTask } from './score.js';

/** What the run file keeps per sample. */
export interface Prediction {
  text: string;
  finishReason: 'stop' | 'length';
  /** Wall time of the request in milliseconds. */
  ms: number;
}

/** Progress of `runEval`, reported through `onProgress`. */
export interface EvalProgress extends JobProgress {
  stage: 'generate' | 'judge';
  task: string;
}

/** Options of `runEval`: the task, the model, where the run files go and how many requests run at once. */
export interface RunEvalOptions {
  task: EvalTask;
  model: VisionLanguageModel;
  /** The run folder (created when missing). */
  outDir: string;
  /** Requests in flight at once (default 1; raise it for a pool of HTTP endpoints). */
  concurrency?: number;
  /** Overrides of the task's generation settings (they become part of the run's configuration). */
  generation?: Partial<GenerationSettings>;
  /** A model that grades answers (video QA, Video-ChatGPT's protocol). Without one, video QA is exact match. */
  judge?: VisionLanguageModel;
  judgeConcurrency?: number;
  /** Called after each answered (or cached) sample. */
  onProgress?: (progress: EvalProgress) => void;
  signal?: AbortSignal;
}

/** What `runEval` returns: the run folder, counts and the score. */
export interface EvalRunResult {
  dir: string;
  task: EvalTask;
  model: string;
  score: TaskScore;
}

/** The file names inside a run folder. */
export const RUN_FILES = {
  task: 'task.json',
  predictions: 'predictions.jsonl',
  judgments: 'judgments.jsonl',
  score: 'score.json',
} as const;

/** A digest of what is asked (ids, messages, mirroring), so a run file cannot be resumed against other samples. */
export function samplesDigest(samples: readonly EvalSample[]): string {
  const hash = createHash('sha256');
  for (const s of samples)
    hash.update(JSON.stringify([s.id, s.messages, s.mirror ?? null, ...(s.video ? [s.video] : [])]));
  return hash.digest('hex').slice(0, 16);
}

/** The run-file key of a sample. */
export function predictionKey(task: EvalTask, sampleId: string): string {
  return `${task.name}:${sampleId}`;
}

/** Flip every image of a request for the mirrored COCO-Spatial variant (sharp is loaded only when needed). */
async function mirrorMessages(messages: ChatMessage[], mirror: 'horizontal' | 'vertical'): Promise<ChatMessage[]> {
  const { default: sharp } = await import('sharp');
  const flip = async (source: ImageSource): Promise<ImageSource> => {
    const input = 'path' in source ? source.path : 'bytes' in source ? source.bytes : undefined;
    if (input === undefined) {
      throw new EvaluationError('BAD_INPUT', 'a mirrored sample needs images given as paths or bytes, not URLs');
    }
    try {
      const image = sharp(input);
      const bytes = await (mirror === 'horizontal' ? image.flop() : image.flip()).png().toBuffer();
      return { bytes: new Uint8Array(bytes) };
    } catch (cause) {
      const where = 'path' in source ? source.path : 'image bytes';
      throw new EvaluationError('BAD_INPUT', `cannot mirror ${where}: ${(cause as Error).message}`, { cause });
    }
  };
  const out: ChatMessage[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      out.push(message);
      continue;
    }
    const parts: ContentPart[] = [];
    for (const part of message.content) {
      if (part.type === 'image') parts.push({ type: 'image', image: await flip(part.image) });
      else if (part.type === 'video') parts.push({ type: 'video', frames: await Promise.all(part.frames.map(flip)) });
      else parts.push(part);
    }
    out.push({ ...message, content: parts });
  }
  return out;
}

/** A URL (`https:`, `data:`, `file:` ...) rather than a path; two letters at least, so `C:` stays a drive. */
const isUrl = (path: string) => /^[a-z][a-z0-9+.-]+:/i.test(path) && !isAbsolute(path);

/**
 * The task as `task.json` keeps it: each local image and frame also as the absolute path it resolves to in this
 * process (relative paths are read from the working directory), and where the run is made, so reports can find the
 * pictures later from another folder or after the run has moved.
 */
function withRunPaths(task: EvalTask, outDir: string): EvalTask {
  const cwd = process.cwd();
  const absolute = (path: string) => resolve(cwd, path);
  const samples = task.samples.map((sample) => {
    const { view } = sample;
    const extra: Partial<SampleView> = {};
    if (view.image !== undefined && !isUrl(view.image)) extra.imageResolved = absolute(view.image);
    if (view.frames && view.frames.every((f) => !isUrl(f))) extra.framesResolved = view.frames.map(absolute);
    return Object.keys(extra).length === 0 ? sample : { ...sample, view: { ...view, ...extra } };
  });
  return { ...task, samples, runPaths: { cwd, dir: resolve(cwd, outDir) } };
}

function predictionsConfig(task: EvalTask, model: VisionLanguageModel, generation: GenerationSettings): JsonValue {
  return {
    stage: 'predictions',
    task: task.name,
    kind: task.kind,
    taskConfig: task.config as JsonValue,
    generation: generation as unknown as JsonValue,
    model: model.id,
    samples: task.samples.length,
    digest: samplesDigest(task.samples),
  };
}

/**
 * Ask the model every sample not yet in the run folder's predictions, then score. Safe to interrupt (signal, kill)
 * and call again with the same arguments: finished answers are kept and not asked again.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalRunResult> {
  const { model, outDir, signal } = options;
  const generation: GenerationSettings = { ...options.task.generation, ...options.generation };
  const task: EvalTask = withRunPaths({ ...options.task, generation }, outDir);
  if (task.samples.length === 0) throw new EvaluationError('BAD_INPUT', `task ${task.name} has no samples`);
  // The run file first: a resume with other settings is refused before anything in the folder changes.
  const runFile = await openRun<Prediction>(
    join(outDir, RUN_FILES.predictions),
    predictionsConfig(task, model, generation),
  );
  await writeFileAtomic(join(outDir, RUN_FILES.task), `${JSON.stringify(task)}\n`);
  const videoCache = new DecodedVideoCache(Math.max(4, options.concurrency ?? 1));
  try {
    await runJob<EvalSample, Prediction>({
      items: task.samples,
      keyOf: (sample) => predictionKey(task, sample.id),
      runFile,
      concurrency: options.concurrency ?? 1,
      ...(signal ? { signal } : {}),
      ...(options.onProgress
        ? { onProgress: (p: JobProgress) => options.onProgress?.({ ...p, stage: 'generate', task: task.name }) }
        : {}),
      work: async (sample, { signal: jobSignal }) => {
        const request = await withDecodedVideo(sample, { signal: jobSignal, cache: videoCache });
        const messages = sample.mirror ? await mirrorMessages(request, sample.mirror) : request;
        const started = performance.now();
        let result: Awaited<ReturnType<VisionLanguageModel['generate']>>;
        try {
          result = await model.generate({
            messages,
            maxNewTokens: generation.maxNewTokens,
            temperature: generation.temperature,
            ...(generation.seed !== undefined ? { seed: generation.seed } : {}),
            signal: jobSignal,
          });
        } catch (cause) {
          if (jobSignal.aborted) throw cause;
          throw new EvaluationError(
            'BACKEND',
            `model ${model.id} failed on ${predictionKey(task, sample.id)}: ${(cause as Error).message}`,
            { cause },
          );
        }
        return { text: result.text, finishReason: result.finishReason, ms: Math.round(performance.now() - started) };
      },
    });
  } finally {
    await runFile.close();
  }

  let judgments: ReadonlyMap<string, string> | undefined;
  const buildRequest = judgeRequestBuilder(task);
  if (options.judge && buildRequest) {
    judgments = await judgeStage({
      buildRequest,
      task,
      answers: answersOf(task, runFile.done),
      judge: options.judge,
      path: join(outDir, RUN_FILES.judgments),
      concurrency: options.judgeConcurrency ?? options.concurrency ?? 1,
      ...(signal ? { signal } : {}),
      ...(options.onProgress
        ? { onProgress: (p: JobProgress) => options.onProgress?.({ ...p, stage: 'judge', task: task.name }) }
        : {}),
    });
  }
  const score = scoreTask(task, { answers: answersOf(task, runFile.done), ...(judgments ? { judgments } : {}) });
  await writeFileAtomic(join(outDir, RUN_FILES.score), `${JSON.stringify(score)}\n`);
  return { dir: outDir, task, model: model.id, score };
}

async function openRun<T>(path: string, config: JsonValue): Promise<RunFile<T>> {
  try {
    return await openRunFile<T>(path, config);
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', (cause as Error).message, { cause });
  }
}

/** Answers by sample id from a run file's entries. */
function answersOf(task: EvalTask, done: ReadonlyMap<string, Prediction>): Map<string, string> {
  const answers = new Map<string, string>();
  for (const sample of task.samples) {
    const prediction = done.get(predictionKey(task, sample.id));
    if (prediction) answers.set(sample.id, prediction.text);
  }
  return answers;
}

const taskFileSchema = z.object({
  name: z.string(),
  kind: z.enum([
    'coco-spatial',
    'hallucination',
    'pope',
    'region-description',
    'vqav2',
    'gqa',
    'grounding',
    'video-qa',
  ]),
  config: z.record(z.string(), z.unknown()),
  generation: z.object({ maxNewTokens: z.number(), temperature: z.number(), seed: z.number().optional() }),
  runPaths: z.object({ cwd: z.string(), dir: z.string() }).optional(),
  samples: z.array(
    z
      .object({
        id: z.string(),
        messages: z.array(z.unknown()),
        target: z.unknown(),
        view: z.object({ prompt: z.string(), reference: z.string() }).loose(),
      })
      .loose(),
  ),
});

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Read a run file without knowing its configuration in advance (for re-scoring); returns config and entries. */
export async function readRunFile<T>(path: string): Promise<{ config: JsonValue; done: ReadonlyMap<string, T> }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', `cannot read run file ${path}: ${(cause as Error).message}`, { cause });
  }
  const firstLine = text.slice(0, text.indexOf('\n'));
  let header: { config?: JsonValue };
  try {
    header = JSON.parse(firstLine);
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', `${path}:1 is not a run file header`, { cause });
  }
  if (!header || typeof header !== 'object' || !('config' in header)) {
    throw new EvaluationError('RUN_FILE', `${path}:1 is not a run file header (expected {"config": ...})`);
  }
  const config = header.config as JsonValue;
  // Opening with its own configuration reuses the run-file reader (torn last line dropped, entries validated).
  const file = await openRun<T>(path, config);
  await file.close();
  return { config, done: file.done };
}

/** A run read back from its folder by `loadRun`: its metadata, samples and answers. */
export interface LoadedRun {
  dir: string;
  task: EvalTask;
  model: string;
  answers: Map<string, string>;
  judgments?: Map<string, string>;
}

/** Read a run folder (task.json, predictions.jsonl and judgments.jsonl when present). */
export async function loadRunFolder(dir: string): Promise<LoadedRun> {
  const task = validate(
    taskFileSchema,
    await readJson(join(dir, RUN_FILES.task)),
    join(dir, RUN_FILES.task),
  ) as EvalTask;
  const predictions = await readRunFile<Prediction>(join(dir, RUN_FILES.predictions));
  const config = predictions.config as { model?: string; task?: string };
  if (config.task !== task.name) {
    throw new EvaluationError(
      'RUN_FILE',
      `${join(dir, RUN_FILES.predictions)} belongs to task ${String(config.task)}, ${RUN_FILES.task} to ${task.name}`,
    );
  }
  const answers = answersOf(task, predictions.done);
  let judgments: Map<string, string> | undefined;
  const judgmentsPath = join(dir, RUN_FILES.judgments);
  const hasJudgments = await readFile(judgmentsPath).then(
    () => true,
    () => false,
  );
  if (hasJudgments) {
    const { done } = await readRunFile<{ text: string }>(judgmentsPath);
    judgments = new Map();
    for (const sample of task.samples) {
      const reply = done.get(predictionKey(task, sample.id));
      if (reply) judgments.set(sample.id, reply.text);
    }
  }
  return { dir, task, model: String(config.model ?? 'unknown'), answers, ...(judgments ? { judgments } : {}) };
}

/** Re-score a run folder from its files alone (no model), rewriting score.json. */
export async function rescoreRun(dir: string): Promise<EvalRunResult> {
  const run = await loadRunFolder(dir);
  const score = scoreTask(run.task, { answers: run.answers, ...(run.judgments ? { judgments: run.judgments } : {}) });
  await writeFileAtomic(join(dir, RUN_FILES.score), `${JSON.stringify(score)}\n`);
  return { dir, task: run.task, model: run.model, score };
}
