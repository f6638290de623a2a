// The question wordings the tasks send. Kept in this one file so they can be switched to @locvlm/prompts (the
// project's single source of prompt text) without touching the task builders.
import { indefiniteArticle } from './data.js';

/** Paper, Appendix E: direct COCO-Spatial prompt; the answer is where `second` is relative to `first`. */
export function spatialDirectQuestion(first: string, second: string): string {
  return `Which side of ${first} is ${second} located?`;
}

/** Paper, Appendix E: one solved in-context example (`Q: ... A: The {a} is located to the {side} of {b}.`). */
export function spatialIclExample(first: string, second: string, sideOfFirst: string): string {
  const relation = sideOfFirst === 'left' || sideOfFirst === 'right' ? `to the ${sideOfFirst} of` : sideOfFirst;
  return `Q: ${spatialDirectQuestion(first, second)} A: The ${first} is located ${relation} ${second}.`;
}

/** The released COCO-Spatial question (github kahnchana/locvlm, coco_spatial_dataset.py). */
export function spatialReleasedQuestion(first: string, second: string): string {
  return `Which side of the ${first} is the ${second}?`;
}

/** Hallucination / POPE question with a/an chosen by the first letter. */
export function presenceQuestion(object: string, medium: 'image' | 'video' = 'image'): string {
  return `Is there ${indefiniteArticle(object)} ${object} in the ${medium}?`;
}

/** LLaVA's short-answer suffix for VQAv2 and GQA (llava/eval scripts). */
export const SHORT_ANSWER_SUFFIX = 'Answer the question using a single word or phrase.';

/** LocPred / NegPred templates (paper, Appendix B); `{repr}` is the location form. */
export const LOCATION_QUESTION_TEMPLATES: readonly string[] = [
  'Where is the object described {category} located in image in terms of {repr}?',
  'What is the location of object described {category} in terms of {repr}?',
  'Localize the object described {category} in terms of {repr}?',
  'Provide a {repr} for the the object described {category}?',
  'Generate a {repr} for the the object described {category}?',
];

export const BOX_REPR = '(x1,y1,x2,y2) bbox';
export const POINT_REPR = '(cx,cy) point';

/** RevLoc templates (paper, Appendix B): the region-description prompt. */
export const REGION_DESCRIPTION_TEMPLATES: readonly string[] = [
  'Describe the object located at {loc}?',
  'Provide a caption for object at {loc}?',
  'What is at location {loc} in image?',
];

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
