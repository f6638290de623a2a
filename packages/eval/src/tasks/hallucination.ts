// Hallucination sets (paper Sec. 4.5, Table 8): per image (or video) two objects present and two absent, each asked
// as `Is there a/an {obj} in the image?`; accuracy over all questions. Hal-COCO from COCO instances, Hal-ADE from
// ADE20K's per-image JSON (categories overlapping COCO removed), Hal-Act from per-video object lists.
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { parsePopeAnswer, popeMetrics } from '../metrics/index.js';
import { COCO_CATEGORY_NAMES, type CocoInstances, indexCoco, presentCategoryNames } from './coco.js';
import { readJsonFile, readJsonLinesFile, resolveImagePath } from './data.js';
import { createRng, hallucinationQuestion } from './prompt-text.js';
import type {
  EvalSample,
  EvalTask,
  GenerationSettings,
  ImageSize,
  SampleScore,
  TaskScore,
  VideoFileInput,
} from './types.js';
import { resolveVideo, type VideoSource, videoContentPart, videoFileInput } from './video-input.js';

/** The expected answer of a presence question (yes or no, and the object asked about). */
export interface PresenceTarget {
  answer: 'yes' | 'no';
  object: string;
}

/** One image or video with the objects known to be in it. */
export interface PresenceItem {
  id: string;
  /** Image path, or (for video) the frame paths in time order, or a video file decoded when asked. */
  image?: string;
  frames?: string[];
  video?: VideoFileInput;
  imageSize?: ImageSize;
  present: string[];
}

/** Options shared by the presence-question (hallucination) builders. */
export interface PresenceTaskOptions {
  name: string;
  items: readonly PresenceItem[];
  /** Every object name that may be asked about; absent objects are drawn from it. */
  vocabulary: readonly string[];
  seed?: number;
  presentPerSample?: number;
  absentPerSample?: number;
  /** Stop after this many images/videos. */
  limit?: number;
  generation?: Partial<GenerationSettings>;
  config?: Record<string, string | number | boolean>;
}

const PRESENCE_GENERATION: GenerationSettings = { maxNewTokens: 128, temperature: 0.2 };

/** Build presence questions: `presentPerSample` present and `absentPerSample` absent objects per item, seeded. */
export function buildPresenceTask(options: PresenceTaskOptions): EvalTask<PresenceTarget> {
  const seed = options.seed ?? 0;
  const presentCount = options.presentPerSample ?? 2;
  const absentCount = options.absentPerSample ?? 2;
  const random = createRng(seed);
  const samples: EvalSample<PresenceTarget>[] = [];
  let used = 0;
  for (const item of options.items) {
    if (used >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
    const present = [...new Set(item.present)];
    const presentSet = new Set(present);
    const absentPool = [...new Set(options.vocabulary)].filter((name) => !presentSet.has(name));
    if (present.length < presentCount || absentPool.length < absentCount) continue;
    used++;
    const medium = item.frames || item.video ? 'video' : 'image';
    const asked: PresenceTarget[] = [
      ...random.sample(present, presentCount).map((object) => ({ answer: 'yes' as const, object })),
      ...random.sample(absentPool, absentCount).map((object) => ({ answer: 'no' as const, object })),
    ];
    for (const target of asked) {
      const question = hallucinationQuestion(target.object, medium);
      const visual = item.video
        ? videoContentPart({ file: item.video.file })
        : item.frames
          ? videoContentPart({ frames: item.frames })
          : { type: 'image' as const, image: { path: item.image ?? '' } };
      samples.push({
        id: `${item.id}:${target.object}`,
        messages: [{ role: 'user', content: [visual, { type: 'text', text: question }] }],
        target,
        group: target.answer === 'yes' ? 'present' : 'absent',
        ...(item.video ? { video: item.video } : {}),
        view: {
          prompt: question,
          reference: target.answer,
          ...(item.image !== undefined ? { image: item.image } : {}),
          ...(item.frames !== undefined ? { frames: item.frames } : {}),
          ...(item.video !== undefined ? { video: item.video.file } : {}),
          ...(item.imageSize !== undefined ? { imageSize: item.imageSize } : {}),
        },
      });
    }
  }
  return {
    name: options.name,
    kind: 'hallucination',
    config: { seed, presentPerSample: presentCount, absentPerSample: absentCount, ...options.config },
    generation: { ...PRESENCE_GENERATION, ...options.generation },
    samples,
  };
}

/** Options of the Hal-COCO builder. */
export interface HalCocoOptions {
  imageRoot?: string;
  seed?: number;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

/** Hal-COCO from COCO instances annotations (present = categories annotated in the image). */
export function buildHalCoco(coco: CocoInstances, options: HalCocoOptions = {}): EvalTask<PresenceTarget> {
  const index = indexCoco(coco);
  const items: PresenceItem[] = coco.images.map((image) => ({
    id: String(image.id),
    image: resolveImagePath(options.imageRoot, image.file_name),
    imageSize: { width: image.width, height: image.height },
    present: presentCategoryNames(index.annotationsByImage.get(image.id) ?? [], index.categoryNames),
  }));
  return buildPresenceTask({
    name: 'hal-coco',
    items,
    vocabulary: coco.categories.map((c) => c.name),
    ...pick(options),
  });
}

const adeImageSchema = z.object({
  annotation: z.object({
    filename: z.string(),
    folder: z.string().optional(),
    imsize: z.array(z.number()).optional(),
    object: z.array(
      z.object({
        name: z.string(),
        raw_name: z.string().optional(),
        parts: z.object({ part_level: z.number().int() }).partial().optional(),
      }),
    ),
  }),
});

/** An ADE20K per-image annotation (ADE20K 2021 release: `ADE_train_00000001.json` beside the image). */
export type AdeImageAnnotation = z.infer<typeof adeImageSchema>;

/** Read one ADE20K image annotation file (the objects present in the image). */
export function readAdeImageAnnotation(file: string): AdeImageAnnotation {
  return readJsonFile(adeImageSchema, file);
}

/** ADE names are WordNet-style synonym lists ("car, auto, automobile"); the first entry names the object. */
function adeObjectName(name: string): string {
  return (name.split(',')[0] ?? name).trim();
}

/** Options of the Hal-ADE builder. */
export interface HalAdeOptions extends HalCocoOptions {
  /** Object names to leave out (default: the 80 COCO categories, so Hal-ADE tests categories unseen in training). */
  exclude?: readonly string[];
}

/**
 * Hal-ADE from ADE20K per-image JSON files. Only whole objects (part level 0) count; an object is dropped when any
 * of its synonyms is an excluded (COCO) name. Images are read beside their JSON unless `imageRoot` is given.
 */
export function buildHalAde(files: readonly string[], options: HalAdeOptions = {}): EvalTask<PresenceTarget> {
  const exclude = new Set((options.exclude ?? COCO_CATEGORY_NAMES).map((n) => n.toLowerCase()));
  const items: PresenceItem[] = [];
  const vocabulary = new Set<string>();
  for (const file of files) {
    const { annotation } = readAdeImageAnnotation(file);
    const present: string[] = [];
    for (const object of annotation.object) {
      if ((object.parts?.part_level ?? 0) !== 0) continue;
      const synonyms = [...object.name.split(','), object.raw_name ?? ''].map((s) => s.trim().toLowerCase());
      if (synonyms.some((s) => exclude.has(s))) continue;
      const name = adeObjectName(object.name);
      if (name === '') continue;
      present.push(name);
      vocabulary.add(name);
    }
    const [h, w] = annotation.imsize ?? [];
    items.push({
      id: basename(file).replace(/\.json$/, ''),
      image: options.imageRoot
        ? resolveImagePath(options.imageRoot, annotation.filename)
        : join(dirname(file), annotation.filename),
      present,
      ...(w && h ? { imageSize: { width: w, height: h } } : {}),
    });
  }
  return buildPresenceTask({
    name: 'hal-ade',
    items,
    vocabulary: [...vocabulary].sort(),
    ...pick(options),
  });
}

const videoObjectsSchema = z.object({
  video: z.string(),
  objects: z.array(z.string()),
  frames: z.array(z.string()).optional(),
});

/** One video's objects, as read for Hal-Act (one line of the object list file). */
export type VideoObjects = z.infer<typeof videoObjectsSchema>;

/** Read per-video object lists: JSONL lines (or a JSON array) of `{ video, objects, frames? }`. */
export function readVideoObjects(file: string): VideoObjects[] {
  return file.endsWith('.jsonl')
    ? readJsonLinesFile(videoObjectsSchema, file)
    : readJsonFile(z.array(videoObjectsSchema), file);
}

/** Options of the Hal-Act builder (video hallucination). */
export interface HalActOptions extends HalCocoOptions {
  /**
   * Folder with, per video, a sub-folder of extracted frames or a video file (`{video}`, or `{video}.mp4` / .webm /
   * .mkv / .avi / .gif ...), used when a record lists no frames. Video files are decoded when asked.
   */
  framesRoot?: string;
  /** Frames per video, picked uniformly (the paper: 8). */
  frameCount?: number;
  /** Size decoded video-file frames are resized to (stretched); default the video's own size. */
  frameSize?: ImageSize;
  /** Names absent objects are drawn from (default: every object named in the file). */
  vocabulary?: readonly string[];
}

/** Hal-Act from per-video object lists (e.g. Pseudo-ActNet presence labels); asks `... in the video?`. */
export function buildHalAct(records: readonly VideoObjects[], options: HalActOptions = {}): EvalTask<PresenceTarget> {
  const frameCount = options.frameCount ?? 8;
  const items: PresenceItem[] = records.map((record) => {
    const frames = record.frames?.map((f) => resolveImagePath(options.framesRoot, f));
    if (frames) return { id: record.video, frames, present: record.objects };
    if (!options.framesRoot) {
      throw new EvaluationError('BAD_INPUT', `video ${record.video} lists no frames and no framesRoot was given`);
    }
    const source: VideoSource = resolveVideo(options.framesRoot, record.video, frameCount);
    const video = videoFileInput(source, frameCount, options.frameSize);
    return video
      ? { id: record.video, video, present: record.objects }
      : { id: record.video, frames: 'frames' in source ? source.frames : [], present: record.objects };
  });
  const vocabulary = options.vocabulary ?? [...new Set(records.flatMap((r) => r.objects))].sort();
  return buildPresenceTask({
    name: 'hal-act',
    items,
    vocabulary,
    ...pick(options),
    config: {
      frameCount,
      ...(options.frameSize ? { frameSize: `${options.frameSize.width}x${options.frameSize.height}` } : {}),
    },
  });
}

function pick(options: HalCocoOptions): Pick<PresenceTaskOptions, 'seed' | 'limit' | 'generation'> {
  return {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.generation !== undefined ? { generation: options.generation } : {}),
  };
}

/** Accuracy over all presence questions (answers read as POPE reads them), plus per-group and yes/no metrics. */
export function scorePresence(task: EvalTask<PresenceTarget>, answers: ReadonlyMap<string, string>): TaskScore {
  const samples: SampleScore[] = [];
  const labels: string[] = [];
  const answered: string[] = [];
  const groups = { present: { right: 0, total: 0 }, absent: { right: 0, total: 0 } };
  for (const sample of task.samples) {
    const answer = answers.get(sample.id);
    const group = groups[sample.target.answer === 'yes' ? 'present' : 'absent'];
    group.total++;
    if (answer === undefined) {
      samples.push({ id: sample.id, correct: false });
      continue;
    }
    const parsed = parsePopeAnswer(answer);
    const correct = parsed === sample.target.answer;
    if (correct) group.right++;
    labels.push(sample.target.answer);
    answered.push(answer);
    samples.push({ id: sample.id, answer, parsed, correct });
  }
  const total = task.samples.length;
  // Precision, recall and yes-ratio over the answered questions, as POPE reports them.
  const binary = answered.length > 0 ? popeMetrics(answered, labels) : undefined;
  return {
    task: task.name,
    kind: task.kind,
    metrics: {
      // Missing answers count as wrong so a partial run cannot look better than it is.
      accuracy: total === 0 ? 0 : (groups.present.right + groups.absent.right) / total,
      'accuracy.present': groups.present.total ? groups.present.right / groups.present.total : 0,
      'accuracy.absent': groups.absent.total ? groups.absent.right / groups.absent.total : 0,
      ...(binary
        ? { precision: binary.precision, recall: binary.recall, f1: binary.f1, yesRatio: binary.yesRatio }
        : {}),
    },
    counts: { samples: total, answered: answered.length, missing: total - answered.length },
    samples,
  };
}
