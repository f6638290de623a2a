// Image VQA (paper Sec. 4.3, Table 5): VQAv2 (questions + annotations JSON, official accuracy) and GQA (questions
// JSON, exact match after LLaVA's post-processing). Prompts carry LLaVA's short-answer suffix.
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { gqaExactMatch, gqaPostprocess, normalizeVqaAnswer, vqaAccuracy } from '../metrics/index.js';

import { readJsonFile, resolveImagePath } from './data.js';
import { SHORT_ANSWER_SUFFIX } from './prompt-text.js';
import type { EvalSample, EvalTask, GenerationSettings, SampleScore, TaskScore } from './types.js';

const VQA_GENERATION: GenerationSettings = { maxNewTokens: 128, temperature: 0 };

export const vqaQuestionsSchema = z.object({
  data_subtype: z.string().optional(),
  questions: z.array(z.object({ image_id: z.number().int(), question: z.string(), question_id: z.number().int() })),
});

export const vqaAnnotationsSchema = z.object({
  annotations: z.array(
    z.object({
      question_id: z.number().int(),
      image_id: z.number().int(),
      answers: z.array(z.object({ answer: z.string() })),
      multiple_choice_answer: z.string().optional(),
      answer_type: z.string().optional(),
    }),
  ),
});

/** A VQAv2 questions file, as read. */
export type VqaQuestions = z.infer<typeof vqaQuestionsSchema>;
/** A VQAv2 annotations file, as read. */
export type VqaAnnotations = z.infer<typeof vqaAnnotationsSchema>;

/** The ten human answers of a VQAv2 sample. */
export interface VqaTarget {
  /** The ten human answers (empty for test splits without annotations: such a task cannot be scored). */
  answers: string[];
  answerType?: string;
}

/** Options of the VQAv2 / GQA task builders. */
export interface VqaOptions {
  imageRoot?: string;
  /** Split name in COCO file names, e.g. `val2014` (default: the questions file's `data_subtype`). */
  split?: string;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

/** Read and validate a VQAv2 questions file. */
export function readVqaQuestions(file: string): VqaQuestions {
  return readJsonFile(vqaQuestionsSchema, file);
}

/** Read and validate a VQAv2 annotations file. */
export function readVqaAnnotations(file: string): VqaAnnotations {
  return readJsonFile(vqaAnnotationsSchema, file);
}

/** The COCO image file name VQAv2 questions refer to: `COCO_val2014_000000000042.jpg`. */
export function cocoImageFileName(split: string, imageId: number): string {
  return `COCO_${split}_${String(imageId).padStart(12, '0')}.jpg`;
}

function questionMessages(image: string, question: string): EvalSample['messages'] {
  return [
    {
      role: 'user',
      content: [
        { type: 'image', image: { path: image } },
        { type: 'text', text: `${question}\n${SHORT_ANSWER_SUFFIX}` },
      ],
    },
  ];
}

/** VQAv2 task: one sample per question; answer types become report groups. */
export function buildVqav2(
  questions: VqaQuestions,
  annotations: VqaAnnotations | undefined,
  options: VqaOptions = {},
): EvalTask<VqaTarget> {
  const split = options.split ?? questions.data_subtype;
  if (!split)
    throw new EvaluationError('BAD_INPUT', 'VQAv2: the questions file has no data_subtype; pass split (e.g. val2014)');
  const byQuestion = new Map(annotations?.annotations.map((a) => [a.question_id, a]));
  const samples: EvalSample<VqaTarget>[] = [];
  for (const q of questions.questions.slice(0, options.limit ?? questions.questions.length)) {
    const annotation = byQuestion.get(q.question_id);
    if (annotations && !annotation) {
      throw new EvaluationError('DATA', `VQAv2: question ${q.question_id} has no annotation`);
    }
    const image = resolveImagePath(options.imageRoot, cocoImageFileName(split, q.image_id));
    const answers = annotation?.answers.map((a) => a.answer) ?? [];
    samples.push({
      id: String(q.question_id),
      messages: questionMessages(image, q.question),
      target: { answers, ...(annotation?.answer_type ? { answerType: annotation.answer_type } : {}) },
      ...(annotation?.answer_type ? { group: annotation.answer_type } : {}),
      view: { prompt: q.question, image, reference: annotation?.multiple_choice_answer ?? answers.join(' | ') },
    });
  }
  return {
    name: 'vqav2',
    kind: 'vqav2',
    config: { split },
    generation: { ...VQA_GENERATION, ...options.generation },
    samples,
  };
}

export const gqaQuestionsSchema = z.record(
  z.string(),
  z.object({
    imageId: z.string(),
    question: z.string(),
    answer: z.string().optional(),
    fullAnswer: z.string().optional(),
    types: z.object({ structural: z.string().optional() }).partial().optional(),
  }),
);

/** A GQA questions file, as read. */
export type GqaQuestions = z.infer<typeof gqaQuestionsSchema>;

/** The expected answer of a GQA sample. */
export interface GqaTarget {
  answer: string;
}

/** Read and validate a GQA questions file. */
export function readGqaQuestions(file: string): GqaQuestions {
  return readJsonFile(gqaQuestionsSchema, file);
}

/** GQA task from a questions JSON (e.g. testdev_balanced_questions.json); structural types become groups. */
export function buildGqa(questions: GqaQuestions, options: Omit<VqaOptions, 'split'> = {}): EvalTask<GqaTarget> {
  const samples: EvalSample<GqaTarget>[] = [];
  const entries = Object.entries(questions);
  for (const [id, q] of entries.slice(0, options.limit ?? entries.length)) {
    if (q.answer === undefined) throw new EvaluationError('DATA', `GQA: question ${id} has no answer (a test split?)`);
    const image = resolveImagePath(options.imageRoot, `${q.imageId}.jpg`);
    const group = q.types?.structural;
    samples.push({
      id,
      messages: questionMessages(image, q.question),
      target: { answer: q.answer },
      ...(group ? { group } : {}),
      view: { prompt: q.question, image, reference: q.answer },
    });
  }
  return { name: 'gqa', kind: 'gqa', config: {}, generation: { ...VQA_GENERATION, ...options.generation }, samples };
}

function groupAccuracy(task: EvalTask, perSample: readonly SampleScore[]): Record<string, number> {
  const groups = new Map<string, { sum: number; n: number }>();
  task.samples.forEach((sample, i) => {
    if (!sample.group) return;
    const g = groups.get(sample.group) ?? { sum: 0, n: 0 };
    g.sum += perSample[i]!.score ?? 0;
    g.n++;
    groups.set(sample.group, g);
  });
  return Object.fromEntries([...groups].map(([name, { sum, n }]) => [`accuracy.${name}`, sum / n]));
}

/** Official VQA accuracy (normalised answers, min(1, matches/3) averaged over the 10 leave-one-out subsets). */
export function scoreVqav2(task: EvalTask<VqaTarget>, answers: ReadonlyMap<string, string>): TaskScore {
  const unlabelled = task.samples.find((s) => s.target.answers.length === 0);
  if (unlabelled) {
    throw new EvaluationError('NOT_SCORABLE', `VQAv2 question ${unlabelled.id} has no human answers (a test split?)`);
  }
  let answered = 0;
  let sum = 0;
  const samples: SampleScore[] = task.samples.map((sample) => {
    const answer = answers.get(sample.id);
    if (answer === undefined) return { id: sample.id, score: 0, correct: false };
    answered++;
    const score = vqaAccuracy(answer, sample.target.answers);
    sum += score;
    return { id: sample.id, answer, score, correct: score > 0, parsed: normalizeVqaAnswer(answer) };
  });
  const n = task.samples.length;
  return {
    task: task.name,
    kind: 'vqav2',
    metrics: { accuracy: n ? sum / n : 0, ...groupAccuracy(task, samples) },
    counts: { samples: n, answered, missing: n - answered },
    samples,
  };
}

/** GQA exact match after LLaVA's post-processing. */
export function scoreGqa(task: EvalTask<GqaTarget>, answers: ReadonlyMap<string, string>): TaskScore {
  let answered = 0;
  let right = 0;
  const samples: SampleScore[] = task.samples.map((sample) => {
    const answer = answers.get(sample.id);
    if (answer === undefined) return { id: sample.id, score: 0, correct: false };
    answered++;
    const correct = gqaExactMatch(answer, sample.target.answer);
    if (correct) right++;
    return { id: sample.id, answer, correct, score: correct ? 1 : 0, parsed: gqaPostprocess(answer) };
  });
  const n = task.samples.length;
  return {
    task: task.name,
    kind: 'gqa',
    metrics: { accuracy: n ? right / n : 0, ...groupAccuracy(task, samples) },
    counts: { samples: n, answered, missing: n - answered },
    samples,
  };
}
