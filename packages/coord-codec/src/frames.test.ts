import { describe, expect, it } from 'vitest';
import {
  CodecError,
  centerCrop,
  clipFrame,
  compose,
  convert,
  convertDetailed,
  createCodec,
  identity,
  llavaFrame,
  namedFrame,
  padToSquare,
  resize,
  shortestEdgeSize,
  smartResize,
  smartResizeSize,
} from './index.js';

describe('padToSquare (LLaVA-1.5 expand2square)', () => {
  it('pastes the image at ((m-w)//2, (m-h)//2) on a (122, 116, 104) square', () => {
    const pad = padToSquare();
    const image = { width: 640, height: 480 };
    expect(pad.outputSize(image)).toEqual({ width: 640, height: 640 });
    expect(pad.forward({ box: [10, 20, 30, 40] }, image)).toEqual({ box: [10, 100, 30, 120] });
    expect(pad.plan(image)).toEqual([
      { op: 'pad', from: image, to: { width: 640, height: 640 }, left: 0, top: 80, fill: [122, 116, 104] },
    ]);
    const tall = { width: 481, height: 640 };
    expect(pad.plan(tall)[0]).toMatchObject({ left: 79, top: 0 });
    expect(pad.forward({ point: [0, 5] }, tall)).toEqual({ point: [79, 5] });
    expect(padToSquare({ fill: [0, 0, 0] }).plan(tall)[0]).toMatchObject({ fill: [0, 0, 0] });
  });
});

describe('resize', () => {
  it('fixed sizes scale each axis', () => {
    const r = resize({ width: 100, height: 50 });
    expect(r.forward({ box: [10, 10, 20, 20] }, { width: 200, height: 200 })).toEqual({ box: [5, 2.5, 10, 5] });
    expect(resize(336).outputSize({ width: 10, height: 20 })).toEqual({ width: 336, height: 336 });
  });
  it('shortest edge follows transformers.js by default and transformers (Python) on request', () => {
    expect(shortestEdgeSize({ width: 640, height: 480 }, 336)).toEqual({ width: 448, height: 336 });
    expect(shortestEdgeSize({ width: 640, height: 480 }, 224)).toEqual({ width: 298, height: 224 });
    // 224 * 367 / 201 = 408.995...: transformers.js rounds to 2 decimals first (409), Python truncates (408).
    const image = { width: 367, height: 201 };
    expect(resize({ shortestEdge: 224 }).outputSize(image)).toEqual({ width: 409, height: 224 });
    expect(resize({ shortestEdge: 224, rounding: 'transformers-python' }).outputSize(image)).toEqual({
      width: 408,
      height: 224,
    });
    expect(resize({ shortestEdge: 224 }).plan(image)).toEqual([
      { op: 'resize', from: image, to: { width: 409, height: 224 }, resample: 'bicubic' },
    ]);
  });
});

describe('centerCrop', () => {
  it('cuts at floor((w - cw) / 2)', () => {
    const crop = centerCrop(336);
    const image = { width: 448, height: 336 };
    expect(crop.plan(image)).toEqual([
      {
        op: 'crop',
        from: image,
        to: { width: 336, height: 336 },
        rect: { left: 56, top: 0, width: 336, height: 336 },
        fill: [0, 0, 0],
      },
    ]);
    expect(crop.forward({ box: [56, 0, 100, 10] }, image)).toEqual({ box: [0, 0, 44, 10] });
    expect(centerCrop(224).plan({ width: 301, height: 301 })[0]).toMatchObject({ rect: { left: 38, top: 38 } });
  });
  it('pads a smaller image: transformers.js floor((cw - w) / 2) on the left, Python -((w - cw) // 2)', () => {
    const image = { width: 301, height: 336 };
    expect(centerCrop(336).plan(image)[0]).toMatchObject({ rect: { left: -17, top: 0 } });
    expect(centerCrop(336, { rounding: 'transformers-python' }).plan(image)[0]).toMatchObject({
      rect: { left: -18, top: 0 },
    });
  });
  it('keeps parts cut away (outside the frame) so the inverse is exact; codecs refuse them unless clamping', () => {
    const crop = centerCrop(100);
    const image = { width: 200, height: 100 };
    const box = { box: [10, 10, 60, 20] as [number, number, number, number] };
    const inside = crop.forward(box, image);
    expect(inside).toEqual({ box: [-40, 10, 10, 20] });
    expect(crop.inverse(inside, image)).toEqual(box);
    const out = crop.outputSize(image);
    expect(() => createCodec('ivb').encode(inside, out)).toThrow(CodecError);
    expect(createCodec({ kind: 'ivb', bins: 100, clamp: true }).encode(inside, out)).toBe('(0, 10, 10, 20)');
  });
});

describe('compose and the named frames', () => {
  it('llavaFrame(336) = pad to square, shortest edge 336, centre crop 336', () => {
    const frame = llavaFrame(336);
    const image = { width: 640, height: 480 };
    expect(frame.outputSize(image)).toEqual({ width: 336, height: 336 });
    const mapped = frame.forward({ box: [10, 20, 30, 40] }, image) as { box: number[] };
    for (const [i, v] of [5.25, 52.5, 15.75, 63].entries()) expect(mapped.box[i]).toBeCloseTo(v, 10);
    expect(frame.plan(image).map((op) => op.op)).toEqual(['pad', 'resize', 'crop']);
    const back = frame.inverse(mapped as never, image) as { box: number[] };
    for (const [i, v] of [10, 20, 30, 40].entries()) expect(back.box[i]).toBeCloseTo(v, 10);
  });
  it('clipFrame crops the long side after the resize', () => {
    const plan = clipFrame(224).plan({ width: 640, height: 480 });
    expect(plan[1]).toMatchObject({ op: 'crop', rect: { left: 37, top: 0, width: 224, height: 224 } });
  });
  it('compose() of nothing is the identity; named frames resolve', () => {
    expect(compose().forward({ point: [1, 2] }, { width: 3, height: 3 })).toEqual({ point: [1, 2] });
    expect(identity().plan({ width: 3, height: 3 })).toEqual([]);
    expect(namedFrame('llava-224').outputSize({ width: 50, height: 80 })).toEqual({ width: 224, height: 224 });
    expect(() => namedFrame('square')).toThrow(/unknown frame "square"/);
    expect(() => resize(0)).toThrow(/resize size must be a positive integer/);
  });
});

describe('convert', () => {
  it('re-writes Shikra text (padded square) as IVB in the original image and in the padded frame', () => {
    const image = { width: 640, height: 480 };
    const text = 'The dog [0.100,0.200,0.300,0.400].';
    const detailed = convertDetailed(text, { from: 'shikra', to: 'qwen', image, fromFrame: padToSquare() });
    // In the padded 640x640 square: (64, 128, 192, 256); minus the 80-px top pad in the original image.
    expect(detailed.locations).toEqual([{ box: [64, 48, 192, 176] }]);
    expect(detailed.text).toBe('[{"bbox_2d": [64, 48, 192, 176]}]');
    expect(
      convert(text, {
        from: 'shikra',
        to: { kind: 'ivb', bins: 224 },
        image,
        fromFrame: padToSquare(),
        toFrame: padToSquare(),
      }),
    ).toBe('(22, 44, 67, 89)');
    expect(convert('nothing here', { from: 'ivb', to: 'nfp', image })).toBe('');
  });
});

describe('smartResize (Qwen2.5-VL input frame)', () => {
  it('rounds sides to multiples of 28 with Python rounding (halves to even)', () => {
    // 70 / 28 = 2.5 rounds to 2 (even), 98 / 28 = 3.5 rounds to 4.
    expect(smartResizeSize({ width: 98, height: 70 })).toEqual({ width: 112, height: 56 });
    expect(smartResizeSize({ width: 640, height: 480 })).toEqual({ width: 644, height: 476 });
  });
  it('rounds as transformers.js does when asked (halves up, tiny sides scaled up to one factor first)', () => {
    // 70 / 28 = 2.5: Math.round gives 3 (84), Python's round gives 2 (56).
    expect(smartResizeSize({ width: 98, height: 70 }, { rounding: 'transformers-js' })).toEqual({
      width: 112,
      height: 84,
    });
    // A 20 px side: scaled to 28 first (30x20 -> 42x28), then up to minPixels: ceil(2.45) * 28 x ceil(1.63) * 28.
    expect(smartResizeSize({ width: 20, height: 30 }, { rounding: 'transformers-js' })).toEqual({
      width: 56,
      height: 84,
    });
    // 64 x 10 with factor 28: JS scales to 179x28 and keeps 6 x 1 factors; Python gives at least one factor each way.
    expect(smartResizeSize({ width: 64, height: 10 }, { rounding: 'transformers-js', minPixels: 1 })).toEqual({
      width: 168,
      height: 28,
    });
    expect(smartResizeSize({ width: 64, height: 10 }, { minPixels: 1 })).toEqual({ width: 56, height: 28 });
    expect(smartResize({ rounding: 'transformers-js' }).outputSize({ width: 98, height: 70 })).toEqual({
      width: 112,
      height: 84,
    });
  });
  it('scales down by sqrt(h * w / maxPixels) and up by sqrt(minPixels / (h * w))', () => {
    // 4000x3000: beta = sqrt(12e6 / 1003520); floor(3000 / beta / 28) * 28 = 840, floor(4000 / beta / 28) * 28 = 1148.
    expect(smartResizeSize({ width: 4000, height: 3000 })).toEqual({ width: 1148, height: 840 });
    expect(smartResizeSize({ width: 30, height: 30 })).toEqual({ width: 56, height: 56 });
    expect(() => smartResizeSize({ width: 10_000, height: 20 })).toThrow(/aspect ratio of at most 200/);
  });
  it('is a frame: Qwen pixel boxes map back to the photo', () => {
    const frame = namedFrame('qwen2.5-vl');
    const photo = { width: 4000, height: 3000 };
    expect(frame.plan(photo)).toEqual([
      { op: 'resize', from: photo, to: { width: 1148, height: 840 }, resample: 'bicubic' },
    ]);
    const back = convertDetailed('{"bbox_2d": [287, 210, 574, 420], "label": "cat"}', {
      from: 'qwen',
      to: 'nfp',
      image: photo,
      fromFrame: smartResize(),
    });
    expect(back.locations[0]).toEqual({ box: [1000, 750, 2000, 1500], label: 'cat' });
  });
});
