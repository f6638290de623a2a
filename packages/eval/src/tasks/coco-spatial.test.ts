import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { cocoFixture } from '../testing/fixtures.js';
import {
  buildCocoSpatialPaper,
  loadCocoSpatialReleased,
  readCocoSpatialReleased,
  scoreCocoSpatial,
} from './coco-spatial.js';

function textOf(sample: { messages: { content: unknown }[] }): string {
  const content = sample.messages[0]!.content as { type: string; text?: string }[];
  return content.find((p) => p.type === 'text')!.text!;
}

describe('COCO-Spatial, paper protocol', () => {
  it('asks about the lone object of each triplet against both objects on the other side', () => {
    const task = buildCocoSpatialPaper(cocoFixture(), { imageRoot: '/data/train2017' });
    // Only image 1 qualifies horizontally: dog (left) | cat, chair (right); persons repeat, apple is central.
    expect(task.samples.map((s) => s.id)).toEqual(['1:100-102', '1:100-101']);
    expect(task.samples.map(textOf)).toEqual([
      'Which side of chair is dog located?',
      'Which side of cat is dog located?',
    ]);
    expect(task.samples.every((s) => s.target.keyword === 'left' && s.group === 'left')).toBe(true);
    const image = (task.samples[0]!.messages[0]!.content as { type: string; image?: { path: string } }[])[0]!;
    expect(image).toEqual({ type: 'image', image: { path: '/data/train2017/img1.jpg' } });
  });

  it('uses the vertical axis with above/below and the central band on y', () => {
    const task = buildCocoSpatialPaper(cocoFixture(), { axis: 'vertical' });
    // image 1: cat (top, y=100) | dog (y=240, central band 192..288: excluded) -> dog out; chair bottom, person x2.
    // image 2: bird, kite (top) | boat (bottom): boat is the lone object; person central.
    expect(task.samples.map(textOf)).toEqual([
      'Which side of kite is boat located?',
      'Which side of bird is boat located?',
    ]);
    expect(task.samples.map((s) => s.target.keyword)).toEqual(['below', 'below']);
    const icl = buildCocoSpatialPaper(cocoFixture(), { axis: 'vertical', prompt: 'icl' });
    expect(textOf(icl.samples[0]!)).toBe(
      'Q: Which side of boat is bird located? A: The boat is located below bird. ' +
        'Q: Which side of bird is boat located? A: The bird is located above boat. ' +
        'Q: Which side of kite is boat located?',
    );
  });

  it('prepends two solved examples in the ICL prompt', () => {
    const task = buildCocoSpatialPaper(cocoFixture(), { prompt: 'icl' });
    expect(textOf(task.samples[0]!)).toBe(
      'Q: Which side of dog is cat located? A: The dog is located to the left of cat. ' +
        'Q: Which side of cat is dog located? A: The cat is located to the right of dog. ' +
        'Q: Which side of chair is dog located?',
    );
    expect(task.config).toMatchObject({ protocol: 'paper', prompt: 'icl', axis: 'horizontal' });
    expect(task.name).toBe('coco-spatial-icl');
    expect(buildCocoSpatialPaper(cocoFixture(), { axis: 'vertical' }).name).toBe('coco-spatial-vertical');
  });

  it('a wider central band removes objects near the middle', () => {
    const task = buildCocoSpatialPaper(cocoFixture(), { centralBand: 0.7 });
    expect(task.samples).toHaveLength(0);
    expect(() => buildCocoSpatialPaper(cocoFixture(), { centralBand: 1.5 })).toThrow(EvaluationError);
  });
});

describe('COCO-Spatial, released file', () => {
  const released = {
    categories: [
      { id: 1, name: 'dog' },
      { id: 2, name: 'cat' },
      { id: 3, name: 'chair' },
    ],
    data: {
      '42': {
        file_name: 'COCO_val2014_000000000042.jpg',
        width: 640,
        height: 480,
        annotations: [
          { category_id: 1, bbox: [10, 10, 50, 50] },
          { category_id: 2, bbox: [100, 10, 50, 50] },
          { category_id: 3, bbox: [40, 200, 200, 50] },
        ],
        good_pairs: [[0, 1]],
      },
      '43': { file_name: 'COCO_val2014_000000000043.jpg', annotations: [] },
    },
  };

  it('reads coco_spatial.json and asks "Which side of the {left} is the {right}?"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spatial-'));
    writeFileSync(join(dir, 'coco_spatial.json'), JSON.stringify(released));
    const task = loadCocoSpatialReleased(readCocoSpatialReleased(join(dir, 'coco_spatial.json')), {
      imageRoot: '/coco/val2014',
      mirrored: true,
    });
    expect(task.samples.map((s) => [s.id, textOf(s), s.target.keyword, s.mirror])).toEqual([
      ['42:0-1', 'Which side of the dog is the cat?', 'right', undefined],
      ['42:0-1:mirrored', 'Which side of the dog is the cat?', 'left', 'horizontal'],
    ]);
    // The mirrored sample's boxes are flipped so the report draws them where the model sees them.
    expect(task.samples[1]!.view.boxes!.map((b) => b.box)).toEqual([
      [580, 10, 630, 60],
      [490, 10, 540, 60],
    ]);
  });

  it('names the file and JSON path of a bad pair', () => {
    const bad = structuredClone(released);
    bad.data['42'].good_pairs = [[0, 7]];
    expect(() => loadCocoSpatialReleased(bad as never, {}, 'x.json')).toThrow(/x\.json: \$\.data\.42\.good_pairs/);
    const dir = mkdtempSync(join(tmpdir(), 'spatial-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ categories: [], data: { a: { file_name: 3 } } }));
    expect(() => readCocoSpatialReleased(join(dir, 'bad.json'))).toThrow(/bad\.json: \$\.data\.a\.file_name/);
  });
});

describe('COCO-Spatial scoring', () => {
  it('counts a success when the target word appears, per side as in Table 4', () => {
    const task = loadCocoSpatialReleased(
      {
        categories: [
          { id: 1, name: 'dog' },
          { id: 2, name: 'cat' },
        ],
        data: {
          '1': {
            file_name: 'a.jpg',
            annotations: [
              { category_id: 1, bbox: [0, 0, 10, 10] },
              { category_id: 2, bbox: [50, 0, 10, 10] },
            ],
            good_pairs: [[0, 1]],
          },
          '2': {
            file_name: 'b.jpg',
            annotations: [
              { category_id: 1, bbox: [0, 0, 10, 10] },
              { category_id: 2, bbox: [50, 0, 10, 10] },
            ],
            good_pairs: [[0, 1]],
          },
        },
      },
      { mirrored: true },
    );
    const answers = new Map([
      ['1:0-1', 'The cat is on the right side of the dog.'],
      ['1:0-1:mirrored', 'It is to the Right.'],
      ['2:0-1', 'Brightly lit.'],
      // '2:0-1:mirrored' missing: scored as wrong
    ]);
    const score = scoreCocoSpatial(task, answers);
    expect(score.metrics).toEqual({ accuracy: 0.25, 'accuracy.right': 0.5, 'accuracy.left': 0 });
    expect(score.counts).toEqual({ samples: 4, answered: 3, missing: 1 });
    expect(score.samples[2]).toMatchObject({ id: '2:0-1', correct: false, parsed: 'none' });
  });
});
