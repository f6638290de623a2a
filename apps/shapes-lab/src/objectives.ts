// LocPred, NegPred and RevLoc on the shapes world, built exactly as for real COCO: @locvlm/pseudo-data's
// Localize-Instruct reads the world's COCO instances (`readCocoInstances` -> `imagesFromCoco`), keeps single-instance
// objects (`selectUniqueObjects`), asks NegPred about absent categories (`absentCategoryIds`, through the
// `chooseNegatives` hook below) and writes the paper's templates and targets through @locvlm/prompts, with
// @locvlm/coord-codec's IVB codec in the 64-px model-input frame (scenes are square at the model's input size, so
// LLaVA's pad and CLIP's resize/crop are identities). LocPred and NegPred name categories ("red circle"); RevLoc
// answers with each object's region caption, passed as pseudo-data's per-object `captions` (the PRefCOCO path).
// Pseudo-data writes one multi-turn record per image and objective; this file splits them into single QA pairs
// tagged with their kind and annotation, which is what the trainer and the scorers read.

import { type Codec, createCodec } from '@locvlm/coord-codec';
import { NEGPRED_TARGET, type LlavaRecord as PromptRecord } from '@locvlm/prompts';
import {
  type AnnotatedImage,
  type CocoDataset,
  cleanCaption,
  imagesFromCoco,
  localizeInstructRecords,
  type NegativeChooser,
  selectUniqueObjects,
} from '@locvlm/pseudo-data';
import { ShapesLabError } from './errors.js';
import type { QaPair } from './instructions.js';
import { CATEGORIES } from './vocabulary.js';

export type Objective = 'locpred' | 'negpred' | 'revloc';

export interface ObjectiveOptions {
  /** IVB bins over the image side. */
  bins: number;
  objectives: readonly Objective[];
  seed?: number;
}

/** What the objectives are built from: a split's COCO instances and each annotation's region caption. */
export interface ObjectiveSource {
  /** The split's `instances_<split>.json` as `readCocoInstances` reads it. */
  instances: CocoDataset;
  /** Annotation id -> region caption ("a small red circle left of the blue square"), from the same file. */
  regionCaptions: ReadonlyMap<number, string>;
}

/** One objective question on an image, with the annotation it is about (LocPred, RevLoc). */
export type ObjectiveQa = QaPair & { annotationId?: number };

/**
 * NegPred choice for the shapes world: half the time an absent category sharing a colour or a shape with a present
 * object (a "hard" negative only binding colour to shape tells apart), else any absent category.
 */
export const hardNegatives: NegativeChooser = ({ image, absentCategoryIds, count, rng }) => {
  const present = image.objects.map((o) => CATEGORIES.find((c) => c.id === o.categoryId));
  const remaining = [...absentCategoryIds];
  const chosen: number[] = [];
  while (chosen.length < count && remaining.length > 0) {
    const hard = remaining.filter((id) => {
      const c = CATEGORIES.find((k) => k.id === id);
      return present.some((p) => p !== undefined && c !== undefined && (p.colour === c.colour || p.shape === c.shape));
    });
    const id = rng.pick(hard.length > 0 && rng.chance(0.5) ? hard : remaining);
    chosen.push(id);
    remaining.splice(remaining.indexOf(id), 1);
  }
  return chosen;
};

/** Question-answer pairs of a LLaVA record (`<image>` in front of the first question). */
function recordPairs(record: PromptRecord): { question: string; answer: string }[] {
  const pairs: { question: string; answer: string }[] = [];
  for (let t = 0; t + 1 < record.conversations.length; t += 2) {
    const human = record.conversations[t];
    const gpt = record.conversations[t + 1];
    if (human?.from !== 'human' || gpt?.from !== 'gpt') {
      throw new ShapesLabError('BAD_INPUT', `record ${record.id}: turn ${t} is not a human question and gpt answer`);
    }
    pairs.push({ question: human.value.replace(/^<image>\n/, ''), answer: gpt.value });
  }
  return pairs;
}

/**
 * Objective QA pairs per image id: for each single-instance object (in annotation order) its LocPred then its
 * RevLoc pair, then the image's NegPred pair; objectives switched off are left out (the ablation), and what is kept
 * does not depend on what was switched off.
 */
export function objectiveQa(source: ObjectiveSource, options: ObjectiveOptions): Map<number, ObjectiveQa[]> {
  const on = new Set(options.objectives);
  const codec: Codec = createCodec({ kind: 'ivb', bins: options.bins });
  const seed = options.seed ?? 0;
  if (on.size === 0) return new Map();
  const images = imagesFromCoco(source.instances);
  const localizeSource = { images, categories: source.instances.categories };
  const names = new Map(source.instances.categories.map((c) => [c.id, c.name]));
  // RevLoc targets are the region captions as one sentence ("A small red circle left of the blue square.").
  const captions = new Map<number, string>();
  for (const [id, caption] of source.regionCaptions) {
    const sentence = cleanCaption(caption);
    if (sentence !== null) captions.set(id, sentence);
  }

  const pairsByImage = new Map<number, { locpred: PromptRecord[]; revloc: PromptRecord[] }>();
  const add = (record: PromptRecord, objective: 'locpred' | 'revloc') => {
    const imageId = Number(record.id.slice(0, record.id.lastIndexOf(':')));
    const entry = pairsByImage.get(imageId) ?? { locpred: [], revloc: [] };
    entry[objective].push(record);
    pairsByImage.set(imageId, entry);
  };
  const categoryObjectives = options.objectives.filter((o) => o !== 'revloc');
  if (categoryObjectives.length > 0) {
    for (const record of localizeInstructRecords(localizeSource, {
      codec,
      seed,
      objectives: categoryObjectives,
      chooseNegatives: hardNegatives,
    })) {
      add(record, 'locpred');
    }
  }
  if (on.has('revloc')) {
    for (const record of localizeInstructRecords(localizeSource, { codec, seed, objectives: ['revloc'], captions })) {
      add(record, 'revloc');
    }
  }

  const out = new Map<number, ObjectiveQa[]>();
  for (const image of images) {
    const records = pairsByImage.get(image.id);
    if (records === undefined) continue;
    out.set(image.id, imageQa(image, records, { codec, names, captions }));
  }
  return out;
}

/** Tag each pair of an image's records with its kind and annotation, in a fixed order. */
function imageQa(
  image: AnnotatedImage,
  records: { locpred: PromptRecord[]; revloc: PromptRecord[] },
  context: { codec: Codec; names: ReadonlyMap<number, string>; captions: ReadonlyMap<number, string> },
): ObjectiveQa[] {
  const size = { width: image.width, height: image.height };
  const single = selectUniqueObjects(image).map((o) => ({
    id: o.id,
    name: context.names.get(o.categoryId) ?? '',
    caption: context.captions.get(o.id),
    location: context.codec.encode({ box: o.box }, size),
  }));
  const locPairs = records.locpred.flatMap(recordPairs);
  const revPairs = records.revloc.flatMap(recordPairs);
  const unmatched = (kind: string, pair: { question: string }) =>
    new ShapesLabError(
      'BAD_INPUT',
      `image ${image.id}: no single-instance object for the ${kind} pair "${pair.question}"`,
    );
  const locpred = new Map<number, ObjectiveQa>();
  const negpred: ObjectiveQa[] = [];
  for (const pair of locPairs) {
    if (pair.answer === NEGPRED_TARGET) {
      negpred.push({ kind: 'negpred', ...pair });
      continue;
    }
    const object = single.find((o) => pair.question.includes(o.name) && pair.answer.endsWith(o.location));
    if (object === undefined) throw unmatched('LocPred', pair);
    locpred.set(object.id, { kind: 'locpred', ...pair, annotationId: object.id });
  }
  const revloc = new Map<number, ObjectiveQa>();
  for (const pair of revPairs) {
    const object = single.find((o) => pair.answer === o.caption && pair.question.includes(o.location));
    if (object === undefined) throw unmatched('RevLoc', pair);
    revloc.set(object.id, { kind: 'revloc', ...pair, annotationId: object.id });
  }
  const out: ObjectiveQa[] = [];
  for (const o of single) {
    const loc = locpred.get(o.id);
    if (loc) out.push(loc);
    const rev = revloc.get(o.id);
    if (rev) out.push(rev);
  }
  out.push(...negpred);
  return out;
}
