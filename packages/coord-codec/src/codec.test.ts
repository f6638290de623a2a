import { describe, expect, it } from 'vitest';
import { CODEC_KINDS, CodecError, createCodec, type Location } from './index.js';

const image = { width: 512, height: 512 };
// The paper's worked example (FORMATS.md section 1): a cat in a 512x512 image.
const cat: Location = { box: [10, 120, 30, 145] };
const catCentre: Location = { point: [20, 132.5] };

describe('the paper worked example', () => {
  it('NFP writes x / W with 4 decimals', () => {
    expect(createCodec({ kind: 'nfp' }).encode(cat, image)).toBe('(0.0195, 0.2344, 0.0586, 0.2832)');
  });
  it('IVB-224 floors (52.5 -> 52)', () => {
    expect(createCodec({ kind: 'ivb', bins: 224 }).encode(cat, image)).toBe('(4, 52, 13, 63)');
  });
  it('DIGA writes the anchor then signed deviations from the anchor centre (7, 63)', () => {
    expect(createCodec({ kind: 'diga', bins: 224 }).encode(cat, image)).toBe('(0, 4, -3, -11, 6, 0)');
  });
  it('points are the box centre', () => {
    expect(createCodec({ kind: 'ivb', bins: 224 }).encode(catCentre, image)).toBe('(8, 57)');
    expect(createCodec({ kind: 'nfp' }).encode(catCentre, image)).toBe('(0.0391, 0.2588)');
    expect(createCodec({ kind: 'diga' }).encode(catCentre, image)).toBe('(0, 4, 1, -6)');
  });
  it('IVB and DIGA decode to bin centres, within half a bin', () => {
    for (const kind of ['ivb', 'diga'] as const) {
      const codec = createCodec({ kind, bins: 224 });
      const [box] = codec.decode(codec.encode(cat, image), image);
      const half = 512 / 224 / 2;
      expect(box).toEqual({ box: [4.5 * (512 / 224), 52.5 * (512 / 224), 13.5 * (512 / 224), 63.5 * (512 / 224)] });
      ((box as { box: number[] }).box as number[]).forEach((v, i) => {
        expect(Math.abs(v - (cat as { box: number[] }).box[i]!)).toBeLessThanOrEqual(half);
      });
    }
  });
  it('DIGA anchors run 0..15 on the 224 grid and 0..23 on the 336 grid', () => {
    const d224 = createCodec({ kind: 'diga', bins: 224 });
    expect(d224.encode({ box: [500, 500, 512, 512] }, image)).toMatch(/^\(15, 15, /);
    const d336 = createCodec({ kind: 'diga', bins: 336 });
    expect(d336.encode({ box: [500, 500, 512, 512] }, image)).toMatch(/^\(23, 23, /);
    expect(d336.decode('(24, 0, 0, 0, 1, 1)', image)).toEqual([]);
  });
  it('any n_b works', () => {
    const ivb7 = createCodec({ kind: 'ivb', bins: 7 });
    expect(ivb7.encode({ box: [0, 0, 512, 512] }, image)).toBe('(0, 0, 6, 6)');
    expect(createCodec({ kind: 'ivb', bins: 1000 }).encode(cat, image)).toBe('(19, 234, 58, 283)');
  });
});

describe('other grounding models', () => {
  const two: Location[] = [
    { box: [51.2, 102.4, 153.6, 204.8], label: 'cat' },
    { box: [256, 256, 512, 384], label: 'dog' },
  ];
  it('Shikra: 3 decimals, no spaces, several boxes joined by ; in one bracket pair', () => {
    const shikra = createCodec('shikra');
    expect(shikra.encode(two[0]!, image)).toBe('[0.100,0.200,0.300,0.400]');
    const all = shikra.encodeAll(two, image);
    expect(all).toBe('[0.100,0.200,0.300,0.400;0.500,0.500,1.000,0.750]');
    const parsed = shikra.parse(`There are two: ${all}.`, image);
    expect(parsed.locations.map((l) => l.text)).toEqual(['0.100,0.200,0.300,0.400', '0.500,0.500,1.000,0.750']);
    expect(parsed.locations[1]!.location).toEqual({ box: [256, 256, 512, 384] });
  });
  it('Qwen2.5-VL: JSON in absolute pixels with labels, lists and ```json fences', () => {
    const qwen = createCodec({ kind: 'qwen', fenced: true });
    expect(qwen.encode(cat, image)).toBe('{"bbox_2d": [10, 120, 30, 145]}');
    expect(qwen.encode({ ...cat, label: 'cat' }, image)).toBe('{"bbox_2d": [10, 120, 30, 145], "label": "cat"}');
    const fenced = qwen.encodeAll(two, image);
    expect(fenced.startsWith('```json\n[\n\t{"bbox_2d": [51, 102, 154, 205], "label": "cat"},')).toBe(true);
    expect(qwen.decode(fenced, image)).toEqual([
      { box: [51, 102, 154, 205], label: 'cat' },
      { box: [256, 256, 512, 384], label: 'dog' },
    ]);
    expect(qwen.decode('The cat is at [10, 120, 30, 145].', image)).toEqual([{ box: [10, 120, 30, 145] }]);
    expect(qwen.decode('{"point_2d": [20, 133], "label": "cat"}', image)).toEqual([{ point: [20, 133], label: 'cat' }]);
  });
  it('Florence-2: <loc_N> with 1000 bins, floor, bin centres, labels before the tokens', () => {
    const florence = createCodec('florence');
    expect(florence.encode(cat, image)).toBe('<loc_19><loc_234><loc_58><loc_283>');
    const text =
      '</s><s>car<loc_52><loc_333><loc_932><loc_774>door handle<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8></s>';
    const found = florence.decode(text, { width: 1000, height: 1000 });
    expect(found).toEqual([
      { box: [52.5, 333.5, 932.5, 774.5], label: 'car' },
      { box: [1.5, 2.5, 3.5, 4.5], label: 'door handle' },
      { box: [5.5, 6.5, 7.5, 8.5], label: 'door handle' },
    ]);
  });
  it('PaliGemma: y1 x1 y2 x2, round(v * 1023), label after, ";"-separated', () => {
    const pali = createCodec('paligemma');
    expect(pali.encode({ box: [0, 0, 512, 256] }, image)).toBe('<loc0000><loc0000><loc0512><loc1023>');
    const text = '<loc0100><loc0200><loc0300><loc0400> cat ; <loc0000><loc0000><loc1023><loc1023> dog';
    const parsed = pali.parse(text, { width: 1023, height: 1023 });
    expect(parsed.locations.map((l) => l.location)).toEqual([
      { box: [200, 100, 400, 300], label: 'cat' },
      { box: [0, 0, 1023, 1023], label: 'dog' },
    ]);
    expect(parsed.locations[0]!.text).toBe('<loc0100><loc0200><loc0300><loc0400> cat');
  });
  it('Kosmos-2: top-left / bottom-right cells of a 32x32 grid with <phrase> and <object> wrappers', () => {
    const kosmos = createCodec('kosmos');
    expect(kosmos.encode({ ...cat, label: 'a cat' }, image)).toBe(
      '<phrase>a cat</phrase><object><patch_index_0224><patch_index_0289></object>',
    );
    const text =
      '<grounding> An image of<phrase> a snowman</phrase><object><patch_index_0044><patch_index_0863></object> warming himself by<phrase> a fire</phrase><object><patch_index_0005><patch_index_0911></delimiter_of_multi_objects/><patch_index_0010><patch_index_0100></object>.';
    const size = { width: 32, height: 32 };
    // The third pair's bottom-right cell (4, 3) lies left of its top-left cell (10, 0): an issue, not a box.
    expect(kosmos.decode(text, size)).toEqual([
      { box: [12.5, 1.5, 31.5, 26.5], label: 'a snowman' },
      { box: [5.5, 0.5, 15.5, 28.5], label: 'a fire' },
    ]);
    expect(kosmos.parse(text, size).issues.map((i) => i.code)).toEqual(['INVALID_BOX']);
    // Hugging Face's patch_index_to_coordinate: whole cells when the corners share a row or column.
    const hf = createCodec({ kind: 'kosmos', dequantize: 'transformers' });
    expect(hf.decode('<object><patch_index_0033><patch_index_0035></object>', size)).toEqual([{ box: [1, 1, 4, 2] }]);
    expect(hf.decode('<object><patch_index_0033><patch_index_0066></object>', size)).toEqual([
      { box: [1.5, 1.5, 2.5, 2.5] },
    ]);
  });
  it('Ferret: integers 0..999 in [x1, y1, x2, y2], centre or edge dequantisation', () => {
    const ferret = createCodec('ferret');
    expect(ferret.encode(cat, image)).toBe('[19, 234, 58, 283]');
    expect(ferret.decode('[100, 200, 300, 400]', { width: 1000, height: 1000 })).toEqual([
      { box: [100.5, 200.5, 300.5, 400.5] },
    ]);
    const edge = createCodec({ kind: 'ferret', dequantize: 'edge' });
    expect(edge.decode('[100, 200, 300, 400]', { width: 1000, height: 1000 })).toEqual([{ box: [100, 200, 300, 400] }]);
  });
  it('encodeAll / encodeMany write several locations that decode back in order', () => {
    for (const kind of CODEC_KINDS) {
      const codec = createCodec(kind);
      const text = codec.encodeMany(two, image);
      expect(codec.decode(text, image)).toHaveLength(2);
    }
  });
});

describe('validation', () => {
  const ivb = createCodec({ kind: 'ivb', bins: 224 });
  const cases: Array<[string, Location, typeof image, RegExp, string]> = [
    ['NaN', { box: [Number.NaN, 1, 2, 3] }, image, /box x1 must be a finite number, got NaN/, 'BAD_INPUT'],
    [
      'Infinity',
      { point: [1, Number.POSITIVE_INFINITY] },
      image,
      /point y must be a finite number, got Infinity/,
      'BAD_INPUT',
    ],
    ['x2 < x1', { box: [30, 10, 20, 40] }, image, /box x2 \(20\) is less than x1 \(30\)/, 'BAD_INPUT'],
    ['y2 < y1', { box: [10, 50, 20, 40] }, image, /box y2 \(40\) is less than y1 \(50\)/, 'BAD_INPUT'],
    [
      'zero-size image',
      cat,
      { width: 0, height: 512 },
      /image width must be a positive finite number of pixels, got 0/,
      'BAD_INPUT',
    ],
    [
      'outside',
      { box: [10, 10, 600, 20] },
      image,
      /box x2 \(600\) is outside the image \(width 512\).*clamp: true/,
      'OUT_OF_RANGE',
    ],
    ['negative', { point: [-1, 5] }, image, /point x \(-1\) is outside the image/, 'OUT_OF_RANGE'],
  ];
  for (const [name, location, size, message, code] of cases) {
    it(`refuses ${name} with a message naming the value`, () => {
      let caught: unknown;
      try {
        ivb.encode(location, size);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CodecError);
      expect((caught as CodecError).message).toMatch(message);
      expect((caught as CodecError).code).toBe(code);
    });
  }
  it('clamps instead when clamp: true is asked for', () => {
    const clamped = createCodec({ kind: 'ivb', bins: 224, clamp: true });
    expect(clamped.encode({ box: [-5, 10, 600, 20] }, image)).toBe('(0, 4, 223, 8)');
    expect(clamped.decode('(0, 4, 300, 8)', image)).toEqual(
      createCodec({ kind: 'ivb' }).decode('(0, 4, 223, 8)', image),
    );
  });
  it('refuses bad options and unknown kinds', () => {
    expect(() => createCodec({ kind: 'ivb', bins: 0 })).toThrow(/ivb option bins must be an integer from 1/);
    expect(() => createCodec({ kind: 'nfp', decimals: 2.5 })).toThrow(/decimals/);
    expect(() => createCodec({ kind: 'kosmos', dequantize: 'round' as 'centre' })).toThrow(/dequantize must be one of/);
    expect(() => createCodec({ kind: 'yolo' } as never)).toThrow(expect.objectContaining({ code: 'UNKNOWN_CODEC' }));
  });
});

describe('validation of untyped input (JSON data at a boundary)', () => {
  it('refuses numbers written as strings and malformed locations', () => {
    const ivb = createCodec('ivb');
    expect(() => ivb.encode({ box: ['10', '120', '30', '145'] } as never, image)).toThrow(
      /box x1 must be a finite number, got "10"/,
    );
    expect(() => ivb.encode({ box: [1, 2, 3] } as never, image)).toThrow(
      /must be \{ box: \[x1, y1, x2, y2\] \} or \{ point: \[x, y\] \}/,
    );
    expect(() => ivb.encode(null as never, image)).toThrow(CodecError);
    expect(() => ivb.encode(cat, null as never)).toThrow(/image must be \{ width, height \}, got null/);
  });
});
