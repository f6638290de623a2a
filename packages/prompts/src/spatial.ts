import { PromptError } from './errors.js';
import { requireText } from './text.js';

/** Where one object lies relative to another. */
export type SpatialSide = 'left' | 'right' | 'above' | 'below';

/**
 * Question wording for COCO-Spatial.
 * - `paper`: Appendix E, "Which side of obj_1 is obj_2 located?", names inserted as given (no articles).
 * - `released`: the released data's (kahnchana/locvlm), "Which side of the {left} is the {right}?".
 */
export type SpatialForm = 'paper' | 'released';

/** Two objects: the question asks on which side of `reference` the `subject` lies. */
export interface SpatialPair {
  reference: string;
  subject: string;
}

/** A pair with its answer: `subject` lies on `subjectSide` of `reference`. */
export interface SolvedSpatialPair extends SpatialPair {
  subjectSide: SpatialSide;
}

/** A prompt and the word (left/right/above/below) whose presence in the answer counts as success. */
export interface SpatialPrompt {
  prompt: string;
  expectedSide: SpatialSide;
}

const OPPOSITE: Readonly<Record<SpatialSide, SpatialSide>> = {
  left: 'right',
  right: 'left',
  above: 'below',
  below: 'above',
};

/** left <-> right, above <-> below. */
export function oppositeSide(side: SpatialSide): SpatialSide {
  return OPPOSITE[checkSide(side, 'side')];
}

function checkSide(side: SpatialSide, where: string): SpatialSide {
  if (!Object.hasOwn(OPPOSITE, side)) {
    throw new PromptError('BAD_INPUT', `${where} must be left, right, above or below, got ${String(side)}`);
  }
  return side;
}

function names(pair: SpatialPair, where: string): SpatialPair {
  return {
    reference: requireText(pair?.reference, `${where}.reference`).trim(),
    subject: requireText(pair?.subject, `${where}.subject`).trim(),
  };
}

/**
 * "Which side of {reference} is {subject} located?" (paper) or "Which side of the {reference} is the {subject}?"
 * (released). The paper gives one wording for both axes; it is used for above/below as well.
 */
export function spatialQuestion(pair: SpatialPair, form: SpatialForm = 'paper'): string {
  const { reference, subject } = names(pair, 'spatialQuestion: pair');
  if (form === 'paper') return `Which side of ${reference} is ${subject} located?`;
  if (form === 'released') return `Which side of the ${reference} is the ${subject}?`;
  throw new PromptError('BAD_INPUT', `spatialQuestion: form must be 'paper' or 'released', got ${String(form)}`);
}

/**
 * A solved answer in the form's own wording.
 * - `paper` copies the paper's ICL answers, which state the *reference's* side: for "Which side of obj_1 is obj_2
 *   located?" it answers "The obj_1 is located to the left of obj_2." (above/below read "is located above").
 * - `released` follows the released data: "The {subject} is on the right side of the {reference}."
 *   (above/below read "The {subject} is above the {reference}.").
 */
export function spatialAnswer(pair: SolvedSpatialPair, form: SpatialForm = 'paper'): string {
  const { reference, subject } = names(pair, 'spatialAnswer: pair');
  const side = pair.subjectSide;
  if (form === 'paper') {
    const referenceSide = oppositeSide(side);
    const relation =
      referenceSide === 'left' || referenceSide === 'right' ? `to the ${referenceSide} of` : referenceSide;
    return `The ${reference} is located ${relation} ${subject}.`;
  }
  if (form === 'released') {
    checkSide(side, 'spatialAnswer: pair.subjectSide');
    const relation = side === 'left' || side === 'right' ? `on the ${side} side of` : side;
    return `The ${subject} is ${relation} the ${reference}.`;
  }
  throw new PromptError('BAD_INPUT', `spatialAnswer: form must be 'paper' or 'released', got ${String(form)}`);
}

/**
 * COCO-Spatial direct VQA: the question alone. `expectedSide` is the side of `subject` relative to `reference`,
 * the question's plain reading (and the released data's answer).
 */
export function spatialDirectPrompt(pair: SolvedSpatialPair, form: SpatialForm = 'paper'): SpatialPrompt {
  return {
    prompt: spatialQuestion(pair, form),
    expectedSide: checkSide(pair.subjectSide, 'spatialDirectPrompt: pair.subjectSide'),
  };
}

/**
 * The image's object triplet as Appendix E uses it: `alone` (obj_1) lies on `aloneSide` of both others;
 * `exampleOther` (obj_2) and `queryOther` (obj_3) lie together on the opposite side.
 */
export interface SpatialTriplet {
  alone: string;
  aloneSide: SpatialSide;
  exampleOther: string;
  queryOther: string;
}

/**
 * COCO-Spatial in-context VQA (Appendix E): two solved examples about obj_1 and obj_2, then the question about obj_3
 * and obj_1, on one line:
 * `Q: Which side of obj_1 is obj_2 located? A: The obj_1 is located to the left of obj_2. Q: Which side of obj_2 is
 * obj_1 located? A: The obj_2 is located to the right of obj_1. Q: Which side of obj_3 is obj_1 located?`
 * `expectedSide` is where obj_1 lies relative to obj_3 (the question's plain reading), i.e. `aloneSide`. Note the
 * paper's example answers name the reference's side, so a model that copies their pattern writes the opposite word;
 * the released form's examples do not have that mismatch.
 */
export function spatialIclPrompt(triplet: SpatialTriplet, form: SpatialForm = 'paper'): SpatialPrompt {
  const alone = requireText(triplet?.alone, 'spatialIclPrompt: triplet.alone');
  const exampleOther = requireText(triplet.exampleOther, 'spatialIclPrompt: triplet.exampleOther');
  const queryOther = requireText(triplet.queryOther, 'spatialIclPrompt: triplet.queryOther');
  const aloneSide = checkSide(triplet.aloneSide, 'spatialIclPrompt: triplet.aloneSide');
  const otherSide = oppositeSide(aloneSide);
  const examples: SolvedSpatialPair[] = [
    { reference: alone, subject: exampleOther, subjectSide: otherSide },
    { reference: exampleOther, subject: alone, subjectSide: aloneSide },
  ];
  const solved = examples.map((pair) => `Q: ${spatialQuestion(pair, form)} A: ${spatialAnswer(pair, form)}`);
  const query = `Q: ${spatialQuestion({ reference: queryOther, subject: alone }, form)}`;
  return { prompt: [...solved, query].join(' '), expectedSide: aloneSide };
}
