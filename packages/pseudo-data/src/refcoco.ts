// RefCOCO / RefCOCO+ / RefCOCOg referring expressions, in the layout of the `refer` toolkit (lichengunc/refer):
// `instances.json` (COCO instances format, the boxes) plus the refs list. refer ships refs as a Python pickle
// (`refs(unc).p`), read here directly with pickleparser (a plain-data unpickler: it builds no Python objects and
// runs no code); the same list as JSON is accepted too.
// Each ref: { ref_id, ann_id, image_id, category_id, split, sentences: [{ sent, ... }], ... } (extra keys ignored).
import { readFile } from 'node:fs/promises';
import { Parser } from 'pickleparser';
import { z } from 'zod';
import { type CocoDataset, jsonPath, readCocoInstances } from './coco.js';
import { PseudoDataError } from './errors.js';

const id = z.number().int().nonnegative();

export const refSchema = z.object({
  ref_id: id,
  ann_id: id,
  image_id: id,
  category_id: id,
  split: z.string(),
  sentences: z.array(z.object({ sent: z.string(), sent_id: id.optional() })).min(1),
});

/** One referring expression and the object it names. */
export interface ReferringExpression {
  refId: number;
  annotationId: number;
  imageId: number;
  categoryId: number;
  /** 'train', 'val', 'testA', 'testB', 'test' ... as the refs file names it. */
  split: string;
  sentences: string[];
}

/** A refer-style RefCOCO dataset: referring expressions with their boxes. */
export interface RefcocoDataset {
  instances: CocoDataset;
  refs: ReferringExpression[];
}

/** True when the bytes are JSON (first non-blank byte `[` or `{`, neither of which starts any pickle). */
function looksLikeJson(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (byte === 0xef || byte === 0xbb || byte === 0xbf) continue; // UTF-8 byte order mark
    return byte === 0x5b || byte === 0x7b;
  }
  return false;
}

/**
 * Read a refs file: refer's pickle (`refs(unc).p`, `refs(umd).p`, ...; any protocol 0-5, Python 2 byte strings
 * included) or the same list as JSON; which one is told from the content, not the name.
 */
export async function readRefsFile(refsFile: string): Promise<unknown[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(refsFile);
  } catch (error) {
    throw new PseudoDataError('BAD_INPUT', `${refsFile}: cannot read the refs file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const json = looksLikeJson(bytes);
  let raw: unknown;
  try {
    raw = json ? JSON.parse(new TextDecoder().decode(bytes)) : new Parser().parse(bytes);
  } catch (error) {
    throw new PseudoDataError(
      'BAD_INPUT',
      `${refsFile}: cannot read the refs ${json ? 'JSON' : 'pickle'}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!Array.isArray(raw)) {
    throw new PseudoDataError('BAD_INPUT', `${refsFile}: expected a ${json ? 'JSON array' : 'pickled list'} of refs`);
  }
  return raw;
}

/**
 * Read a refer-style referring-expression dataset: the refs file (refer's pickle as shipped, or JSON) and its
 * instances.json. Every ref must point at an annotation of the instances file with the same image and category;
 * errors name the file and path (`refs[12].ann_id`).
 */
export async function readRefcoco(refsFile: string, instancesFile: string): Promise<RefcocoDataset> {
  const instances = await readCocoInstances(instancesFile);
  const raw = await readRefsFile(refsFile);
  const annotations = new Map(instances.annotations.map((a) => [a.id, a]));
  const refs = raw.map((value, i): ReferringExpression => {
    const result = refSchema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new PseudoDataError(
        'BAD_INPUT',
        `${refsFile}: ${jsonPath(`refs[${i}]`, issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`,
        { cause: result.error },
      );
    }
    const ref = result.data;
    const annotation = annotations.get(ref.ann_id);
    if (annotation === undefined) {
      throw new PseudoDataError('BAD_INPUT', `${refsFile}: refs[${i}].ann_id ${ref.ann_id} is not in ${instancesFile}`);
    }
    if (annotation.image_id !== ref.image_id || annotation.category_id !== ref.category_id) {
      throw new PseudoDataError(
        'BAD_INPUT',
        `${refsFile}: refs[${i}] (ann_id ${ref.ann_id}) says image ${ref.image_id} / category ${ref.category_id}, ` +
          `${instancesFile} says image ${annotation.image_id} / category ${annotation.category_id}`,
      );
    }
    return {
      refId: ref.ref_id,
      annotationId: ref.ann_id,
      imageId: ref.image_id,
      categoryId: ref.category_id,
      split: ref.split,
      sentences: ref.sentences.map((s) => s.sent),
    };
  });
  return { instances, refs };
}

/**
 * Per-annotation descriptions from referring expressions (the first sentence of the first ref of each annotation),
 * optionally only from some splits: feed them to Localize-Instruct as `captions`.
 */
export function captionsFromRefs(
  refs: readonly ReferringExpression[],
  splits?: readonly string[],
): Map<number, string> {
  const keep = splits === undefined ? undefined : new Set(splits);
  const captions = new Map<number, string>();
  for (const ref of refs) {
    if (keep !== undefined && !keep.has(ref.split)) continue;
    const sentence = ref.sentences[0]?.trim();
    if (sentence && !captions.has(ref.annotationId)) captions.set(ref.annotationId, sentence);
  }
  return captions;
}
