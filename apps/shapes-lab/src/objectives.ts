// LocPred, NegPred and RevLoc on the shapes world, built by @locvlm/prompts (the paper's templates and targets) with
// @locvlm/coord-codec's IVB codec, in the 64-px model-input frame (scenes are square at the model's input size, so
// LLaVA's pad and CLIP's resize/crop are identities). Only single-instance objects are asked about, as in PRefCOCO.

import { createCodec } from '@locvlm/coord-codec';
import { localizeConversations, NEGPRED_TARGET } from '@locvlm/prompts';
import type { SceneGraph } from './coco.js';
import type { QaPair } from './instructions.js';
import { createRng, hashString } from './rng.js';
import { CATEGORIES } from './vocabulary.js';

export type Objective = 'locpred' | 'negpred' | 'revloc';

export interface ObjectiveOptions {
  /** IVB bins over the image side. */
  bins: number;
  objectives: readonly Objective[];
  seed?: number;
}

/** "A small red circle left of the blue square." from "a small red circle left of the blue square". */
function sentence(caption: string): string {
  return `${caption.charAt(0).toUpperCase()}${caption.slice(1)}.`;
}

/** Objective QA pairs for one image: LocPred and RevLoc on every single-instance object, one NegPred. */
export function objectiveQa(
  graph: SceneGraph,
  regionCaptions: ReadonlyMap<number, string>,
  options: ObjectiveOptions,
): (QaPair & { annotationId?: number })[] {
  const on = new Set(options.objectives);
  const codec = createCodec({ kind: 'ivb', bins: options.bins });
  const imageSize = { width: graph.width, height: graph.height };
  const single = graph.objects.filter((o) => graph.objects.filter((p) => p.category_id === o.category_id).length === 1);
  const box = (o: (typeof single)[number]): [number, number, number, number] => {
    const [x, y, w, h] = o.bbox as [number, number, number, number];
    return [x, y, x + w, y + h];
  };
  // NegPred: one absent category; half the time one sharing a colour or shape with a present object.
  const rng = createRng(hashString(`negpred/${options.seed ?? 0}/${graph.image_id}`));
  const absent = CATEGORIES.filter((c) => !graph.objects.some((o) => o.category_id === c.id));
  const hard = absent.filter((c) => graph.objects.some((o) => o.colour === c.colour || o.shape === c.shape));
  const negative = rng.pick(hard.length > 0 && rng.next() < 0.5 ? hard : absent).name;
  const key = String(graph.image_id);
  const seed = options.seed ?? 0;
  const loc = localizeConversations({
    key,
    imageSize,
    objects: single.map((o) => ({ description: { category: `${o.colour} ${o.shape}` }, location: { box: box(o) } })),
    negatives: [negative],
    codec,
    seed,
  });
  const rev = localizeConversations({
    key: `${key}/captions`,
    imageSize,
    objects: single.map((o) => ({
      description: { caption: sentence(regionCaptions.get(o.annotation_id) ?? `a ${o.colour} ${o.shape}`) },
      location: { box: box(o) },
    })),
    codec,
    seed,
  });
  const out: (QaPair & { annotationId?: number })[] = [];
  // localizeConversations shuffles; find each object's pair again by its encoded box / caption.
  for (const o of single) {
    const text = codec.encode({ box: box(o) }, imageSize);
    if (on.has('locpred')) {
      const pair = loc.locPred.find((p) => p.answer.endsWith(text) && p.question.includes(`${o.colour} ${o.shape}`));
      if (pair) out.push({ kind: 'locpred', ...pair, annotationId: o.annotation_id });
    }
    if (on.has('revloc')) {
      const caption = sentence(regionCaptions.get(o.annotation_id) ?? '');
      const pair = rev.revLoc.find((p) => p.question.includes(text) && p.answer === caption);
      if (pair) out.push({ kind: 'revloc', ...pair, annotationId: o.annotation_id });
    }
  }
  if (on.has('negpred')) {
    const pair = loc.locPred.find((p) => p.answer === NEGPRED_TARGET);
    if (pair) out.push({ kind: 'negpred', ...pair });
  }
  return out;
}
