// Zero-shot video QA (paper Sec. 4.4, Tables 6-7): ActivityNet-QA, MSRVTT-QA, MSVD-QA, TGIF-QA. Samples carry the
// video's frames; scoring is Video-ChatGPT's judge protocol (a second model answers yes/no + 0..5 per sample) or,
// for offline runs, exact match.
import type { ChatMessage } from '@locvlm/runtime';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { type JudgeVerdict, parseJudgeReply, videoQaJudgeMessages } from '../metrics/index.js';
import { readJsonFile } from './data.js';
import type { EvalSample, EvalTask, GenerationSettings, ImageSize, SampleScore, TaskScore } from './types.js';
import { resolveVideo, type VideoSource, videoContentPart, videoFileInput } from './video-input.js';

/** The video QA datasets the loaders read. */
export type VideoQaDataset = 'activitynet' | 'msrvtt' | 'msvd' | 'tgif';

/** One video QA question with its reference answer. */
export interface VideoQaRecord {
  id: string;
  /** Name of the video under the frames root: a folder of extracted frames, or a video file (extension optional). */
  video: string;
  question: string;
  answer: string;
  type?: string;
}

/** The reference answer of a video QA sample. */
export interface VideoQaTarget {
  question: string;
  answer: string;
}

const questionsSchema = z.array(
  z.object({ video_name: z.string(), question_id: z.union([z.string(), z.number()]), question: z.string() }),
);
const answersSchema = z.array(
  z.object({
    question_id: z.union([z.string(), z.number()]),
    answer: z.string(),
    type: z.union([z.string(), z.number()]).optional(),
  }),
);
const rawSchema = z.array(
  z.object({
    id: z.union([z.string(), z.number()]),
    video_id: z.union([z.string(), z.number()]),
    question: z.string(),
    answer: z.string(),
  }),
);

/**
 * Read the question/answer pair files used by Video-ChatGPT-style zero-shot QA (`test_q.json`:
 * `[{video_name, question_id, question}]`, `test_a.json`: `[{question_id, answer, type}]`), any of the four datasets.
 */
export function readVideoQaPair(questionsFile: string, answersFile: string): VideoQaRecord[] {
  const questions = readJsonFile(questionsSchema, questionsFile);
  const answers = new Map(readJsonFile(answersSchema, answersFile).map((a) => [String(a.question_id), a]));
  return questions.map((q) => {
    const answer = answers.get(String(q.question_id));
    if (!answer) throw new EvaluationError('DATA', `${answersFile}: no answer for question_id ${q.question_id}`);
    return {
      id: String(q.question_id),
      video: q.video_name,
      question: q.question,
      answer: answer.answer,
      ...(answer.type !== undefined ? { type: String(answer.type) } : {}),
    };
  });
}

/**
 * Read the original MSRVTT-QA / MSVD-QA files (`[{id, video_id, question, answer}]`). Frame folders are named
 * `video{video_id}` for MSRVTT and `vid{video_id}` for MSVD (the names in MSVD's youtube_mapping.txt).
 */
export function readVideoQaRaw(file: string, dataset: 'msrvtt' | 'msvd'): VideoQaRecord[] {
  return readJsonFile(rawSchema, file).map((r) => ({
    id: String(r.id),
    video: typeof r.video_id === 'number' ? `${dataset === 'msrvtt' ? 'video' : 'vid'}${r.video_id}` : r.video_id,
    question: r.question,
    answer: r.answer,
  }));
}

/** Options of `buildVideoQa`. */
export interface VideoQaOptions {
  dataset: VideoQaDataset;
  /**
   * Per video, a folder of extracted frames (`{framesRoot}/{video}/*.jpg`) or a video file (`{framesRoot}/{video}`
   * or `{video}.mp4` / .mkv / .webm / .avi / .gif ..., decoded when asked); ActivityNet's `v_` prefix optional.
   */
  framesRoot: string;
  /** Frames per video (the paper's Vid-B+ uses 8; Video-ChatGPT 100). */
  frameCount?: number;
  /** Size decoded video-file frames are resized to (stretched); default the video's own size. */
  frameSize?: ImageSize;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

const VIDEO_GENERATION: GenerationSettings = { maxNewTokens: 256, temperature: 0.2 };

/** Build a video QA task from question and answer records. */
export function buildVideoQa(records: readonly VideoQaRecord[], options: VideoQaOptions): EvalTask<VideoQaTarget> {
  const frameCount = options.frameCount ?? 8;
  const sourceCache = new Map<string, VideoSource>();
  const samples: EvalSample<VideoQaTarget>[] = [];
  for (const record of records.slice(0, options.limit ?? records.length)) {
    let source = sourceCache.get(record.video);
    if (!source) {
      source = resolveVideo(options.framesRoot, record.video, frameCount, ['v_']);
      sourceCache.set(record.video, source);
    }
    const video = videoFileInput(source, frameCount, options.frameSize);
    samples.push({
      id: record.id,
      messages: [{ role: 'user', content: [videoContentPart(source), { type: 'text', text: record.question }] }],
      target: { question: record.question, answer: record.answer },
      ...(record.type !== undefined ? { group: record.type } : {}),
      ...(video ? { video } : {}),
      view: {
        prompt: record.question,
        ...('frames' in source ? { frames: source.frames } : { video: source.file }),
        reference: record.answer,
      },
    });
  }
  return {
    name: `${options.dataset}-qa`,
    kind: 'video-qa',
    config: {
      dataset: options.dataset,
      frameCount,
      ...(options.frameSize ? { frameSize: `${options.frameSize.width}x${options.frameSize.height}` } : {}),
    },
    generation: { ...VIDEO_GENERATION, ...options.generation },
    samples,
  };
}

/** Video-ChatGPT's judge request for one answered sample (system + user message). */
export function videoQaJudgeRequest(sample: EvalSample, answer: string): ChatMessage[] {
  const target = sample.target as VideoQaTarget;
  return videoQaJudgeMessages(target.question, target.answer, answer);
}

/** Lower case, punctuation removed, spaces collapsed: the offline exact-match comparison. */
export function normalizeShortAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * With judge replies: Video-ChatGPT's accuracy (yes / (yes + no)) and mean score (0..5) over judged answers;
 * replies that cannot be parsed are counted in `judgeUnreadable` and left out. Without: exact match after
 * normalisation (offline runs).
 */
export function scoreVideoQa(
  task: EvalTask<VideoQaTarget>,
  answers: ReadonlyMap<string, string>,
  judgments?: ReadonlyMap<string, string>,
): TaskScore {
  const samples: SampleScore[] = [];
  let answered = 0;
  if (judgments && judgments.size > 0) {
    let yes = 0;
    let no = 0;
    let scoreSum = 0;
    let judged = 0;
    let unreadable = 0;
    for (const sample of task.samples) {
      const answer = answers.get(sample.id);
      if (answer === undefined) {
        samples.push({ id: sample.id });
        continue;
      }
      answered++;
      const reply = judgments.get(sample.id);
      let verdict: JudgeVerdict | undefined;
      try {
        verdict = reply === undefined ? undefined : parseJudgeReply(reply);
      } catch {
        verdict = undefined;
      }
      if (!verdict) {
        unreadable++;
        samples.push({ id: sample.id, answer, parsed: reply === undefined ? 'not judged' : 'judge reply unreadable' });
        continue;
      }
      judged++;
      scoreSum += verdict.score;
      const pred = verdict.pred.toLowerCase();
      const correct = pred.includes('yes');
      if (correct) yes++;
      else if (pred.includes('no')) no++;
      samples.push({
        id: sample.id,
        answer,
        correct,
        score: verdict.score,
        parsed: `${verdict.pred} ${verdict.score}`,
      });
    }
    return {
      task: task.name,
      kind: 'video-qa',
      metrics: {
        accuracy: yes + no ? yes / (yes + no) : 0,
        'score(0-5)': judged ? scoreSum / judged : 0,
        judgeUnreadable: unreadable,
      },
      counts: { samples: task.samples.length, answered, missing: task.samples.length - answered },
      samples,
    };
  }
  let right = 0;
  for (const sample of task.samples) {
    const answer = answers.get(sample.id);
    if (answer === undefined) {
      samples.push({ id: sample.id, correct: false });
      continue;
    }
    answered++;
    const correct = normalizeShortAnswer(answer) === normalizeShortAnswer(sample.target.answer);
    if (correct) right++;
    samples.push({ id: sample.id, answer, correct, parsed: normalizeShortAnswer(answer) });
  }
  return {
    task: task.name,
    kind: 'video-qa',
    metrics: { accuracy: task.samples.length ? right / task.samples.length : 0 },
    counts: { samples: task.samples.length, answered, missing: task.samples.length - answered },
    samples,
  };
}
