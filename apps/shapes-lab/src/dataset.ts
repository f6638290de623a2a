import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CocoDataset, readCocoInstances } from '@locvlm/pseudo-data';
import { z } from 'zod';
import type { CocoCaptions, SceneGraph } from './coco.js';
import { ShapesLabError } from './errors.js';
import { baseQa, type LlavaRecord, toRecord } from './instructions.js';
import { type Objective, type ObjectiveQa, objectiveQa } from './objectives.js';
import type { SplitName } from './world.js';

// readCocoInstances keeps COCO's own fields; the world's extra per-annotation `caption` is read here.
const regionCaptionsSchema = z.object({
  annotations: z.array(z.object({ id: z.number(), caption: z.string() }).loose()),
});
const captionsSchema = z.object({ annotations: z.array(z.object({ image_id: z.number(), caption: z.string() })) });
const scenesSchema = z.object({ scenes: z.array(z.object({ image_id: z.number() }).loose()) });

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ShapesLabError('BAD_FILE', `cannot read JSON from ${path}`, { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ShapesLabError('BAD_FILE', `${path}: ${issue?.path.join('.')}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

export interface WorldSplit {
  /** `instances_<split>.json` as @locvlm/pseudo-data reads any COCO instances file. */
  instances: CocoDataset;
  /** Annotation id -> region caption, the `caption` field of each annotation in the same file. */
  regionCaptions: Map<number, string>;
  captions: CocoCaptions;
  scenes: SceneGraph[];
}

/** Read one split written by buildWorld. */
export async function readWorldSplit(world: string, split: SplitName): Promise<WorldSplit> {
  const dir = join(world, 'annotations');
  const instancesFile = join(dir, `instances_${split}.json`);
  let instances: CocoDataset;
  try {
    instances = await readCocoInstances(instancesFile);
  } catch (cause) {
    throw new ShapesLabError('BAD_FILE', `cannot read COCO instances: ${(cause as Error).message}`, { cause });
  }
  const regionCaptions = new Map(
    (await readJson(instancesFile, regionCaptionsSchema)).annotations.map((a) => [a.id, a.caption]),
  );
  const captions = (await readJson(join(dir, `captions_${split}.json`), captionsSchema)) as unknown as CocoCaptions;
  const scenes = (await readJson(join(dir, `scenes_${split}.json`), scenesSchema)).scenes as unknown as SceneGraph[];
  return { instances, regionCaptions, captions, scenes };
}

/** An evaluation item: a question with what a scorer needs (box in image pixels, expected side, presence). */
export interface EvalItem {
  id: string;
  image: string;
  kind: string;
  question: string;
  answer: string;
  /** LocPred target, COCO [x, y, w, h] in image pixels. */
  bbox?: number[];
  /** RevLoc reference caption. */
  reference?: string;
}

export interface InstructionDataOptions {
  bins: number;
  objectives: readonly Objective[];
  seed?: number;
}

/**
 * LLaVA records (base data from the scene graphs + the chosen objectives through @locvlm/pseudo-data), one QA pair
 * per record with id `<image id>:<index in image>:<kind>`, and the same pairs as eval items, for one split.
 */
export function instructionData(
  split: WorldSplit,
  options: InstructionDataOptions,
): { records: LlavaRecord[]; items: EvalItem[] } {
  const captionByImage = new Map(split.captions.annotations.map((a) => [a.image_id, a.caption]));
  const boxes = new Map(split.instances.annotations.map((a): [number, number[]] => [a.id, [...a.bbox]]));
  const objectives = objectiveQa(split, options);
  const records: LlavaRecord[] = [];
  const items: EvalItem[] = [];
  for (const graph of split.scenes) {
    const qas: ObjectiveQa[] = [
      ...baseQa(graph, captionByImage.get(graph.image_id) ?? '', { seed: options.seed ?? 0 }),
      ...(objectives.get(graph.image_id) ?? []),
    ];
    qas.forEach((qa, k) => {
      const id = `${graph.image_id}:${k}:${qa.kind}`;
      records.push(toRecord(graph.file_name, id, qa));
      const item: EvalItem = { id, image: graph.file_name, kind: qa.kind, question: qa.question, answer: qa.answer };
      const { annotationId } = qa;
      if (qa.kind === 'locpred' && annotationId !== undefined) item.bbox = boxes.get(annotationId);
      if (qa.kind === 'revloc' && annotationId !== undefined) item.reference = split.regionCaptions.get(annotationId);
      items.push(item);
    });
  }
  return { records, items };
}
