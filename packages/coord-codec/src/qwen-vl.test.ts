import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Box,
  CodecError,
  convert,
  convertDetailed,
  createCodec,
  type Location,
  parseLocations,
  smartResize,
} from './index.js';

const image = { width: 512, height: 512 };
// The paper's worked example (FORMATS.md section 1): a cat in a 512x512 image, and its centre.
const cat: Location = { box: [10, 120, 30, 145], label: 'cat' };
const catCentre: Location = { point: [20, 132.5] };
const qwen2 = createCodec('qwen2-vl');
const qwen3 = createCodec({ kind: 'qwen', scale: 1000 });
const square = { width: 1000, height: 1000 };

describe('Qwen2-VL: <|box_start|>(x1,y1),(x2,y2)<|box_end|>, 0..1000', () => {
  it('writes the worked example: round(x / W * 1000), no spaces, the label as <|object_ref_start|>', () => {
    // 10 / 512 * 1000 = 19.53 -> 20, 234.375 -> 234, 58.59 -> 59, 283.2 -> 283.
    expect(qwen2.encode({ box: [10, 120, 30, 145] }, image)).toBe('<|box_start|>(20,234),(59,283)<|box_end|>');
    expect(qwen2.encode(cat, image)).toBe(
      '<|object_ref_start|>cat<|object_ref_end|><|box_start|>(20,234),(59,283)<|box_end|>',
    );
    // Points are this package's extension: one (x,y) between the box tokens.
    expect(qwen2.encode(catCentre, image)).toBe('<|box_start|>(39,259)<|box_end|>');
    expect(qwen2.name).toBe('Qwen2-VL (<|box_start|>, 0-1000)');
    expect(qwen2.resolution(image)).toEqual({ x: 0.512, y: 0.512 });
  });
  it('rounds halves to even as Python (ms-swift writes int(round(x / width * 1000)))', () => {
    // Expected values computed with CPython 3.11: round(x / w * 1000).
    const cases: Array<[number, number, number]> = [
      [1, 2000, 0],
      [3, 2000, 2],
      [5, 2000, 2],
      [7, 2000, 4],
      [0.35, 700, 0],
      [1, 3, 333],
      [2, 3, 667],
      [641, 1282, 500],
    ];
    for (const [x, w, want] of cases) {
      expect(qwen2.encode({ point: [x, 0] }, { width: w, height: 1 }), `${x} / ${w}`).toBe(
        `<|box_start|>(${want},0)<|box_end|>`,
      );
    }
    // x = W writes 1000 (the report says [0, 1000), but rounding reaches the edge, as ms-swift writes it).
    expect(qwen2.encode({ box: [0, 0, 512, 512] }, image)).toBe('<|box_start|>(0,0),(1000,1000)<|box_end|>');
  });
  it("reads the report's example (sec. 2.2.1) with its label, and v * W / 1000 back", () => {
    const text =
      '<|vision_start|>Picture1.jpg<|vision_end|><|object_ref_start|>the eyes on a giraffe<|object_ref_end|><|box_start|>(176,106),(232,160)<|box_end|>';
    const { locations, issues } = qwen2.parse(text, square);
    expect(issues).toEqual([]);
    expect(locations).toHaveLength(1);
    expect(locations[0]!.location).toEqual({ box: [176, 106, 232, 160], label: 'the eyes on a giraffe' });
    // The span covers the reference and the box.
    expect(locations[0]!.text).toBe(text.slice(text.indexOf('<|object_ref_start|>')));
    expect(qwen2.decode('<|box_start|>(20,234),(59,283)<|box_end|>', image)).toEqual([
      { box: [10.24, 119.808, 30.208, 144.896] },
    ]);
    expect(qwen2.decode('<|box_start|>(39,259)<|box_end|>', image)).toEqual([{ point: [19.968, 132.608] }]);
  });
  it('accepts spaces inside and around the box, as rendered in the report and by other tools', () => {
    for (const text of [
      '<|box_start|>(176,106),(232,160) <|box_end|>',
      '<|box_start|>(176, 106), (232, 160)<|box_end|>',
      '<|object_ref_start|> the eyes <|object_ref_end|>\n<|box_start|>( 176 , 106 ),( 232 , 160 )<|box_end|>',
    ]) {
      const [found] = qwen2.decode(text, square);
      expect((found as { box: Box }).box, text).toEqual([176, 106, 232, 160]);
    }
    expect(
      qwen2.decode('<|object_ref_start|> the eyes <|object_ref_end|> <|box_start|>(1,2),(3,4)<|box_end|>', square),
    ).toEqual([{ box: [1, 2, 3, 4], label: 'the eyes' }]);
  });
  it('several boxes: concatenated with no separator, one reference for a run of the same object', () => {
    const sheep: Location[] = [
      { box: [101, 201, 150, 266], label: 'sheep' },
      { box: [401, 601, 550, 666], label: 'sheep' },
      { box: [0, 0, 10, 10], label: 'dog' },
    ];
    const text = qwen2.encodeAll(sheep, square);
    expect(text).toBe(
      '<|object_ref_start|>sheep<|object_ref_end|><|box_start|>(101,201),(150,266)<|box_end|><|box_start|>(401,601),(550,666)<|box_end|>' +
        '<|object_ref_start|>dog<|object_ref_end|><|box_start|>(0,0),(10,10)<|box_end|>',
    );
    expect(qwen2.encodeMany(sheep, square)).toBe(text);
    expect(qwen2.decode(text, square)).toEqual(sheep);
    // ms-swift's Qwen2-VL grounding data (docs/source_en/Customization/Custom-dataset.md), verbatim.
    const answer =
      '<|object_ref_start|>a dog<|object_ref_end|><|box_start|>(221,423),(569,886)<|box_end|> and <|object_ref_start|>a woman<|object_ref_end|><|box_start|>(451,381),(733,793)<|box_end|> are playing on the beach';
    expect(qwen2.decode(answer, square)).toEqual([
      { box: [221, 423, 569, 886], label: 'a dog' },
      { box: [451, 381, 733, 793], label: 'a woman' },
    ]);
    expect(
      qwen2.decode('<|box_start|>(101,201),(150,266)<|box_end|><|box_start|>(401,601),(550,666)<|box_end|>', square),
    ).toEqual([{ box: [101, 201, 150, 266] }, { box: [401, 601, 550, 666] }]);
    // A box after prose does not inherit the earlier reference.
    expect(
      qwen2.decode(
        '<|object_ref_start|>cat<|object_ref_end|><|box_start|>(1,1),(2,2)<|box_end|> and <|box_start|>(3,3),(4,4)<|box_end|>',
        square,
      ),
    ).toEqual([{ box: [1, 1, 2, 2], label: 'cat' }, { box: [3, 3, 4, 4] }]);
  });
  it('reads boxes whose special tokens were stripped (skip_special_tokens=True), never a lone (x, y)', () => {
    const text = 'the eyes on a giraffe(176,106),(232,160) and (5, 6) elsewhere';
    const { locations, issues } = qwen2.parse(text, square);
    expect(issues).toEqual([]);
    expect(locations.map((l) => [l.text, l.location])).toEqual([
      ['(176,106),(232,160)', { box: [176, 106, 232, 160] }],
    ]);
    expect(qwen2.decode('(176,106) (232,160)', square)).toEqual([{ box: [176, 106, 232, 160] }]);
    expect(qwen2.decode('(176,106); (232,160)', square)).toEqual([]);
    expect(qwen2.parse('(1990, 2000), (2001, 2002)', square).issues.map((i) => i.code)).toEqual(['OUT_OF_RANGE']);
  });
  it('reports PARTIAL, OUT_OF_RANGE, INVALID_BOX, WRONG_ARITY and BAD_NUMBER with their spans', () => {
    const cases: Array<[string, string, string]> = [
      ['The cat is at <|box_start|>(20,234),(59', 'PARTIAL', '<|box_start|>(20,234),(59'],
      [
        '<|object_ref_start|>cat<|object_ref_end|><|box_start|>',
        'PARTIAL',
        '<|object_ref_start|>cat<|object_ref_end|><|box_start|>',
      ],
      ['<|box_start|>(20,234),(1001,283)<|box_end|>', 'OUT_OF_RANGE', '<|box_start|>(20,234),(1001,283)<|box_end|>'],
      ['<|box_start|>(20,-1),(59,283)<|box_end|>', 'OUT_OF_RANGE', '<|box_start|>(20,-1),(59,283)<|box_end|>'],
      ['x <|box_start|>(59,234),(20,283)<|box_end|> y', 'INVALID_BOX', '<|box_start|>(59,234),(20,283)<|box_end|>'],
      ['<|box_start|>(20,283),(59,234)<|box_end|>', 'INVALID_BOX', '<|box_start|>(20,283),(59,234)<|box_end|>'],
      ['<|box_start|>(20,234),(59)<|box_end|>', 'WRONG_ARITY', '<|box_start|>(20,234),(59)<|box_end|>'],
      ['<|box_start|><|box_end|>', 'WRONG_ARITY', '<|box_start|><|box_end|>'],
      ['<|box_start|>(20.5,234),(59,283)<|box_end|>', 'BAD_NUMBER', '<|box_start|>(20.5,234),(59,283)<|box_end|>'],
      ['<|box_start|>(x1,y1),(x2,y2)<|box_end|>', 'BAD_NUMBER', '<|box_start|>(x1,y1),(x2,y2)<|box_end|>'],
    ];
    for (const [text, code, span] of cases) {
      const { locations, issues } = qwen2.parse(text, image);
      expect(locations, text).toEqual([]);
      expect(
        issues.map((i) => [i.code, i.text]),
        text,
      ).toEqual([[code, span]]);
      expect(text.slice(issues[0]!.start, issues[0]!.end)).toBe(span);
    }
    // A start that is never closed before the next one: PARTIAL, and the next box is still read.
    const twice = qwen2.parse('<|box_start|>(1,2),(3<|box_start|>(1,2),(3,4)<|box_end|>', square);
    expect(twice.issues.map((i) => [i.code, i.text])).toEqual([['PARTIAL', '<|box_start|>(1,2),(3']]);
    expect(twice.locations.map((l) => l.location)).toEqual([{ box: [1, 2, 3, 4] }]);
  });
  it('clamps out-of-range values into 0..1000 with clamp: true, on encode and decode', () => {
    const clamped = createCodec({ kind: 'qwen2-vl', clamp: true });
    expect(clamped.decode('<|box_start|>(20,234),(1001,283)<|box_end|>', square)).toEqual([
      { box: [20, 234, 1000, 283] },
    ]);
    expect(clamped.decode(`<|box_start|>(0,0),(${'9'.repeat(400)},1)<|box_end|>`, square)).toEqual([
      { box: [0, 0, 1000, 1] },
    ]);
    expect(clamped.encode({ box: [-5, 10, 600, 20] }, image)).toBe('<|box_start|>(0,20),(1000,39)<|box_end|>');
    expect(() => qwen2.encode({ box: [-5, 10, 600, 20] }, image)).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' }),
    );
  });
  it('refuses a label that would break the markup', () => {
    expect(() => qwen2.encode({ box: [1, 2, 3, 4], label: 'a<|box_end|>b' }, image)).toThrow(CodecError);
    expect(() => qwen2.encode({ box: [1, 2, 3, 4], label: 42 } as never, image)).toThrow(/label must be a string/);
  });
  it('coordinateSpans covers the four numbers, not digits of the label', () => {
    const text = qwen2.encode({ box: [10, 120, 30, 145], label: 'cat 2' }, image);
    expect(qwen2.coordinateSpans(text).map(([a, b]) => text.slice(a, b))).toEqual(['20', '234', '59', '283']);
    expect(qwen2.coordinateSpans('<|box_start|>(1,2),(3,4)')).toEqual([]);
  });
  it('relative numbers need no frame mapping through a resize: the photo and the smart-resized input agree', () => {
    const photo = { width: 1000, height: 617 };
    const text = '<|box_start|>(100,200),(300,400)<|box_end|>';
    const direct = convertDetailed(text, { from: 'qwen2-vl', to: 'qwen2-vl', image: photo });
    const viaInput = convertDetailed(text, {
      from: 'qwen2-vl',
      to: 'qwen2-vl',
      image: photo,
      fromFrame: smartResize(),
    });
    expect(smartResize().outputSize(photo)).not.toEqual(photo);
    (viaInput.locations[0] as { box: Box }).box.forEach((v, i) => {
      expect(v).toBeCloseTo((direct.locations[0] as { box: Box }).box[i]!, 9);
    });
    expect(viaInput.text).toBe(text);
  });
});

describe('Qwen3-VL: the qwen codec with scale (JSON bbox_2d relative, 0..1000)', () => {
  it('writes the worked example relative to the image', () => {
    expect(qwen3.encode(cat, image)).toBe('{"bbox_2d": [20, 234, 59, 283], "label": "cat"}');
    expect(qwen3.encode(catCentre, image)).toBe('{"point_2d": [39, 259]}');
    expect(qwen3.name).toBe('Qwen3-VL (JSON, 0-1000)');
    expect(qwen3.options).toEqual({ kind: 'qwen', fenced: false, clamp: false, scale: 1000 });
    expect(qwen3.resolution(image)).toEqual({ x: 0.512, y: 0.512 });
    // Without scale nothing changes: Qwen2.5-VL's absolute pixels.
    const qwen25 = createCodec('qwen');
    expect(qwen25.name).toBe('Qwen2.5-VL (JSON, pixels)');
    expect(qwen25.options).toEqual({ kind: 'qwen', fenced: false, clamp: false });
    expect(qwen25.encode(cat, image)).toBe('{"bbox_2d": [10, 120, 30, 145], "label": "cat"}');
    expect(createCodec({ kind: 'qwen', scale: 100 }).name).toBe('Qwen-VL JSON (relative, 0-100)');
  });
  it('rounds halves to even as Python (ms-swift norm1000 for Qwen3-VL)', () => {
    // CPython: round(1 / 2000 * 1000) = 0, round(5 / 2000 * 1000) = 2, round(7 / 2000 * 1000) = 4.
    const strip = { width: 2000, height: 1 };
    expect([1, 5, 7].map((x) => qwen3.encode({ point: [x, 0] }, strip))).toEqual([
      '{"point_2d": [0, 0]}',
      '{"point_2d": [2, 0]}',
      '{"point_2d": [4, 0]}',
    ]);
  });
  it('reads v * W / scale from objects, fenced lists and bare tuples; > scale is OUT_OF_RANGE', () => {
    // The Qwen3-VL omni-recognition cookbook's answer shape (a fenced JSON list, extra keys ignored).
    const answer =
      '```json\n[\n\t{"bbox_2d": [0, 614, 224, 825], "name_en": "Rice"},\n\t{"bbox_2d": [266, 126, 695, 343], "label": "soup"}\n]\n```';
    expect(qwen3.decode(answer, square)).toEqual([
      { box: [0, 614, 224, 825] },
      { box: [266, 126, 695, 343], label: 'soup' },
    ]);
    expect(qwen3.decode('{"point_2d": [925, 618], "label": "point_1"}', { width: 2000, height: 500 })).toEqual([
      { point: [1850, 309], label: 'point_1' },
    ]);
    expect(qwen3.decode('at [20, 234, 59, 283]', image)).toEqual([{ box: [10.24, 119.808, 30.208, 144.896] }]);
    // 1000 is inside the range on a 512-px image (a pixel codec would refuse it).
    expect(qwen3.decode('{"bbox_2d": [0, 0, 1000, 1000]}', image)).toEqual([{ box: [0, 0, 512, 512] }]);
    const out = qwen3.parse('{"bbox_2d": [0, 0, 1001, 10]}', image);
    expect(out.issues.map((i) => [i.code, i.message])).toEqual([['OUT_OF_RANGE', '1001 is outside 0..1000']]);
    const clamped = createCodec({ kind: 'qwen', scale: 1000, clamp: true });
    expect(clamped.decode('{"bbox_2d": [0, 0, 1001, 10]}', square)).toEqual([{ box: [0, 0, 1000, 10] }]);
    expect(qwen3.parse('{"bbox_2d": [59, 0, 20, 10]}', square).issues[0]?.code).toBe('INVALID_BOX');
  });
  it('is validated in createCodec like the other options', () => {
    for (const scale of [0, 2.5, -1000, '1000', Number.NaN]) {
      expect(() => createCodec({ kind: 'qwen', scale } as never), String(scale)).toThrow(
        /qwen option scale must be an integer from 1/,
      );
    }
  });
  it('converts between Qwen2-VL, Qwen3-VL and Qwen2.5-VL', () => {
    const text = '<|object_ref_start|>cat<|object_ref_end|><|box_start|>(20,234),(59,283)<|box_end|>';
    expect(convert(text, { from: 'qwen2-vl', to: { kind: 'qwen', scale: 1000 }, image })).toBe(
      '[{"bbox_2d": [20, 234, 59, 283], "label": "cat"}]',
    );
    expect(convert('{"bbox_2d": [20, 234, 59, 283], "label": "cat"}', { from: qwen3, to: 'qwen2-vl', image })).toBe(
      text,
    );
    // Qwen2.5-VL needs pixels of its smart-resized input: 640x480 is fed as 644x476.
    const photo = { width: 640, height: 480 };
    expect(smartResize().outputSize(photo)).toEqual({ width: 644, height: 476 });
    expect(convert(text, { from: 'qwen2-vl', to: 'qwen', image: photo, toFrame: smartResize() })).toBe(
      '[{"bbox_2d": [13, 111, 38, 135], "label": "cat"}]',
    );
  });
  it('a 0..1000 text survives Qwen2-VL -> Qwen3-VL -> Qwen2-VL unchanged for any image size', () => {
    const value = fc.integer({ min: 0, max: 1000 });
    const ordered = fc.tuple(value, value).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
    fc.assert(
      fc.property(
        ordered,
        ordered,
        fc.record({ width: fc.integer({ min: 1, max: 5000 }), height: fc.integer({ min: 1, max: 5000 }) }),
        ([x1, x2], [y1, y2], size) => {
          const text = `<|box_start|>(${x1},${y1}),(${x2},${y2})<|box_end|>`;
          const json = convert(text, { from: 'qwen2-vl', to: qwen3, image: size });
          expect(json).toBe(`[{"bbox_2d": [${x1}, ${y1}, ${x2}, ${y2}]}]`);
          expect(convert(json, { from: qwen3, to: 'qwen2-vl', image: size })).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Qwen-VL parsing on adversarial text', () => {
  it('labels survive encodeAll -> decode for any label without the markers', () => {
    const label = fc
      .string({ minLength: 1, maxLength: 12 })
      .map((s) => s.trim())
      .filter((s) => s !== '' && !s.includes('<|'));
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 5 }), (labels) => {
        const locations: Location[] = labels.map((l, i) => ({ box: [i, i, i + 10, i + 20], label: l }));
        for (const codec of [qwen2, qwen3]) {
          const decoded = codec.decode(codec.encodeAll(locations, square), square);
          expect(decoded.map((d) => d.label)).toEqual(labels);
        }
      }),
      { numRuns: 200 },
    );
  });
  it('stays linear on thousands of unclosed or stray tokens', () => {
    const texts = [
      '<|box_start|>'.repeat(20_000),
      `${'<|box_start|>(1,2),(3,4)'.repeat(10_000)}<|box_end|>`,
      '<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|>'.repeat(10_000),
      `${'<|object_ref_start|>'.repeat(20_000)}<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|>`,
      '(1,2),'.repeat(20_000),
      `<|box_start|>${'1,'.repeat(50_000)}<|box_end|>`,
    ];
    for (const text of texts) {
      const t0 = performance.now();
      const { locations, issues } = parseLocations(text, 'qwen2-vl', square);
      qwen2.coordinateSpans(text);
      expect(performance.now() - t0, text.slice(0, 40)).toBeLessThan(1000);
      for (const l of locations) expect(text.slice(l.start, l.end)).toBe(l.text);
      for (const i of issues) expect(text.slice(i.start, i.end)).toBe(i.text);
    }
    expect(parseLocations('<|box_start|>'.repeat(3), 'qwen2-vl', square).issues.map((i) => i.code)).toEqual([
      'PARTIAL',
      'PARTIAL',
      'PARTIAL',
    ]);
  });
  it('never throws for non-strings or a bad image size', () => {
    for (const spec of ['qwen2-vl', { kind: 'qwen', scale: 1000 }] as const) {
      expect(parseLocations(undefined as unknown as string, spec, image).locations).toEqual([]);
      const bad = parseLocations('<|box_start|>(1,2),(3,4)<|box_end|> {"bbox_2d": [1, 2, 3, 4]}', spec, {
        width: 0,
        height: Number.NaN,
      });
      expect(bad.locations).toEqual([]);
      expect(bad.issues[0]?.message).toMatch(/width/);
    }
  });
});
