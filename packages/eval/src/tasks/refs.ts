// Referring-expression annotations as the `refer` toolkit ships them (lichengunc/refer): refs(unc).p / refs(umd).p
// converted to JSON (a list of refs), with the boxes and image sizes from the dataset's instances.json (COCO format).
import { z } from 'zod';
import { readJsonFile } from './data.js';

/** The zod schema refer-style refs files are validated with. */
export const refsSchema = z.array(
  z.object({
    ref_id: z.number().int(),
    ann_id: z.number().int(),
    image_id: z.number().int(),
    split: z.string(),
    category_id: z.number().int().optional(),
    sentences: z.array(
      z.object({ sent: z.string(), raw: z.string().optional(), sent_id: z.number().int().optional() }),
    ),
  }),
);

/** One referring expression record (refer-style refs file). */
export type RefRecord = z.infer<typeof refsSchema>[number];

/** Read refs(unc).p (or refs(umd).p, refs(google).p) saved as JSON: `[{ ref_id, ann_id, image_id, split, sentences }]`. */
export function readRefs(file: string): RefRecord[] {
  return readJsonFile(refsSchema, file);
}

/** Dataset names as the paper's Table 10 spells them, with the split names the refer toolkit uses. */
export type RefDataset = 'refcoco' | 'refcoco+' | 'refcocog';
