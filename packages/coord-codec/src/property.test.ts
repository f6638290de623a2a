import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Box,
  type CodecOptions,
  centerCrop,
  compose,
  createCodec,
  type FrameTransform,
  type ImageSize,
  type Location,
  padToSquare,
  parseLocations,
  resize,
} from './index.js';

// Every representation, with several option sets.
const CODECS: CodecOptions[] = [
  { kind: 'nfp' },
  { kind: 'nfp', decimals: 2 },
  { kind: 'ivb', bins: 224 },
  { kind: 'ivb', bins: 336 },
  { kind: 'ivb', bins: 7 },
  { kind: 'diga', bins: 224 },
  { kind: 'diga', bins: 336 },
  { kind: 'diga', bins: 100, cell: 9 },
  { kind: 'shikra' },
  { kind: 'qwen' },
  { kind: 'qwen', scale: 1000 },
  { kind: 'qwen', scale: 7, fenced: true },
  { kind: 'qwen2-vl' },
  { kind: 'florence' },
  { kind: 'paligemma' },
  { kind: 'kosmos' },
  { kind: 'ferret' },
];

const imageArb: fc.Arbitrary<ImageSize> = fc.oneof(
  fc.constantFrom(
    { width: 224, height: 224 },
    { width: 336, height: 336 },
    { width: 512, height: 512 },
    { width: 640, height: 480 },
    { width: 1, height: 1 },
  ),
  fc.record({ width: fc.integer({ min: 1, max: 5000 }), height: fc.integer({ min: 1, max: 5000 }) }),
);

function boxIn(image: ImageSize): fc.Arbitrary<Location> {
  const axis = (size: number) =>
    fc
      .tuple(fc.double({ min: 0, max: size, noNaN: true }), fc.double({ min: 0, max: size, noNaN: true }))
      .map(([a, b]) => (a <= b ? [a, b] : [b, a]));
  return fc
    .tuple(axis(image.width), axis(image.height))
    .map(([[x1, x2], [y1, y2]]) => ({ box: [x1, y1, x2, y2] as Box }));
}
function pointIn(image: ImageSize): fc.Arbitrary<Location> {
  return fc
    .tuple(fc.double({ min: 0, max: image.width, noNaN: true }), fc.double({ min: 0, max: image.height, noNaN: true }))
    .map(([x, y]) => ({ point: [x, y] as [number, number] }));
}

function values(location: Location): number[] {
  return 'box' in location ? [...location.box] : [...location.point];
}

describe('decode(encode(x)) is within half a bin', () => {
  for (const options of CODECS) {
    it(`${JSON.stringify(options)}`, () => {
      const codec = createCodec(options);
      fc.assert(
        fc.property(
          imageArb.chain((image) => fc.tuple(fc.constant(image), fc.oneof(boxIn(image), pointIn(image)))),
          ([image, location]) => {
            const text = codec.encode(location, image);
            const decoded = codec.decode(text, image);
            expect(decoded, text).toHaveLength(1);
            const got = values(decoded[0]!);
            const want = values(location);
            expect(got.length).toBe(want.length);
            const { x, y } = codec.resolution(image);
            const eps = 1e-9 * Math.max(image.width, image.height);
            got.forEach((v, i) => {
              expect(Number.isFinite(v)).toBe(true);
              expect(Math.abs(v - want[i]!), `${text} coordinate ${i}`).toBeLessThanOrEqual(
                (i % 2 === 0 ? x : y) / 2 + eps,
              );
            });
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('the parser never throws and never returns NaN', () => {
  const pieces = fc.constantFrom(
    '(',
    ')',
    '[',
    ']',
    ',',
    ';',
    ' ',
    '-',
    '+',
    '.',
    '0',
    '1',
    '7',
    '42',
    '999',
    '1023',
    '0.5',
    'e5',
    'abc',
    '\n',
    '<loc_',
    '<loc0',
    '<loc0100>',
    '<loc_12>',
    '>',
    '<patch_index_0012>',
    '<patch_index_',
    '<object>',
    '</object>',
    '<phrase>',
    '</phrase>',
    '</delimiter_of_multi_objects/>',
    '{',
    '}',
    '"bbox_2d"',
    '"point_2d"',
    ':',
    '"label"',
    '"',
    '\\',
    '```json',
    '<|box_start|>',
    '<|box_end|>',
    '<|object_ref_start|>',
    '<|object_ref_end|>',
    '(20,234),(59,283)',
    '1000',
    '1001',
  );
  const texts = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
  );
  for (const options of CODECS) {
    it(`${JSON.stringify(options)}`, () => {
      fc.assert(
        fc.property(texts, imageArb, (text, image) => {
          const { locations, issues } = parseLocations(text, options, image);
          for (const found of locations) {
            for (const v of values(found.location)) expect(Number.isFinite(v)).toBe(true);
            expect(text.slice(found.start, found.end)).toBe(found.text);
          }
          for (const issue of issues) {
            expect(typeof issue.message).toBe('string');
            expect(text.slice(issue.start, issue.end)).toBe(issue.text);
          }
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('frames: inverse(forward(x)) == x', () => {
  const transformArb: fc.Arbitrary<FrameTransform> = fc.oneof(
    fc.constant(padToSquare()),
    fc.integer({ min: 1, max: 1000 }).map((s) => resize(s)),
    fc
      .record({ width: fc.integer({ min: 1, max: 1000 }), height: fc.integer({ min: 1, max: 1000 }) })
      .map((s) => resize(s)),
    fc.integer({ min: 1, max: 600 }).map((s) => resize({ shortestEdge: s })),
    fc.integer({ min: 1, max: 600 }).map((s) => resize({ shortestEdge: s, rounding: 'transformers-python' })),
    fc.integer({ min: 1, max: 600 }).map((s) => centerCrop(s)),
    fc.integer({ min: 1, max: 600 }).map((s) => centerCrop(s, { rounding: 'transformers-python' })),
  );
  it('for boxes and points through random chains', () => {
    fc.assert(
      fc.property(
        fc.array(transformArb, { minLength: 1, maxLength: 4 }),
        fc.record({ width: fc.integer({ min: 1, max: 3000 }), height: fc.integer({ min: 1, max: 3000 }) }),
        fc.boolean(),
        (transforms, image, asPoint) => {
          const frame = compose(...transforms);
          const location: Location = asPoint
            ? { point: [image.width * 0.3, image.height * 0.7] }
            : { box: [image.width * 0.1, image.height * 0.2, image.width * 0.9, image.height * 0.6], label: 'x' };
          const forward = frame.forward(location, image);
          const back = frame.inverse(forward, image);
          expect(back.label).toBe(location.label);
          const want = values(location);
          for (const [i, v] of values(back).entries()) expect(v).toBeCloseTo(want[i]!, 6);
          // The plan's last op produces exactly the frame's output size.
          const plan = frame.plan(image);
          if (plan.length > 0) expect(plan[plan.length - 1]!.to).toEqual(frame.outputSize(image));
        },
      ),
      { numRuns: 500 },
    );
  });
});
