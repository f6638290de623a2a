// Base instruction data for the shapes world, from the scene graphs: scene captions, presence, counting, attribute
// and spatial questions. These are the world's stand-in for LLaVA's base instruction data; the localization
// objectives (LocPred, NegPred, RevLoc) come from ./objectives.ts.

import { hallucinationQuestion, imageRecord, spatialAnswer, spatialQuestion } from '@locvlm/prompts';
import type { SceneGraph } from './coco.js';
import { createRng, hashString, type Rng } from './rng.js';
import { CATEGORIES, COLOURS, SHAPES } from './vocabulary.js';

/** LLaVA's training record. */
export interface LlavaRecord {
  id: string;
  image: string;
  conversations: { from: 'human' | 'gpt'; value: string }[];
}

/** One question-answer pair on an image, tagged with its kind so mixtures can be counted and filtered. */
export interface QaPair {
  kind: string;
  question: string;
  answer: string;
}

/** A one-turn LLaVA record (via @locvlm/prompts: `<image>` in front of the question). */
export function toRecord(image: string, id: string, qa: QaPair): LlavaRecord {
  return imageRecord({ id, image, pairs: [{ question: qa.question, answer: qa.answer }] }) as LlavaRecord;
}

type Obj = SceneGraph['objects'][number];

const article = (w: string) => (/^[aeiou]/.test(w) ? 'an' : 'a');
const name = (o: Pick<Obj, 'colour' | 'shape'>) => `${o.colour} ${o.shape}`;
const plural = (shape: string) => `${shape}s`;

/** Presence question in the hallucination benchmarks' exact form: `Is there a/an {obj} in the image?`. */
export function presenceQuestion(category: string): string {
  return hallucinationQuestion(category);
}

/** COCO-Spatial's released form: `Which side of the {reference} is the {subject}?`. */
export function sideQuestion(reference: string, subject: string): string {
  return spatialQuestion({ reference, subject }, 'released');
}

function unique(graph: SceneGraph): Obj[] {
  return graph.objects.filter((o) => graph.objects.filter((p) => p.category_id === o.category_id).length === 1);
}

function caption(captionText: string): QaPair {
  return { kind: 'caption', question: 'Describe the image in one short sentence.', answer: captionText };
}

function presence(graph: SceneGraph, rng: Rng): QaPair[] {
  const present = rng.pick(graph.objects);
  const absentAll = CATEGORIES.filter((c) => !graph.objects.some((o) => o.category_id === c.id));
  // Half the absent objects share a colour or a shape with something present: only binding tells them apart.
  const hard = absentAll.filter((c) => graph.objects.some((o) => o.colour === c.colour || o.shape === c.shape));
  const absent = rng.pick(hard.length > 0 && rng.next() < 0.5 ? hard : absentAll);
  return [
    {
      kind: 'presence',
      question: presenceQuestion(name(present)),
      answer: `Yes, there is ${article(name(present))} ${name(present)}.`,
    },
    { kind: 'presence', question: presenceQuestion(absent.name), answer: `No, there is no ${absent.name}.` },
  ];
}

function counting(graph: SceneGraph, rng: Rng): QaPair {
  if (rng.next() < 0.4) {
    const n = graph.objects.length;
    return { kind: 'count', question: 'How many shapes are there in the image?', answer: `There are ${n} shapes.` };
  }
  const shape = rng.pick(SHAPES);
  const n = graph.objects.filter((o) => o.shape === shape).length;
  const answer =
    n === 1 ? `There is 1 ${shape}.` : n === 0 ? `There are no ${plural(shape)}.` : `There are ${n} ${plural(shape)}.`;
  return { kind: 'count', question: `How many ${plural(shape)} are there?`, answer };
}

function attributes(graph: SceneGraph, rng: Rng): QaPair[] {
  const out: QaPair[] = [];
  const byShape = SHAPES.filter((s) => graph.objects.filter((o) => o.shape === s).length === 1);
  if (byShape.length > 0) {
    const s = rng.pick(byShape);
    const o = graph.objects.find((p) => p.shape === s) as Obj;
    out.push({ kind: 'attribute', question: `What color is the ${s}?`, answer: `The ${s} is ${o.colour}.` });
  }
  const byColour = COLOURS.filter((c) => graph.objects.filter((o) => o.colour === c).length === 1);
  if (byColour.length > 0) {
    const c = rng.pick(byColour);
    const o = graph.objects.find((p) => p.colour === c) as Obj;
    out.push({
      kind: 'attribute',
      question: `What shape is the ${c} object?`,
      answer: `It is ${article(o.shape)} ${o.shape}.`,
    });
  }
  const u = unique(graph);
  if (u.length > 0) {
    const o = rng.pick(u);
    out.push({
      kind: 'attribute',
      question: `Is the ${name(o)} small or large?`,
      answer: `The ${name(o)} is ${o.size}.`,
    });
  }
  return out;
}

function spatial(graph: SceneGraph, rng: Rng): QaPair[] {
  const u = new Set(unique(graph).map((o) => graph.objects.indexOf(o)));
  const rels = graph.relations.filter((r) => u.has(r.subject) && u.has(r.object));
  const out: QaPair[] = [];
  const horizontal = rels.filter((r) => r.predicate === 'left of' || r.predicate === 'right of');
  if (horizontal.length > 0) {
    const r = rng.pick(horizontal);
    const target = name(graph.objects[r.subject] as Obj);
    const reference = name(graph.objects[r.object] as Obj);
    const side = r.predicate === 'left of' ? 'left' : 'right';
    out.push({
      kind: 'side',
      question: sideQuestion(reference, target),
      answer: spatialAnswer({ reference, subject: target, subjectSide: side }, 'released'),
    });
  }
  const vertical = rels.filter((r) => r.predicate === 'above' || r.predicate === 'below');
  if (vertical.length > 0) {
    const r = rng.pick(vertical);
    const target = name(graph.objects[r.subject] as Obj);
    const reference = name(graph.objects[r.object] as Obj);
    out.push({
      kind: 'vertical',
      question: `Is the ${target} above or below the ${reference}?`,
      answer: `The ${target} is ${r.predicate} the ${reference}.`,
    });
  }
  return out;
}

export interface BaseDataOptions {
  seed?: number;
  /** Which kinds to include; all by default. */
  kinds?: readonly ('caption' | 'presence' | 'count' | 'attribute' | 'spatial')[];
}

/** Base question-answer pairs for one image (deterministic for seed and image id). */
export function baseQa(graph: SceneGraph, captionText: string, options: BaseDataOptions = {}): QaPair[] {
  const rng = createRng(hashString(`base/${options.seed ?? 0}/${graph.image_id}`));
  const kinds = new Set(options.kinds ?? ['caption', 'presence', 'count', 'attribute', 'spatial']);
  const out: QaPair[] = [];
  if (kinds.has('caption')) out.push(caption(captionText));
  if (kinds.has('presence')) out.push(...presence(graph, rng));
  if (kinds.has('count')) out.push(counting(graph, rng));
  if (kinds.has('attribute')) out.push(...attributes(graph, rng));
  if (kinds.has('spatial')) out.push(...spatial(graph, rng));
  return out;
}
