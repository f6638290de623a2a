// POPE (Li et al. 2023; RUCAIBox/POPE): polling questions `Is there a/an {obj} in the image?` on 500 images with at
// least 3 objects; each of the first 3 objects is followed by one absent object drawn randomly, by popularity, or
// by co-occurrence (adversarial). Scored as LLaVA's eval_pope.py: accuracy, precision, recall, F1, yes-ratio.
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { parsePopeAnswer, popeMetrics } from '../metrics/index.js';
import { type CocoInstances, indexCoco, presentCategoryNames } from './coco.js';
import { readJsonLinesFile, resolveImagePath } from './data.js';
import { createRng, hallucinationQuestion } from './prompt-text.js';
import type { EvalSample, EvalTask, GenerationSettings, SampleScore, TaskScore } from './types.js';

/** A POPE split: how negative objects are sampled. */
export type PopeSplit = 'random' | 'popular' | 'adversarial';
/** The POPE splits, in the paper's order. */
export const POPE_SPLITS: readonly PopeSplit[] = ['random', 'popular', 'adversarial'];

/** One image's ground-truth objects, as POPE's segmentation file lists them (`{"image", "objects"}` per line). */
export interface PopeImageObjects {
  image: string;
  objects: string[];
}

/** A question line of POPE's released files (`coco_pope_{split}.json`, JSONL). */
export interface PopeQuestion {
  question_id: number;
  image: string;
  text: string;
  label: 'yes' | 'no';
}

/** The expected answer of a POPE question. */
export interface PopeTarget {
  label: 'yes' | 'no';
  object?: string;
}

/** Options of `buildPope` (building POPE questions from COCO annotations). */
export interface PopeBuildOptions {
  /** Images drawn (POPE: 500). */
  imageCount?: number;
  /** Positives per image, each followed by one negative (POPE: 3). */
  perImage?: number;
  seed?: number;
}

/** COCO instances -> POPE's per-image object lists (distinct category names in annotation order). */
export function popeObjectsFromCoco(coco: CocoInstances): PopeImageObjects[] {
  const index = indexCoco(coco);
  return coco.images.map((image) => ({
    image: image.file_name,
    objects: presentCategoryNames(index.annotationsByImage.get(image.id) ?? [], index.categoryNames),
  }));
}

/**
 * Build the three POPE splits the way RUCAIBox/POPE's main.py/utils.py does: keep images with >= perImage objects,
 * draw imageCount of them, count objects and co-occurrences over the drawn images, then for each image ask its first
 * perImage objects (yes) each followed by one absent object (no) picked by the split's strategy, never repeating an
 * object within the image. Randomness is seeded (not Python's generator, so not the released files' exact draws).
 */
export function buildPopeQuestions(
  images: readonly PopeImageObjects[],
  options: PopeBuildOptions = {},
): Record<PopeSplit, PopeQuestion[]> {
  const imageCount = options.imageCount ?? 500;
  const perImage = options.perImage ?? 3;
  const random = createRng(options.seed ?? 0);
  const eligible = images.filter((image) => image.objects.length >= perImage);
  if (eligible.length < imageCount) {
    throw new EvaluationError(
      'DATA',
      `POPE needs ${imageCount} images with at least ${perImage} objects, the annotations have ${eligible.length}`,
    );
  }
  const drawn = random.sample(eligible, imageCount);

  // Object frequency over the drawn images, most frequent first (stable: ties keep first-seen order).
  const frequency = new Map<string, number>();
  for (const image of drawn) for (const o of image.objects) frequency.set(o, (frequency.get(o) ?? 0) + 1);
  const allObjects = [...frequency.keys()];
  const byPopularity = [...frequency.entries()].sort((a, b) => b[1] - a[1]).map(([o]) => o);

  // Co-occurrence counts, each object's partners most frequent first.
  const coCounts = new Map<string, Map<string, number>>();
  for (const image of drawn) {
    for (const o of image.objects) {
      const row = coCounts.get(o) ?? new Map<string, number>();
      coCounts.set(o, row);
      for (const other of image.objects) if (other !== o) row.set(other, (row.get(other) ?? 0) + 1);
    }
  }
  const coOccurring = new Map(
    [...coCounts.entries()].map(([o, row]) => [o, [...row.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p)]),
  );

  const result = {} as Record<PopeSplit, PopeQuestion[]>;
  for (const split of POPE_SPLITS) {
    const questions: PopeQuestion[] = [];
    let questionId = 1;
    for (const image of drawn) {
      const asked = new Set<string>();
      const inImage = new Set(image.objects);
      const usable = (o: string) => !asked.has(o) && !inImage.has(o);
      const randomNegative = (): string => {
        const candidates = allObjects.filter(usable);
        if (candidates.length === 0) {
          throw new EvaluationError('DATA', `POPE: no absent object left to ask about for ${image.image}`);
        }
        return random.pick(candidates);
      };
      for (let i = 0; i < perImage; i++) {
        const positive = image.objects[i]!;
        asked.add(positive);
        questions.push({
          question_id: questionId++,
          image: image.image,
          text: hallucinationQuestion(positive),
          label: 'yes',
        });
        let negative: string | undefined;
        if (split === 'popular') negative = byPopularity.find(usable);
        else if (split === 'adversarial') negative = coOccurring.get(positive)?.find(usable);
        negative ??= randomNegative();
        asked.add(negative);
        questions.push({
          question_id: questionId++,
          image: image.image,
          text: hallucinationQuestion(negative),
          label: 'no',
        });
      }
    }
    result[split] = questions;
  }
  return result;
}

/** Serialise questions as POPE's JSONL (one object a line). */
export function popeQuestionsToJsonl(questions: readonly PopeQuestion[]): string {
  return questions.map((q) => JSON.stringify(q)).join('\n') + (questions.length ? '\n' : '');
}

const popeLineSchema = z.object({
  question_id: z.union([z.number().int(), z.string()]),
  image: z.string(),
  text: z.string(),
  label: z.enum(['yes', 'no']).optional(),
  category: z.string().optional(),
});

/** One line of an official POPE question file. */
export type PopeLine = z.infer<typeof popeLineSchema>;

/** Read POPE's official JSONL (`coco_pope_{split}.json`) or LLaVA's `llava_pope_test.jsonl` (with `category`). */
export function readPopeFile(file: string): PopeLine[] {
  return readJsonLinesFile(popeLineSchema, file);
}

/**
 * LLaVA's combined question file (`llava_pope_test.jsonl`, lines with `category` and no `label`) takes its labels
 * from POPE's `coco_pope_{category}.json` files by position within each category, as eval_pope.py pairs them.
 */
export function attachPopeLabels(
  questions: readonly PopeLine[],
  labelFiles: ReadonlyMap<string, readonly PopeLine[]>,
): PopeLine[] {
  const position = new Map<string, number>();
  return questions.map((line) => {
    if (line.label) return line;
    const category = line.category ?? '';
    const labels = labelFiles.get(category);
    if (!labels) {
      throw new EvaluationError(
        'DATA',
        `POPE question ${line.question_id}: no label file coco_pope_${category}.json given`,
      );
    }
    const i = position.get(category) ?? 0;
    position.set(category, i + 1);
    const label = labels[i]?.label;
    if (!label) {
      throw new EvaluationError('DATA', `POPE: coco_pope_${category}.json has no label at line ${i + 1}`);
    }
    return { ...line, label };
  });
}

/** Options of the POPE task read from the official question files. */
export interface PopeTaskOptions {
  /** Split name for the task name when the lines carry no `category`. */
  split?: string;
  imageRoot?: string;
  /** Labels by question id, for question files without `label` (LLaVA's file + POPE's label files). */
  labels?: ReadonlyMap<string, 'yes' | 'no'>;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

/** LLaVA's POPE script answers with temperature 0 and a short answer budget is enough; 128 keeps LLaVA's default. */
const POPE_GENERATION: GenerationSettings = { maxNewTokens: 128, temperature: 0 };

/** Turn POPE question lines into a task; samples are grouped by `category` (or the given split). */
export function popeTask(
  lines: readonly (PopeLine | PopeQuestion)[],
  options: PopeTaskOptions = {},
): EvalTask<PopeTarget> {
  const samples: EvalSample<PopeTarget>[] = [];
  for (const line of lines.slice(0, options.limit ?? lines.length)) {
    const group = ('category' in line && line.category) || options.split || 'pope';
    const label = line.label ?? options.labels?.get(String(line.question_id));
    if (!label) throw new EvaluationError('DATA', `POPE question ${line.question_id} has no label`);
    const image = resolveImagePath(options.imageRoot, line.image);
    samples.push({
      id: `${group}:${line.question_id}`,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', image: { path: image } },
            { type: 'text', text: line.text },
          ],
        },
      ],
      target: { label },
      group,
      view: { prompt: line.text, image, reference: label },
    });
  }
  const groups = [...new Set(samples.map((s) => s.group))];
  return {
    name: groups.length === 1 ? `pope-${groups[0]}`.replace(/^pope-pope$/, 'pope') : 'pope',
    kind: 'pope',
    config: { splits: groups as string[] },
    generation: { ...POPE_GENERATION, ...options.generation },
    samples,
  };
}

/** LLaVA eval_pope.py metrics per split (`{split}.accuracy` ...) and over all answered questions. */
export function scorePope(task: EvalTask<PopeTarget>, answers: ReadonlyMap<string, string>): TaskScore {
  const samples: SampleScore[] = [];
  const bySplit = new Map<string, { answers: string[]; labels: string[] }>();
  const all = { answers: [] as string[], labels: [] as string[] };
  for (const sample of task.samples) {
    const answer = answers.get(sample.id);
    if (answer === undefined) {
      samples.push({ id: sample.id });
      continue;
    }
    const parsed = parsePopeAnswer(answer);
    const group = sample.group ?? 'pope';
    const split = bySplit.get(group) ?? { answers: [], labels: [] };
    bySplit.set(group, split);
    for (const bucket of [split, all]) {
      bucket.answers.push(answer);
      bucket.labels.push(sample.target.label);
    }
    samples.push({ id: sample.id, answer, parsed, correct: parsed === sample.target.label });
  }
  const summary = (b: { answers: string[]; labels: string[] }) => {
    const m = popeMetrics(b.answers, b.labels);
    return { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, yesRatio: m.yesRatio };
  };
  const metrics: Record<string, number> = all.answers.length > 0 ? summary(all) : {};
  if (bySplit.size > 1) {
    for (const [split, bucket] of bySplit) {
      for (const [name, value] of Object.entries(summary(bucket))) metrics[`${split}.${name}`] = value;
    }
  }
  return {
    task: task.name,
    kind: 'pope',
    metrics,
    counts: {
      samples: task.samples.length,
      answered: all.answers.length,
      missing: task.samples.length - all.answers.length,
    },
    samples,
  };
}
