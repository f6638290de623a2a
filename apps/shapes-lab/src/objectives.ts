// LocPred, NegPred and RevLoc on the shapes world, with FORMATS.md section 2's templates and IVB coordinates.
// INTERIM: written before @locvlm/pseudo-data, @locvlm/prompts and @locvlm/coord-codec landed; the data build moves
// to them (same templates and targets) as soon as they are on main.

import type { SceneGraph } from './coco.js';
import type { QaPair } from './instructions.js';
import { createRng, hashString } from './rng.js';
import { CATEGORIES } from './vocabulary.js';

export const LOC_TEMPLATES = [
  'Where is the object described {category} located in image in terms of {repr}?',
  'What is the location of object described {category} in terms of {repr}?',
  'Localize the object described {category} in terms of {repr}?',
  'Provide a {repr} for the the object described {category}?',
  'Generate a {repr} for the the object described {category}?',
] as const;
export const REVLOC_TEMPLATES = [
  'Describe the object located at {loc}?',
  'Provide a caption for object at {loc}?',
  'What is at location {loc} in image?',
] as const;
export const BBOX_REPR = '(x1,y1,x2,y2) bbox';
export const NEGPRED_TARGET = 'There is no such object in the image';

/** IVB: floor(bins * v / size), clamped to the last bin. */
export function ivb(v: number, size: number, bins: number): number {
  return Math.min(bins - 1, Math.max(0, Math.floor((bins * v) / size)));
}

/** "(4, 52, 13, 63)" for a COCO [x, y, w, h] box in a size x size image. */
export function ivbBoxText(bbox: readonly number[], size: number, bins: number): string {
  const [x, y, w, h] = bbox as [number, number, number, number];
  return `(${[x, y, x + w, y + h].map((v) => ivb(v, size, bins)).join(', ')})`;
}

export type Objective = 'locpred' | 'negpred' | 'revloc';

export interface ObjectiveOptions {
  bins: number;
  objectives: readonly Objective[];
  seed?: number;
}

/** Objective QA pairs for one image: LocPred and RevLoc on every single-instance object, one NegPred. */
export function objectiveQa(
  graph: SceneGraph,
  regionCaptions: ReadonlyMap<number, string>,
  options: ObjectiveOptions,
): (QaPair & { annotationId?: number })[] {
  const rng = createRng(hashString(`objectives/${options.seed ?? 0}/${graph.image_id}`));
  const size = graph.width;
  const on = new Set(options.objectives);
  const out: (QaPair & { annotationId?: number })[] = [];
  const single = graph.objects.filter((o) => graph.objects.filter((p) => p.category_id === o.category_id).length === 1);
  for (const o of single) {
    const category = `${o.colour} ${o.shape}`;
    const loc = ivbBoxText(o.bbox, size, options.bins);
    if (on.has('locpred')) {
      const q = rng.pick(LOC_TEMPLATES).replace('{category}', category).replace('{repr}', BBOX_REPR);
      out.push({ kind: 'locpred', question: q, answer: `It is located at ${loc}`, annotationId: o.annotation_id });
    }
    if (on.has('revloc')) {
      const q = rng.pick(REVLOC_TEMPLATES).replace('{loc}', loc);
      const what = regionCaptions.get(o.annotation_id) ?? `a ${category}`;
      out.push({ kind: 'revloc', question: q, answer: `There is ${what}.`, annotationId: o.annotation_id });
    }
  }
  if (on.has('negpred')) {
    const absent = CATEGORIES.filter((c) => !graph.objects.some((o) => o.category_id === c.id));
    const hard = absent.filter((c) => graph.objects.some((o) => o.colour === c.colour || o.shape === c.shape));
    const c = rng.pick(hard.length > 0 && rng.next() < 0.5 ? hard : absent);
    const q = rng.pick(LOC_TEMPLATES).replace('{category}', c.name).replace('{repr}', BBOX_REPR);
    out.push({ kind: 'negpred', question: q, answer: NEGPRED_TARGET });
  }
  return out;
}
