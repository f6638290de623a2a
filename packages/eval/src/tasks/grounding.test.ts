import { describe, expect, it } from 'vitest';
import { cocoFixture } from '../testing/fixtures.js';
import { buildCocoGrounding, buildRefGrounding, scoreGrounding } from './grounding.js';
import type { FrameLike, LocationFormat, LocationValue } from './locations.js';
import type { RefRecord } from './refs.js';
import { buildRegionDescription } from './region-description.js';
import type { ImageSize } from './types.js';

// Test doubles with coord-codec's shapes: integer bins over the frame (IVB-like) in a pad-to-square frame.
const bins = 100;
const padSquare: FrameLike = {
  outputSize: (s: ImageSize) => ({ width: Math.max(s.width, s.height), height: Math.max(s.width, s.height) }),
  forward<L extends LocationValue>(l: L, s: ImageSize): L {
    const m = Math.max(s.width, s.height);
    const dx = (m - s.width) / 2;
    const dy = (m - s.height) / 2;
    if ('box' in l) return { box: [l.box[0] + dx, l.box[1] + dy, l.box[2] + dx, l.box[3] + dy] } as L;
    return { point: [l.point[0] + dx, l.point[1] + dy] } as L;
  },
  inverse<L extends LocationValue>(l: L, s: ImageSize): L {
    const m = Math.max(s.width, s.height);
    const dx = (m - s.width) / 2;
    const dy = (m - s.height) / 2;
    if ('box' in l) return { box: [l.box[0] - dx, l.box[1] - dy, l.box[2] - dx, l.box[3] - dy] } as L;
    return { point: [l.point[0] - dx, l.point[1] - dy] } as L;
  },
};
const format: LocationFormat = {
  spec: { codec: { kind: 'ivb', bins }, frame: 'pad-square' },
  frame: padSquare,
  codec: {
    encode(l, s) {
      if (!('box' in l)) throw new Error('box only');
      const [x1, y1, x2, y2] = l.box;
      return `(${[x1 / s.width, y1 / s.height, x2 / s.width, y2 / s.height].map((v) => Math.floor(v * bins)).join(', ')})`;
    },
    decode(text, s) {
      const m = /\((\d+), (\d+), (\d+), (\d+)\)/.exec(text);
      if (!m) return [];
      const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
      return [{ box: [(a * s.width) / bins, (b * s.height) / bins, (c * s.width) / bins, (d * s.height) / bins] }];
    },
  },
};

const refs: RefRecord[] = [
  {
    ref_id: 7,
    ann_id: 100,
    image_id: 1,
    split: 'testB',
    sentences: [
      { sent: 'brown dog on the left', sent_id: 70 },
      { sent: 'dog', sent_id: 71 },
    ],
  },
  { ref_id: 8, ann_id: 101, image_id: 1, split: 'val', sentences: [{ sent: 'cat', sent_id: 80 }] },
];

describe('grounding', () => {
  it('asks LocPred questions per referring sentence of the split', () => {
    const task = buildRefGrounding(refs, cocoFixture(), {
      format,
      dataset: 'refcoco',
      split: 'testB',
      imageRoot: '/coco',
    });
    expect(task.name).toBe('grounding-refcoco-testB');
    expect(task.samples.map((s) => s.id)).toEqual(['7:70', '7:71']);
    expect(task.samples[0]!.view.prompt).toBe(
      'Where is the object described brown dog on the left located in image in terms of (x1,y1,x2,y2) bbox?',
    );
    expect(task.samples[0]!.target.box).toEqual([80, 220, 120, 260]);
    expect(task.config).toMatchObject({ location: { codec: { kind: 'ivb', bins: 100 }, frame: 'pad-square' } });
  });

  it('maps predicted boxes back through the frame and scores IoU', () => {
    const task = buildRefGrounding(refs, cocoFixture(), { format, dataset: 'refcoco', split: 'testB' });
    // 640x480 padded to 640x640 (dy = 80): the dog (80,220)-(120,260) is (80,300)-(120,340) in the frame,
    // bins of 6.4 px: (12, 46, 18, 53) -> (76.8, 294.4, 115.2, 339.2) - 80 on y.
    const answers = new Map([
      ['7:70', 'It is located at (12, 46, 18, 53)'],
      ['7:71', 'somewhere on the left'],
    ]);
    const score = scoreGrounding(task, answers, format);
    const first = score.samples[0]!;
    expect(first.predicted![0]!.map((v) => Math.round(v * 10) / 10)).toEqual([76.8, 214.4, 115.2, 259.2]);
    expect(first.score).toBeCloseTo(
      ((115.2 - 80) * (259.2 - 220)) / (40 * 40 + 38.4 * 44.8 - (115.2 - 80) * (259.2 - 220)),
      6,
    );
    expect(score.metrics.accuracy).toBe(0.5);
    expect(score.metrics.unparsable).toBe(0.5);
    expect(score.samples[1]).toMatchObject({ correct: false, score: 0, parsed: 'no box' });
  });

  it('asks about every single-instance COCO object, with seeded random templates when asked', () => {
    const task = buildCocoGrounding(cocoFixture(), { format, template: 'random', seed: 4 });
    // image 1: dog, cat, chair, apple (person twice: excluded); image 2: bird, kite, boat, person; image 3: 2.
    expect(task.samples).toHaveLength(10);
    const again = buildCocoGrounding(cocoFixture(), { format, template: 'random', seed: 4 });
    expect(again.samples.map((s) => s.view.prompt)).toEqual(task.samples.map((s) => s.view.prompt));
    expect(new Set(task.samples.map((s) => s.view.prompt.split(' ')[0])).size).toBeGreaterThan(1);
  });
});

describe('region description', () => {
  it('writes the box in the model frame into the RevLoc prompt, with all sentences as references', () => {
    const task = buildRegionDescription(refs, cocoFixture(), { format, dataset: 'refcocog', split: 'testB' });
    expect(task.name).toBe('rd-refcocog-testB');
    expect(task.samples[0]!.view.prompt).toBe('Describe the object located at (12, 46, 18, 53)?');
    expect(task.samples[0]!.target.references).toEqual(['brown dog on the left', 'dog']);
    expect(task.config).toMatchObject({ dataset: 'refcocog', split: 'testB', template: 0 });
  });
});

describe('grounding with @locvlm/coord-codec', () => {
  it('IVB in the LLaVA frame: the prompt box maps back to the original within a bin', async () => {
    const { createLocationFormat, decodeBoxes, encodeBox } = await import('./locations.js');
    const real = createLocationFormat({ codec: { kind: 'ivb', bins: 224 }, frame: 'llava-224' });
    const size = { width: 640, height: 480 };
    const text = encodeBox(real, [80, 220, 120, 260], size);
    expect(text).toMatch(/^\(\d+, \d+, \d+, \d+\)$/);
    const [back] = decodeBoxes(real, `It is located at ${text}`, size);
    // One bin of the 640x640 padded square is 640/224 px.
    for (const [i, v] of [80, 220, 120, 260].entries()) expect(Math.abs(back![i]! - v)).toBeLessThanOrEqual(640 / 224);
    const none = createLocationFormat({ codec: { kind: 'ivb', bins: 224 }, frame: 'none' });
    // The paper's worked example: (10, 120, 30, 145) in 512x512 -> (4, 52, 13, 63).
    expect(encodeBox(none, [10, 120, 30, 145], { width: 512, height: 512 })).toBe('(4, 52, 13, 63)');
    expect(() => createLocationFormat({ codec: { kind: 'ivb', bins: 224 }, frame: 'fisheye' })).toThrow(
      /unknown frame/,
    );
  });
});
