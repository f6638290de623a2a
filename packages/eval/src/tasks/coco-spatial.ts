// COCO-Spatial (paper Sec. 4.2, Appendix E): is one object left/right (above/below) of another?
// Two protocols: the paper's (COCO train, single-instance triplets outside the central band) and the released data
// (github kahnchana/locvlm coco_spatial.json: val2014, non-overlapping pairs). Scored by keyword presence.
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { containsWord } from '../metrics/index.js';
import { type CocoAnnotation, type CocoInstances, indexCoco, singleInstanceAnnotations, xywhToBox } from './coco.js';
import { readJsonFile, resolveImagePath } from './data.js';
import { spatialDirectPrompt, spatialIclPrompt, spatialQuestion } from './prompt-text.js';
import type { Box, EvalSample, EvalTask, GenerationSettings, LabelledBox, SampleScore, TaskScore } from './types.js';

/** The axis a spatial question is about. */
export type SpatialAxis = 'horizontal' | 'vertical';
/** The answer words of spatial questions. */
export type SpatialWord = 'left' | 'right' | 'above' | 'below';

/** The expected answer of a COCO-Spatial sample. */
export interface CocoSpatialTarget {
  /** The word that must appear in the answer. */
  keyword: SpatialWord;
  /** The opposite word (reported, not used for scoring: the paper counts a success when the target word appears). */
  opposite: SpatialWord;
}

/** LLaVA's eval defaults; the paper samples at temperature 0.2. */
export const DEFAULT_GENERATION: GenerationSettings = { maxNewTokens: 128, temperature: 0.2 };

const WORDS: Record<SpatialAxis, [SpatialWord, SpatialWord]> = {
  horizontal: ['left', 'right'],
  vertical: ['above', 'below'],
};

function opposite(word: SpatialWord): SpatialWord {
  return ({ left: 'right', right: 'left', above: 'below', below: 'above' } as const)[word];
}

function describeSide(subject: string, side: SpatialWord, other: string): string {
  return side === 'left' || side === 'right'
    ? `The ${subject} is to the ${side} of the ${other}.`
    : `The ${subject} is ${side} the ${other}.`;
}

function userMessage(imagePath: string, text: string): EvalSample['messages'] {
  return [
    {
      role: 'user',
      content: [
        { type: 'image', image: { path: imagePath } },
        { type: 'text', text },
      ],
    },
  ];
}

/** Options of `buildCocoSpatialPaper` (the paper's protocol). */
export interface CocoSpatialPaperOptions {
  axis?: SpatialAxis;
  /** `direct` asks the question alone; `icl` prepends two solved examples about the other objects of the triplet. */
  prompt?: 'direct' | 'icl';
  /** Width of the excluded central band as a fraction of the image side (the paper: 0.2). */
  centralBand?: number;
  /** Folder holding the images named by `file_name`. */
  imageRoot?: string;
  /** Stop after this many triplets per image (default: all). */
  maxTripletsPerImage?: number;
  /** Stop after this many samples. */
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

interface PlacedObject {
  annotation: CocoAnnotation;
  name: string;
  side: SpatialWord;
  box: Box;
}

/**
 * The paper's protocol from COCO instances annotations: images with at least three single-instance categories
 * whose centres lie outside the central band, with objects on both sides. Each triplet (obj_1 alone on one side,
 * obj_2 and obj_3 on the other) gives two questions `Which side of obj_3 is obj_1 located?` (obj_3 being either of
 * the pair); the answer is the side of obj_1. The ICL prompt prepends the two solved examples about obj_1 and obj_2.
 */
export function buildCocoSpatialPaper(
  coco: CocoInstances,
  options: CocoSpatialPaperOptions = {},
): EvalTask<CocoSpatialTarget> {
  const axis = options.axis ?? 'horizontal';
  const prompt = options.prompt ?? 'direct';
  const band = options.centralBand ?? 0.2;
  if (!(band >= 0 && band < 1)) throw new EvaluationError('BAD_INPUT', `centralBand must be in [0, 1), got ${band}`);
  const [low, high] = WORDS[axis];
  const index = indexCoco(coco);
  const samples: EvalSample<CocoSpatialTarget>[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;

  outer: for (const image of coco.images) {
    const extent = axis === 'horizontal' ? image.width : image.height;
    const lowEdge = (0.5 - band / 2) * extent;
    const highEdge = (0.5 + band / 2) * extent;
    const placed: PlacedObject[] = [];
    for (const annotation of singleInstanceAnnotations(index.annotationsByImage.get(image.id) ?? [])) {
      const [x, y, w, h] = annotation.bbox;
      const centre = axis === 'horizontal' ? x + w / 2 : y + h / 2;
      const side = centre < lowEdge ? low : centre > highEdge ? high : undefined;
      const name = index.categoryNames.get(annotation.category_id);
      if (side === undefined || name === undefined) continue;
      placed.push({ annotation, name, side, box: xywhToBox(annotation.bbox) });
    }
    if (placed.length < 3) continue;
    let triplets = 0;
    for (let a = 0; a < placed.length; a++) {
      for (let b = a + 1; b < placed.length; b++) {
        for (let c = b + 1; c < placed.length; c++) {
          const trio = [placed[a]!, placed[b]!, placed[c]!];
          const lows = trio.filter((o) => o.side === low);
          const highs = trio.filter((o) => o.side === high);
          if (lows.length === 0 || highs.length === 0) continue;
          if ((options.maxTripletsPerImage ?? Number.POSITIVE_INFINITY) <= triplets) continue;
          triplets++;
          const [lone, pair] = lows.length === 1 ? [lows[0]!, highs] : [highs[0]!, lows];
          for (const [obj2, obj3] of [
            [pair[0]!, pair[1]!],
            [pair[1]!, pair[0]!],
          ] as const) {
            const text =
              prompt === 'direct'
                ? spatialDirectPrompt({ reference: obj3.name, subject: lone.name, subjectSide: lone.side }).prompt
                : spatialIclPrompt({
                    alone: lone.name,
                    aloneSide: lone.side,
                    exampleOther: obj2.name,
                    queryOther: obj3.name,
                  }).prompt;
            const imagePath = resolveImagePath(options.imageRoot, image.file_name);
            const boxes: LabelledBox[] = [
              { box: lone.box, label: lone.name, role: 'target' },
              { box: obj3.box, label: obj3.name, role: 'target' },
              { box: obj2.box, label: obj2.name, role: 'context' },
            ];
            samples.push({
              id: `${image.id}:${lone.annotation.id}-${obj3.annotation.id}`,
              messages: userMessage(imagePath, text),
              target: { keyword: lone.side, opposite: opposite(lone.side) },
              group: lone.side,
              view: {
                prompt: text,
                image: imagePath,
                imageSize: { width: image.width, height: image.height },
                boxes,
                reference: describeSide(lone.name, lone.side, obj3.name),
              },
            });
            if (samples.length >= limit) break outer;
          }
        }
      }
    }
  }

  return {
    // Settings that change the questions are in the name, so runs of different settings never share keys or rows.
    name: `coco-spatial${axis === 'vertical' ? '-vertical' : ''}${prompt === 'icl' ? '-icl' : ''}`,
    kind: 'coco-spatial',
    config: {
      protocol: 'paper',
      axis,
      prompt,
      centralBand: band,
      maxTripletsPerImage: options.maxTripletsPerImage ?? null,
    },
    generation: { ...DEFAULT_GENERATION, ...options.generation },
    samples,
  };
}

const releasedSchema = z.object({
  categories: z.array(z.object({ id: z.number().int(), name: z.string() })),
  data: z.record(
    z.string(),
    z.object({
      file_name: z.string(),
      width: z.number().positive().optional(),
      height: z.number().positive().optional(),
      annotations: z.array(
        z.object({
          category_id: z.number().int(),
          bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
        }),
      ),
      good_pairs: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).optional(),
    }),
  ),
});

/** The released COCO-Spatial question file, as read. */
export type CocoSpatialReleasedFile = z.infer<typeof releasedSchema>;

/** Options of `buildCocoSpatialReleased` (the released question file). */
export interface CocoSpatialReleasedOptions {
  /** `horizontal` for coco_spatial.json (pairs left -> right), `vertical` for coco_up_down.json (top -> bottom). */
  axis?: SpatialAxis;
  /** Folder holding the images (the val2014 folder). */
  imageRoot?: string;
  /** Also ask every question on the mirrored image, where the answer flips (the release's `image_flipped`). */
  mirrored?: boolean;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

/** Read a released coco_spatial.json (or coco_up_down.json); images without `good_pairs` are skipped. */
export function readCocoSpatialReleased(file: string): CocoSpatialReleasedFile {
  return readJsonFile(releasedSchema, file);
}

/**
 * The released protocol: for each good pair (i, j) of the sorted annotations, object j lies wholly right of
 * (below) object i, and the question `Which side of the {i} is the {j}?` expects `right` (`below`).
 */
export function loadCocoSpatialReleased(
  data: CocoSpatialReleasedFile,
  options: CocoSpatialReleasedOptions = {},
  source = 'coco_spatial.json',
): EvalTask<CocoSpatialTarget> {
  const axis = options.axis ?? 'horizontal';
  const [low, high] = WORDS[axis];
  const names = new Map(data.categories.map((c) => [c.id, c.name]));
  const samples: EvalSample<CocoSpatialTarget>[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  outer: for (const [imageId, datum] of Object.entries(data.data)) {
    for (const [i, j] of datum.good_pairs ?? []) {
      const first = datum.annotations[i];
      const second = datum.annotations[j];
      if (!first || !second) {
        throw new EvaluationError(
          'DATA',
          `${source}: $.data.${imageId}.good_pairs: pair [${i}, ${j}] names a missing annotation`,
        );
      }
      const firstName = names.get(first.category_id);
      const secondName = names.get(second.category_id);
      if (firstName === undefined || secondName === undefined) {
        throw new EvaluationError('DATA', `${source}: $.data.${imageId}: unknown category id in pair [${i}, ${j}]`);
      }
      const question = spatialQuestion({ reference: firstName, subject: secondName }, 'released');
      const imagePath = resolveImagePath(options.imageRoot, datum.file_name);
      const size = datum.width && datum.height ? { width: datum.width, height: datum.height } : undefined;
      const variants: ('original' | 'mirrored')[] = options.mirrored ? ['original', 'mirrored'] : ['original'];
      for (const variant of variants) {
        const keyword = variant === 'original' ? high : low;
        const flip = (box: Box): Box | undefined => {
          if (variant === 'original') return box;
          if (!size) return undefined;
          return axis === 'horizontal'
            ? [size.width - box[2], box[1], size.width - box[0], box[3]]
            : [box[0], size.height - box[3], box[2], size.height - box[1]];
        };
        const boxes: LabelledBox[] = [];
        for (const [annotation, name] of [
          [first, firstName],
          [second, secondName],
        ] as const) {
          const box = flip(xywhToBox(annotation.bbox));
          if (box) boxes.push({ box, label: name, role: 'target' });
        }
        const sample: EvalSample<CocoSpatialTarget> = {
          id: `${imageId}:${i}-${j}${variant === 'mirrored' ? ':mirrored' : ''}`,
          messages: userMessage(imagePath, question),
          target: { keyword, opposite: opposite(keyword) },
          group: keyword,
          view: {
            prompt: question,
            image: imagePath,
            boxes,
            reference: `The ${secondName} is on the ${keyword} side of the ${firstName}.`,
            ...(size ? { imageSize: size } : {}),
          },
        };
        if (variant === 'mirrored') sample.mirror = axis;
        samples.push(sample);
        if (samples.length >= limit) break outer;
      }
    }
  }
  return {
    name: `coco-spatial-released${axis === 'vertical' ? '-vertical' : ''}`,
    kind: 'coco-spatial',
    config: { protocol: 'released', axis, mirrored: options.mirrored ?? false },
    generation: { ...DEFAULT_GENERATION, ...options.generation },
    samples,
  };
}

/** Keyword scoring: correct when the target word appears in the answer. Accuracy overall and per target word. */
export function scoreCocoSpatial(task: EvalTask<CocoSpatialTarget>, answers: ReadonlyMap<string, string>): TaskScore {
  const perGroup = new Map<string, { right: number; total: number }>();
  const samples: SampleScore[] = [];
  let correctCount = 0;
  let answered = 0;
  for (const sample of task.samples) {
    const answer = answers.get(sample.id);
    const correct = answer !== undefined && containsWord(answer, sample.target.keyword);
    if (answer !== undefined) answered++;
    if (correct) correctCount++;
    const group = perGroup.get(sample.target.keyword) ?? { right: 0, total: 0 };
    group.total++;
    if (correct) group.right++;
    perGroup.set(sample.target.keyword, group);
    const said =
      answer === undefined
        ? undefined
        : (['left', 'right', 'above', 'below'] as const).filter((w) => containsWord(answer, w));
    samples.push({
      id: sample.id,
      correct,
      ...(answer !== undefined ? { answer, parsed: said && said.length > 0 ? said.join('+') : 'none' } : {}),
    });
  }
  const metrics: Record<string, number> = { accuracy: task.samples.length ? correctCount / task.samples.length : 0 };
  for (const [group, { right, total }] of perGroup) metrics[`accuracy.${group}`] = right / total;
  return {
    task: task.name,
    kind: 'coco-spatial',
    metrics,
    counts: { samples: task.samples.length, answered, missing: task.samples.length - answered },
    samples,
  };
}
