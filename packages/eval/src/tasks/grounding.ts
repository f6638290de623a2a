// Grounding (beyond the paper's tables; its LocPred objective): ask for the box of a referring expression or a
// single-instance COCO object, read the box from the answer with the task's codec, map it back through the model's
// preprocessing frame to original-image pixels, and score IoU against the ground truth.

import { boxIou } from '../metrics/index.js';
import { type CocoInstances, indexCoco, singleInstanceAnnotations, xywhToBox } from './coco.js';
import { resolveImagePath } from './data.js';
import { decodeBoxes, type LocationFormat } from './locations.js';
import { createRng, locationQuestion, type Rng } from './prompt-text.js';
import type { RefDataset, RefRecord } from './refs.js';
import type { Box, EvalSample, EvalTask, GenerationSettings, ImageSize, SampleScore, TaskScore } from './types.js';

/** The expected box of a grounding sample. */
export interface GroundingTarget {
  /** Ground-truth box in original-image pixels. */
  box: Box;
  imageSize: ImageSize;
  expression: string;
}

/** Options of the grounding task builder. */
export interface GroundingOptions {
  format: LocationFormat;
  imageRoot?: string;
  /** Index into the five LocPred templates, or `random` (seeded) per sample as in training (default 0). */
  template?: number | 'random';
  seed?: number;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

const GROUNDING_GENERATION: GenerationSettings = { maxNewTokens: 64, temperature: 0 };

function questionFor(expression: string, options: GroundingOptions, random: Rng): string {
  return locationQuestion(
    { category: expression },
    'box',
    options.template === 'random' ? random : (options.template ?? 0),
  );
}

function groundingSample(
  id: string,
  image: string,
  imageSize: ImageSize,
  box: Box,
  expression: string,
  question: string,
): EvalSample<GroundingTarget> {
  return {
    id,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', image: { path: image } },
          { type: 'text', text: question },
        ],
      },
    ],
    target: { box, imageSize, expression },
    view: {
      prompt: question,
      image,
      imageSize,
      boxes: [{ box, label: expression, role: 'target' }],
      reference: `[${box.map((v) => Math.round(v)).join(', ')}]`,
    },
  };
}

function task(
  name: string,
  config: Record<string, unknown>,
  options: GroundingOptions,
  samples: EvalSample<GroundingTarget>[],
): EvalTask<GroundingTarget> {
  return {
    name,
    kind: 'grounding',
    config: { ...config, location: options.format.spec, template: options.template ?? 0, seed: options.seed ?? 0 },
    generation: { ...GROUNDING_GENERATION, ...options.generation },
    samples,
  };
}

/** Options of the RefCOCO-style grounding task builder. */
export interface RefGroundingOptions extends GroundingOptions {
  dataset: RefDataset;
  /** Split to use (`val`, `testA`, `testB`, `test`); all refs when omitted. */
  split?: string;
}

/** One question per referring sentence of the chosen split (Shikra's REC protocol). */
export function buildRefGrounding(
  refs: readonly RefRecord[],
  coco: CocoInstances,
  options: RefGroundingOptions,
): EvalTask<GroundingTarget> {
  const index = indexCoco(coco);
  const random = createRng(options.seed ?? 0);
  const samples: EvalSample<GroundingTarget>[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  outer: for (const ref of refs) {
    if (options.split && ref.split !== options.split) continue;
    const annotation = index.annotations.get(ref.ann_id);
    const image = index.images.get(ref.image_id);
    if (!annotation || !image) continue;
    const box = xywhToBox(annotation.bbox);
    for (const [i, sentence] of ref.sentences.entries()) {
      const question = questionFor(sentence.sent, options, random);
      samples.push(
        groundingSample(
          `${ref.ref_id}:${sentence.sent_id ?? i}`,
          resolveImagePath(options.imageRoot, image.file_name),
          { width: image.width, height: image.height },
          box,
          sentence.sent,
          question,
        ),
      );
      if (samples.length >= limit) break outer;
    }
  }
  return task(
    `grounding-${options.dataset}${options.split ? `-${options.split}` : ''}`,
    { source: 'refs', dataset: options.dataset, split: options.split ?? null },
    options,
    samples,
  );
}

/** One question per single-instance object of each COCO image (the LocPred setting of the paper's Fig. 5). */
export function buildCocoGrounding(coco: CocoInstances, options: GroundingOptions): EvalTask<GroundingTarget> {
  const index = indexCoco(coco);
  const random = createRng(options.seed ?? 0);
  const samples: EvalSample<GroundingTarget>[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  outer: for (const image of coco.images) {
    for (const annotation of singleInstanceAnnotations(index.annotationsByImage.get(image.id) ?? [])) {
      const name = index.categoryNames.get(annotation.category_id);
      if (name === undefined) continue;
      samples.push(
        groundingSample(
          `${image.id}:${annotation.id}`,
          resolveImagePath(options.imageRoot, image.file_name),
          { width: image.width, height: image.height },
          xywhToBox(annotation.bbox),
          name,
          questionFor(name, options, random),
        ),
      );
      if (samples.length >= limit) break outer;
    }
  }
  return task('grounding-coco', { source: 'coco-single-instance' }, options, samples);
}

/**
 * IoU of the first box in each answer (mapped to original pixels) with the target. `accuracy` counts IoU >= 0.5;
 * `accuracy.iou>0.5` is Shikra's strict form; unparsable or missing answers score IoU 0.
 */
export function scoreGrounding(
  task: EvalTask<GroundingTarget>,
  answers: ReadonlyMap<string, string>,
  format: LocationFormat,
  threshold = 0.5,
): TaskScore {
  const samples: SampleScore[] = [];
  let atLeast = 0;
  let above = 0;
  let iouSum = 0;
  let unparsable = 0;
  let answered = 0;
  for (const sample of task.samples) {
    const answer = answers.get(sample.id);
    if (answer === undefined) {
      samples.push({ id: sample.id, correct: false, score: 0 });
      continue;
    }
    answered++;
    const boxes = decodeBoxes(format, answer, sample.target.imageSize);
    const first = boxes[0];
    if (!first) unparsable++;
    const iou = first ? boxIou(first, sample.target.box) : 0;
    iouSum += iou;
    if (iou >= threshold) atLeast++;
    if (iou > threshold) above++;
    samples.push({
      id: sample.id,
      answer,
      correct: iou >= threshold,
      score: iou,
      parsed: first ? `[${first.map((v) => Math.round(v)).join(', ')}]` : 'no box',
      ...(first ? { predicted: [first] } : {}),
    });
  }
  const n = task.samples.length;
  return {
    task: task.name,
    kind: 'grounding',
    metrics: {
      accuracy: n ? atLeast / n : 0,
      [`accuracy.iou>${threshold}`]: n ? above / n : 0,
      meanIou: n ? iouSum / n : 0,
      unparsable: answered ? unparsable / answered : 0,
    },
    counts: { samples: n, answered, missing: n - answered },
    samples,
  };
}
