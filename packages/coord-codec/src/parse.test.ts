import { describe, expect, it } from 'vitest';
import { createCodec, decodeLocations, parseLocations } from './index.js';

const image = { width: 224, height: 224 };
const ivb = { kind: 'ivb', bins: 224 } as const;
// With 224 bins over 224 px, bin b decodes to b + 0.5.
const px = (...bins: number[]) => bins.map((b) => b + 0.5);

describe('parseLocations on free text', () => {
  it('finds a box in parentheses or brackets, with or without spaces', () => {
    for (const text of [
      'It is located at (4, 52, 13, 63)',
      'It is located at (4,52,13,63).',
      'It is located at [ 4 , 52 , 13 , 63 ]',
      'It is located at [4 52 13 63]',
      '(4,\n52, 13, 63)',
    ]) {
      const { locations, issues } = parseLocations(text, ivb, image);
      expect(issues).toEqual([]);
      expect(locations.map((l) => l.location)).toEqual([{ box: px(4, 52, 13, 63) }]);
      const found = locations[0]!;
      expect(text.slice(found.start, found.end)).toBe(found.text);
    }
  });
  it('finds several locations per answer, boxes and points, in order', () => {
    const text = 'The cat (4, 52, 13, 63) sits left of the dog [100, 52, 150, 90], whose nose is at (120, 60).';
    const { locations } = parseLocations(text, ivb, image);
    expect(locations.map((l) => l.location)).toEqual([
      { box: px(4, 52, 13, 63) },
      { box: px(100, 52, 150, 90) },
      { point: px(120, 60) },
    ]);
    expect(locations.map((l) => l.text)).toEqual(['(4, 52, 13, 63)', '[100, 52, 150, 90]', '(120, 60)']);
  });
  it('finds a tuple nested in other brackets, and skips prose in brackets', () => {
    const text = 'Answer (see image (4, 52, 13, 63)) [note: approximate] (2024) (x1, y1, x2, y2)';
    expect(decodeLocations(text, ivb, image)).toEqual([{ box: px(4, 52, 13, 63) }]);
  });
  it('reports partial, out-of-range, malformed and wrong-arity text as typed issues', () => {
    const cases: Array<[string, string]> = [
      ['It is located at (4, 52, 13', 'PARTIAL'],
      ['It is located at (4, 52, 13, 240)', 'OUT_OF_RANGE'],
      ['It is located at (4, 52, -13, 63)', 'OUT_OF_RANGE'],
      ['It is located at (13, 52, 4, 63)', 'INVALID_BOX'],
      ['It is located at (4.5, 52, 13, 63)', 'BAD_NUMBER'],
      ['It is located at (4, 52, 13)', 'WRONG_ARITY'],
    ];
    for (const [text, code] of cases) {
      const { locations, issues } = parseLocations(text, ivb, image);
      expect(locations, text).toEqual([]);
      expect(
        issues.map((i) => i.code),
        text,
      ).toEqual([code]);
      expect(issues[0]!.text).toBe(text.slice(issues[0]!.start, issues[0]!.end));
    }
  });
  it('NFP values above 1 are out of range; an NFP parser reads integers 0 and 1', () => {
    const nfp = createCodec('nfp');
    expect(nfp.parse('(0.1, 0.2, 1.3, 0.4)', image).issues[0]?.code).toBe('OUT_OF_RANGE');
    expect(nfp.decode('(0, 0, 1, 1)', image)).toEqual([{ box: [0, 0, 224, 224] }]);
  });
  it('garbage yields nothing', () => {
    for (const text of [
      '',
      'no object here',
      '(((((',
      ')]',
      '[,,]',
      '(-)',
      '(1.2.3, 4)',
      '<loc_>',
      '{"bbox_2d":',
      'NaN',
    ]) {
      expect(decodeLocations(text, ivb, image)).toEqual([]);
    }
  });
  it('never throws and never returns NaN, even for non-strings or a bad image size', () => {
    for (const kind of ['ivb', 'qwen', 'kosmos', 'florence', 'paligemma'] as const) {
      expect(parseLocations(undefined as unknown as string, kind, image).locations).toEqual([]);
      const bad = parseLocations('(1, 2, 3, 4)', kind, { width: 0, height: Number.NaN });
      expect(bad.locations).toEqual([]);
      expect(bad.issues[0]?.message).toMatch(/width/);
    }
  });
  it('reads Qwen-style fenced JSON lists and reports a cut-off object as PARTIAL', () => {
    const text = '```json\n[\n\t{"bbox_2d": [10, 20, 30, 40], "label": "cat"},\n\t{"bbox_2d": [50, 60';
    const { locations, issues } = parseLocations(text, 'qwen', image);
    expect(locations.map((l) => l.location)).toEqual([{ box: [10, 20, 30, 40], label: 'cat' }]);
    expect(issues.map((i) => i.code)).toEqual(['PARTIAL']);
  });
});

describe('Shikra-style groups', () => {
  it('gives each ;-separated box its own span without the surrounding spaces', () => {
    const text = 'Two dogs [0.100,0.200,0.300,0.400; 0.5,0.5,0.6,0.7 ].';
    const { locations } = parseLocations(text, 'shikra', { width: 100, height: 100 });
    expect(locations.map((l) => l.text)).toEqual(['0.100,0.200,0.300,0.400', '0.5,0.5,0.6,0.7']);
    expect(locations[1]!.location).toEqual({ box: [50, 50, 60, 70] });
  });
});
