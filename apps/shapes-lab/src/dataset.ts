import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CocoCaptions, CocoInstances, SceneGraph } from './coco.js';
import { ShapesLabError } from './errors.js';
import { baseQa, type LlavaRecord, toRecord } from './instructions.js';
import { type Objective, objectiveQa } from './objectives.js';
import type { SplitName } from './world.js';

const instancesSchema = z.object({
  images: z.array(z.object({ id: z.number(), file_name: z.string(), width: z.number(), height: z.number() })),
  annotations: z.array(z.object({ id: z.number(), image_id: z.number(), caption: z.string() }).loose()),
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
  instances: CocoInstances;
  captions: CocoCaptions;
  scenes: SceneGraph[];
}

/** Read one split written by buildWorld. */
export async function readWorldSplit(world: string, split: SplitName): Promise<WorldSplit> {
  const dir = join(world, 'annotations');
  const instances = (await readJson(join(dir, `instances_${split}.json`), instancesSchema)) as unknown as CocoInstances;
  const captions = (await readJson(join(dir, `captions_${split}.json`), captionsSchema)) as unknown as CocoCaptions;
  const scenes = (await readJson(join(dir, `scenes_${split}.json`), scenesSchema)).scenes as unknown as SceneGraph[];
  return { instances, captions, scenes };
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

/** LLaVA records (base data + chosen objectives) and the same pairs as eval items, for one split. */
export function instructionData(
  split: WorldSplit,
  options: InstructionDataOptions,
): { records: LlavaRecord[]; items: EvalItem[] } {
  const captionByImage = new Map(split.captions.annotations.map((a) => [a.image_id, a.caption]));
  const regionCaptions = new Map(split.instances.annotations.map((a) => [a.id, a.caption]));
  const boxes = new Map(split.instances.annotations.map((a) => [a.id, a.bbox]));
  const records: LlavaRecord[] = [];
  const items: EvalItem[] = [];
  for (const graph of split.scenes) {
    const qas = [
      ...baseQa(graph, captionByImage.get(graph.image_id) ?? '', { seed: options.seed ?? 0 }),
      ...objectiveQa(graph, regionCaptions, options),
    ];
    qas.forEach((qa, k) => {
      const id = `${graph.image_id}:${k}:${qa.kind}`;
      records.push(toRecord(graph.file_name, id, qa));
      const item: EvalItem = { id, image: graph.file_name, kind: qa.kind, question: qa.question, answer: qa.answer };
      const annotationId = 'annotationId' in qa ? (qa.annotationId as number | undefined) : undefined;
      if (qa.kind === 'locpred' && annotationId !== undefined) item.bbox = boxes.get(annotationId);
      if (qa.kind === 'revloc' && annotationId !== undefined) item.reference = regionCaptions.get(annotationId);
      items.push(item);
    });
  }
  return { records, items };
}
