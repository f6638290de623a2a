// The plain checks readCocoInstances tries before zod must never accept what the zod schemas refuse, and must build
// the same values (same members, same order) as the zod path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cocoAnnotationSchema,
  cocoCategorySchema,
  cocoImageSchema,
  fastAnnotation,
  fastCategory,
  fastImage,
} from './coco.js';

const number = fc.oneof(
  fc.integer({ min: -3, max: 1000 }),
  fc.double({ min: -5, max: 1000, noNaN: true }),
  fc.constantFrom(0, -0, 1, 2 ** 53, 2 ** 53 - 1, 1.5, -1, Number.MAX_VALUE),
);
const member = fc.oneof(
  { weight: 6, arbitrary: number },
  fc.constantFrom(null, true, '', 'a', '1', [], {}, [1, 2, 3, 4]),
  fc.array(number, { minLength: 3, maxLength: 5 }),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const strip = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

describe('fast COCO checks', () => {
  it('annotations: accept only what zod accepts, and build what the zod path builds', () => {
    const annotation = fc.record({
      segmentation: maybe(fc.constant(null)),
      id: member,
      image_id: member,
      category_id: member,
      bbox: fc.oneof(fc.array(number, { minLength: 3, maxLength: 5 }), member),
      iscrowd: maybe(fc.oneof(fc.constantFrom(0, 1, 2, true, '1'), number)),
      area: maybe(member),
    });
    let accepted = 0;
    fc.assert(
      fc.property(annotation, (raw) => {
        const value = strip(raw);
        const fast = fastAnnotation(value);
        const zod = cocoAnnotationSchema.safeParse(value);
        if (fast === undefined) return;
        accepted++;
        expect(zod.success).toBe(true);
        const a = zod.data as NonNullable<typeof zod.data>;
        const expected = { ...a, area: a.area ?? a.bbox[2] * a.bbox[3] };
        expect(Object.keys(fast)).toEqual(Object.keys(expected));
        expect(fast).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it('images and categories: accept only what zod accepts, with the same members', () => {
    const record = fc.record({
      id: member,
      file_name: maybe(fc.oneof(fc.string(), member)),
      name: maybe(fc.oneof(fc.string(), member)),
      width: member,
      height: member,
      supercategory: maybe(fc.oneof(fc.string(), member)),
    });
    fc.assert(
      fc.property(record, (raw) => {
        const value = strip(raw);
        const image = fastImage(value);
        if (image !== undefined) {
          const zod = cocoImageSchema.safeParse(value);
          expect(zod.success).toBe(true);
          expect(image).toEqual({ id: value.id, file_name: value.file_name, width: value.width, height: value.height });
        }
        const category = fastCategory(value);
        if (category !== undefined) {
          const zod = cocoCategorySchema.safeParse(value);
          expect(zod.success).toBe(true);
          expect(category).toEqual(zod.data);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
