import { PromptError } from './errors.js';
import type { Rng } from './rng.js';
import { fillTemplate, pythonStrip, requireText, withIndefiniteArticle } from './text.js';

/** Which kind of location a question asks for or mentions: a box (x1,y1,x2,y2) or a point (cx,cy). */
export type LocationShape = 'box' | 'point';

/**
 * The five LocPred / NegPred question templates of the paper (Appendix B), verbatim. Templates 4 and 5 say
 * "the the" in the paper; the typo is kept on purpose so data built here matches the paper's training data.
 */
export const LOCATION_QUESTION_TEMPLATES = [
  'Where is the object described {category} located in image in terms of {repr}?',
  'What is the location of object described {category} in terms of {repr}?',
  'Localize the object described {category} in terms of {repr}?',
  'Provide a {repr} for the the object described {category}?',
  'Generate a {repr} for the the object described {category}?',
] as const;

/** What `{repr}` reads for each shape (Appendix B: rep_bbox and rep_point). */
export const REPR_TEXT: Readonly<Record<LocationShape, string>> = {
  box: '(x1,y1,x2,y2) bbox',
  point: '(cx,cy) point',
};

/** LocPred target, verbatim (no final period in the paper). */
export const LOCPRED_TARGET_TEMPLATE = 'It is located at {loc}';
/** NegPred target, verbatim (no final period in the paper). */
export const NEGPRED_TARGET = 'There is no such object in the image';

/** The three RevLoc question templates (Appendix B), verbatim. */
export const REVLOC_QUESTION_TEMPLATES = [
  'Describe the object located at {loc}?',
  'Provide a caption for object at {loc}?',
  'What is at location {loc} in image?',
] as const;

/**
 * RevLoc target as the paper prints it. For a category the article follows the first letter ("There is an apple."),
 * see `revLocTarget`; a pseudo-caption is the target on its own.
 */
export const REVLOC_TARGET_TEMPLATE = 'There is a {category}.';

/** The self-training (PRefCOCO) caption prompt (Appendix C), verbatim. */
export const CAPTION_PROMPT_TEMPLATE =
  'Describe the {category} in this image using one short sentence, referring to its visual features and spatial position relative to other objects in image.';

/**
 * What names an object in a question or target: a dataset category ("dog") or a pseudo-caption written by a model
 * ("A brown dog lying on the grass next to a bench."). LocVLM swaps captions in for categories (Localize-Instruct).
 */
export type Description = { category: string } | { caption: string };

/**
 * The text that goes into a template's `{category}` slot. A category is used as given; a caption loses surrounding
 * whitespace and its final period(s), since it sits inside a question ("... described A brown dog on the grass in
 * terms of ..."). The paper does not say how it inserted captions; this is our choice.
 */
export function descriptionText(description: Description, where = 'description'): string {
  if (description !== null && typeof description === 'object') {
    if ('category' in description) return requireText(description.category, `${where}.category`);
    if ('caption' in description) {
      return pythonStrip(requireText(description.caption, `${where}.caption`)).replace(/\.+$/, '');
    }
  }
  throw new PromptError(
    'BAD_INPUT',
    `${where} must be { category } or { caption }, got ${JSON.stringify(description)}`,
  );
}

/** A template index, or an Rng that draws one uniformly (what training does: one template per sample). */
export type TemplateChoice = number | Rng;

function chooseTemplate<T extends readonly string[]>(templates: T, choice: TemplateChoice, where: string): string {
  if (typeof choice === 'number') {
    const template = templates[choice];
    if (!Number.isInteger(choice) || template === undefined) {
      throw new PromptError('BAD_INPUT', `${where}: template index must be 0..${templates.length - 1}, got ${choice}`);
    }
    return template;
  }
  return choice.pick(templates);
}

/** A LocPred / NegPred question: "Where is the object described dog located in image in terms of (x1,y1,x2,y2) bbox?" */
export function locationQuestion(description: Description, shape: LocationShape, choice: TemplateChoice): string {
  const repr = REPR_TEXT[shape];
  if (repr === undefined) throw new PromptError('BAD_INPUT', `shape must be 'box' or 'point', got ${String(shape)}`);
  const template = chooseTemplate(LOCATION_QUESTION_TEMPLATES, choice, 'locationQuestion');
  return fillTemplate(template, { category: descriptionText(description), repr });
}

/** LocPred target for location text written by a codec: "It is located at (4, 52, 13, 63)". */
export function locPredTarget(locationText: string): string {
  return fillTemplate(LOCPRED_TARGET_TEMPLATE, { loc: requireText(locationText, 'locPredTarget: locationText') });
}

/** A RevLoc question for location text written by a codec: "Describe the object located at (4, 52, 13, 63)?" */
export function revLocQuestion(locationText: string, choice: TemplateChoice): string {
  const template = chooseTemplate(REVLOC_QUESTION_TEMPLATES, choice, 'revLocQuestion');
  return fillTemplate(template, { loc: requireText(locationText, 'revLocQuestion: locationText') });
}

/**
 * RevLoc target. A category reads "There is a dog." / "There is an apple." (the paper prints the template with "a";
 * we choose the article by first letter so vowel categories stay grammatical). A pseudo-caption is the target
 * itself, trimmed: "There is a A brown dog ..." would not be a sentence, and the paper says only that the caption
 * replaces the category.
 */
export function revLocTarget(description: Description): string {
  if (description !== null && typeof description === 'object' && 'caption' in description) {
    return pythonStrip(requireText(description.caption, 'revLocTarget: description.caption'));
  }
  const category = descriptionText(description, 'revLocTarget: description');
  return `There is ${withIndefiniteArticle(category)}.`;
}

/** The self-training caption prompt for one category (PRefCOCO). */
export function captionPrompt(category: string): string {
  return fillTemplate(CAPTION_PROMPT_TEMPLATE, { category: requireText(category, 'captionPrompt: category') });
}

/** What a question is about: a still image or a video. */
export type Medium = 'image' | 'video';

/**
 * Hallucination question (Hal-COCO, Hal-ADE; Hal-Act with medium 'video'):
 * "Is there an apple in the image?" — the article chosen by the object's first letter, upper or lower case.
 */
export function hallucinationQuestion(object: string, medium: Medium = 'image'): string {
  const name = requireText(object, 'hallucinationQuestion: object').trim();
  if (medium !== 'image' && medium !== 'video') {
    throw new PromptError(
      'BAD_INPUT',
      `hallucinationQuestion: medium must be 'image' or 'video', got ${String(medium)}`,
    );
  }
  return `Is there ${withIndefiniteArticle(name)} in the ${medium}?`;
}
