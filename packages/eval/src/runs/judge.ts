// The judge stage: a second model grades each answer (Video-ChatGPT's video-QA protocol). Its replies go to their
// own run file, so grading also resumes after an interruption and re-scoring needs neither model.
import { createHash } from 'node:crypto';
import { type ChatMessage, type JobProgress, openRunFile, runJob, type VisionLanguageModel } from '@locvlm/runtime';
import { EvaluationError } from '../errors.js';
import type { EvalSample, EvalTask } from '../tasks/types.js';

/** Builds the judge's request for one answered sample. */
export type JudgeRequestBuilder = (sample: EvalSample, answer: string) => ChatMessage[];

/** Options of the judge stage: the task, the answers to judge, the judge model and its run file. */
export interface JudgeStageOptions {
  task: EvalTask;
  answers: ReadonlyMap<string, string>;
  judge: VisionLanguageModel;
  buildRequest: JudgeRequestBuilder;
  /** The judgments run file. */
  path: string;
  concurrency: number;
  signal?: AbortSignal;
  /** Called after each judged answer. */
  onProgress?: (progress: JobProgress) => void;
}

/** Ask the judge about every answered sample not judged yet; returns the raw replies by sample id. */
export async function judgeStage(options: JudgeStageOptions): Promise<Map<string, string>> {
  const { task, answers, judge } = options;
  const answered = task.samples.filter((s) => answers.has(s.id));
  // The configuration pins the judge and its prompt wording, so replies from another judge are never mixed in.
  const promptDigest = createHash('sha256')
    .update(JSON.stringify(options.buildRequest(answered[0] ?? task.samples[0]!, '{answer}')))
    .digest('hex')
    .slice(0, 16);
  let runFile: Awaited<ReturnType<typeof openRunFile<{ text: string }>>>;
  try {
    runFile = await openRunFile<{ text: string }>(options.path, {
      stage: 'judgments',
      task: task.name,
      judge: judge.id,
      prompt: promptDigest,
    });
  } catch (cause) {
    throw new EvaluationError('RUN_FILE', (cause as Error).message, { cause });
  }
  try {
    await runJob<EvalSample, { text: string }>({
      items: answered,
      keyOf: (sample) => `${task.name}:${sample.id}`,
      runFile,
      concurrency: options.concurrency,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      work: async (sample, { signal }) => {
        try {
          const reply = await judge.generate({
            messages: options.buildRequest(sample, answers.get(sample.id)!),
            temperature: 0,
            maxNewTokens: 64,
            signal,
          });
          return { text: reply.text };
        } catch (cause) {
          if (signal.aborted) throw cause;
          throw new EvaluationError(
            'BACKEND',
            `judge ${judge.id} failed on ${task.name}:${sample.id}: ${(cause as Error).message}`,
            {
              cause,
            },
          );
        }
      },
    });
  } finally {
    await runFile.close();
  }
  const replies = new Map<string, string>();
  for (const sample of answered) {
    const reply = runFile.done.get(`${task.name}:${sample.id}`);
    if (reply) replies.set(sample.id, reply.text);
  }
  return replies;
}
