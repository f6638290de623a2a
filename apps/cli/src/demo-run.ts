// The work behind `locvlm demo`: read the sample scenes (COCO-style scenes.json + PNGs, bundled by the build from
// apps/shapes-lab/demo-scenes), ask the model the paper's questions about each, and score the answers with
// @locvlm/eval. LocPred locates every single-instance object, RevLoc describes one region, a left/right question in
// COCO-Spatial's released wording and two presence questions in the hallucination benchmarks' wording (one present,
// one absent category) complete each scene.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Codec, FrameTransform } from '@locvlm/coord-codec';
import { type Box, groundingMetrics, keywordAccuracy, parsePopeAnswer, popeMetrics } from '@locvlm/eval';
import { hallucinationQuestion, type SpatialSide, spatialQuestion } from '@locvlm/prompts';
import { ask, type VisionLanguageModel } from '@locvlm/runtime';
import { z } from 'zod';
import { CliError } from './io.js';
import { describeRegion, locateObject } from './location-tasks.js';

/** The bundled sample scenes: dist/demo-scenes of this package (copied by the build), resolved from dist/.. . */
export const BUNDLED_SCENES_DIR = fileURLToPath(new URL('../dist/demo-scenes/', import.meta.url));
/** The same scenes in the repository, for a checkout that was not built yet. */
export const REPOSITORY_SCENES_DIR = fileURLToPath(new URL('../../shapes-lab/demo-scenes/', import.meta.url));

/** The folder `locvlm demo` reads its scenes from when --scenes is not given. */
export function defaultScenesDir(places: readonly string[] = [BUNDLED_SCENES_DIR, REPOSITORY_SCENES_DIR]): string {
  for (const dir of places) if (existsSync(join(dir, 'scenes.json'))) return dir;
  throw new CliError(`no sample scenes (looked in ${places.join(', ')}); pass --scenes DIR`);
}

const id = z.number().int();
const scenesSchema = z.object({
  images: z
    .array(z.object({ id, file_name: z.string().min(1), width: z.number().positive(), height: z.number().positive() }))
    .min(1),
  annotations: z.array(
    z.object({
      id,
      image_id: id,
      category_id: id,
      bbox: z.tuple([z.number(), z.number(), z.number().positive(), z.number().positive()]),
      caption: z.string().optional(),
    }),
  ),
  categories: z.array(z.object({ id, name: z.string().min(1) })).min(1),
  relations: z
    .array(
      z.object({ image_id: id, subject: id, predicate: z.enum(['left of', 'right of', 'above', 'below']), object: id }),
    )
    .default([]),
});

export interface DemoObject {
  annotationId: number;
  category: string;
  /** [x1, y1, x2, y2] in image pixels. */
  box: Box;
  caption?: string;
  /** The only object of its category in the scene (what LocPred and the spatial questions may ask about). */
  single: boolean;
}

export interface DemoScene {
  imageId: number;
  fileName: string;
  /** Absolute path of the PNG. */
  path: string;
  width: number;
  height: number;
  objects: DemoObject[];
  relations: { subject: DemoObject; predicate: 'left of' | 'right of' | 'above' | 'below'; object: DemoObject }[];
  /** Category names not in the scene, in category-id order. */
  absent: string[];
}

/** Read and check `<dir>/scenes.json`; every error names the file and the JSON path. */
export async function loadDemoScenes(dir: string): Promise<DemoScene[]> {
  const file = join(dir, 'scenes.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new CliError(`${file}: ${(cause as Error).message}`, { cause });
  }
  const parsed = scenesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${file} at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const { images, annotations, categories, relations } = parsed.data;
  const categoryName = new Map(categories.map((c) => [c.id, c.name]));
  return images.map((image, i) => {
    const objects: DemoObject[] = [];
    const byId = new Map<number, DemoObject>();
    annotations.forEach((a, j) => {
      if (a.image_id !== image.id) return;
      const category = categoryName.get(a.category_id);
      if (category === undefined)
        throw new CliError(`${file} at annotations.${j}.category_id: no category ${a.category_id}`);
      const [x, y, w, h] = a.bbox;
      const object: DemoObject = {
        annotationId: a.id,
        category,
        box: [x, y, x + w, y + h],
        ...(a.caption !== undefined ? { caption: a.caption } : {}),
        single: annotations.filter((b) => b.image_id === image.id && b.category_id === a.category_id).length === 1,
      };
      objects.push(object);
      byId.set(a.id, object);
    });
    if (objects.length === 0) throw new CliError(`${file} at images.${i}: image ${image.id} has no annotations`);
    const present = new Set(objects.map((o) => o.category));
    return {
      imageId: image.id,
      fileName: image.file_name,
      path: join(dir, image.file_name),
      width: image.width,
      height: image.height,
      objects,
      relations: relations.flatMap((r) => {
        if (r.image_id !== image.id) return [];
        const subject = byId.get(r.subject);
        const object = byId.get(r.object);
        return subject && object ? [{ subject, predicate: r.predicate, object }] : [];
      }),
      absent: categories.map((c) => c.name).filter((name) => !present.has(name)),
    };
  });
}

export type DemoTask = 'locate' | 'describe' | 'left-right' | 'presence';
export const DEMO_TASKS: readonly DemoTask[] = ['locate', 'describe', 'left-right', 'presence'];
export const DEMO_TASK_LABELS: Record<DemoTask, string> = {
  locate: 'locate (LocPred, IoU >= 0.5)',
  describe: 'describe region (RevLoc)',
  'left-right': 'left/right (COCO-Spatial)',
  presence: 'presence (POPE)',
};

/** What the demo asks about one scene. */
export interface ScenePlan {
  locate: DemoObject[];
  describe?: DemoObject;
  leftRight?: { reference: DemoObject; subject: DemoObject; side: SpatialSide };
  presence: { category: string; label: 'yes' | 'no' }[];
}

/**
 * Every single-instance object to locate; the first of them to describe; the first left/right relation between two
 * single-instance objects; one present category and one absent one (preferring an absent category that shares a
 * word, colour or shape, with a present one: absence only binding can tell).
 */
export function planScene(scene: DemoScene): ScenePlan {
  const singles = scene.objects.filter((o) => o.single);
  const relation = scene.relations.find(
    (r) => (r.predicate === 'left of' || r.predicate === 'right of') && r.subject.single && r.object.single,
  );
  const present = singles[0] ?? scene.objects[0]!;
  const words = new Set(scene.objects.flatMap((o) => o.category.split(' ')));
  const absent = scene.absent.find((name) => name.split(' ').some((w) => words.has(w))) ?? scene.absent[0];
  return {
    locate: singles,
    ...(singles[0] ? { describe: singles[0] } : {}),
    ...(relation
      ? {
          leftRight: {
            reference: relation.object,
            subject: relation.subject,
            side: relation.predicate === 'left of' ? 'left' : 'right',
          },
        }
      : {}),
    presence: [
      { category: present.category, label: 'yes' },
      ...(absent !== undefined ? [{ category: absent, label: 'no' as const }] : []),
    ],
  };
}

export interface DemoAnswer {
  task: DemoTask;
  imageId: number;
  question: string;
  answer: string;
  /** What counts as right: the object's category (locate, describe), the side word, or yes/no. */
  expected: string;
  correct: boolean;
  /** locate: the first box in the answer (image pixels), null when none could be read; and the truth. */
  predictedBox?: Box | null;
  targetBox?: Box;
  iou?: number;
  /** describe: the region asked about and the scene's caption of it. */
  region?: Box;
  reference?: string;
}

export interface DemoTaskScore {
  task: DemoTask;
  label: string;
  n: number;
  correct: number;
  /** 0..1; null when the scenes gave no question of this kind. */
  accuracy: number | null;
}

export interface DemoResults {
  answers: DemoAnswer[];
  tasks: DemoTaskScore[];
}

export interface RunDemoOptions {
  codec: Codec;
  /** The frame the model's numbers live in (default: the model's own). */
  frame?: FrameTransform;
  maxNewTokens?: number;
  onProgress?: (p: { done: number; total: number; scene: DemoScene; asked: number }) => void;
}

/** Ask every planned question of every scene (greedy), then score. */
export async function runDemo(
  model: VisionLanguageModel,
  scenes: readonly DemoScene[],
  options: RunDemoOptions,
): Promise<DemoResults> {
  const { codec, frame } = options;
  const generation = { maxNewTokens: options.maxNewTokens ?? 48, temperature: 0, ...(frame ? { frame } : {}) };
  const answers: DemoAnswer[] = [];
  for (const [index, scene] of scenes.entries()) {
    let image: Uint8Array;
    try {
      image = new Uint8Array(await readFile(scene.path));
    } catch (cause) {
      throw new CliError(`scene image ${scene.path}: ${(cause as Error).message}`, { cause });
    }
    const plan = planScene(scene);
    const before = answers.length;
    const base = { imageId: scene.imageId, correct: false };
    for (const object of plan.locate) {
      const located = await locateObject(model, { ...generation, image, object: object.category, codec });
      const found = located.locations.find((l) => 'box' in l.location)?.location;
      answers.push({
        ...base,
        task: 'locate',
        question: located.question,
        answer: located.answer,
        expected: object.category,
        predictedBox: found && 'box' in found ? found.box : null,
        targetBox: object.box,
      });
    }
    if (plan.describe) {
      const { box, category, caption } = plan.describe;
      const described = await describeRegion(model, {
        ...generation,
        image,
        box: box as [number, number, number, number],
        codec,
      });
      answers.push({
        ...base,
        task: 'describe',
        question: described.question,
        answer: described.answer,
        expected: category,
        region: box,
        ...(caption !== undefined ? { reference: caption } : {}),
      });
    }
    const askText = async (question: string) =>
      (await ask(model, { ...generation, image: { bytes: image }, question, codec })).text;
    if (plan.leftRight) {
      const { reference, subject, side } = plan.leftRight;
      const question = spatialQuestion({ reference: reference.category, subject: subject.category }, 'released');
      answers.push({ ...base, task: 'left-right', question, answer: await askText(question), expected: side });
    }
    for (const { category, label } of plan.presence) {
      const question = hallucinationQuestion(category);
      answers.push({ ...base, task: 'presence', question, answer: await askText(question), expected: label });
    }
    options.onProgress?.({ done: index + 1, total: scenes.length, scene, asked: answers.length - before });
  }
  return { answers, tasks: scoreDemo(answers) };
}

/**
 * Score with @locvlm/eval, marking each answer: locate by IoU >= 0.5 (groundingMetrics; no box read = miss),
 * describe by the object's category in the answer and left/right by the side word (keywordAccuracy, COCO-Spatial's
 * rule), presence by POPE's answer parsing (popeMetrics).
 */
export function scoreDemo(answers: DemoAnswer[]): DemoTaskScore[] {
  const of = (task: DemoTask) => answers.filter((a) => a.task === task);
  const accuracies = new Map<DemoTask, number>();

  const located = of('locate');
  if (located.length > 0) {
    const g = groundingMetrics(
      located.map((a) => a.predictedBox ?? null),
      located.map((a) => a.targetBox!),
      0.5,
    );
    located.forEach((a, i) => {
      a.iou = g.ious[i]!;
      a.correct = a.iou >= g.threshold;
    });
    accuracies.set('locate', g.accuracyAtLeastThreshold);
  }
  for (const task of ['describe', 'left-right'] as const) {
    const items = of(task);
    if (items.length === 0) continue;
    const k = keywordAccuracy(items.map((a) => ({ answer: a.answer, target: a.expected })));
    items.forEach((a, i) => {
      a.correct = k.correct[i]!;
    });
    accuracies.set(task, k.accuracy);
  }
  const presence = of('presence');
  if (presence.length > 0) {
    const pope = popeMetrics(
      presence.map((a) => a.answer),
      presence.map((a) => a.expected),
    );
    for (const a of presence) a.correct = parsePopeAnswer(a.answer) === a.expected;
    accuracies.set('presence', pope.accuracy);
  }
  return DEMO_TASKS.map((task) => {
    const items = of(task);
    return {
      task,
      label: DEMO_TASK_LABELS[task],
      n: items.length,
      correct: items.filter((a) => a.correct).length,
      accuracy: accuracies.get(task) ?? null,
    };
  });
}
