import { describe, expect, it } from 'vitest';
import { renderConversation } from './chat.js';
import {
  conversationTurns,
  imageRecord,
  type LocalizeInput,
  localizeConversations,
  localizeInstructRecords,
  localizeVideoRecords,
  locationAs,
  locPredPair,
  locPredRecord,
  negPredPair,
  negPredRecord,
  revLocPair,
  revLocRecord,
  videoRecord,
} from './records.js';
import { createRng } from './rng.js';
import { LOCATION_QUESTION_TEMPLATES } from './templates.js';
import { testIvbCodec } from './test-codec.js';

const catBox = { box: [10, 120, 30, 145] as [number, number, number, number] };
const size512 = { width: 512, height: 512 };

describe('QA pairs', () => {
  it('LocPred writes the location with the codec (paper worked example)', () => {
    const pair = locPredPair({
      description: { category: 'cat' },
      location: catBox,
      imageSize: size512,
      codec: testIvbCodec,
      choice: 0,
    });
    expect(pair).toEqual({
      question: 'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?',
      answer: 'It is located at (4, 52, 13, 63)',
    });
  });

  it('writes a box as its centre point when asked for points', () => {
    expect(locationAs(catBox, 'point')).toEqual({ point: [20, 132.5] });
    const pair = locPredPair({
      description: { category: 'cat' },
      location: catBox,
      imageSize: size512,
      codec: testIvbCodec,
      shape: 'point',
      choice: 1,
    });
    expect(pair).toEqual({
      question: 'What is the location of object described cat in terms of (cx,cy) point?',
      answer: 'It is located at (8, 57)',
    });
    expect(() => locationAs({ point: [1, 2] }, 'box')).toThrow(/point location cannot be written as a box/);
    expect(locationAs({ box: [0, 0, 10, 20], label: 'cat' }, 'point')).toEqual({ point: [5, 10], label: 'cat' });
    expect(() => locationAs({ polygon: [] } as never, 'point')).toThrow(
      /location must be \{ box: \[x1, y1, x2, y2\] \}/,
    );
  });

  it('NegPred uses the same templates and the fixed target; RevLoc reverses LocPred', () => {
    expect(negPredPair({ category: 'zebra', shape: 'box', choice: 4 })).toEqual({
      question: 'Generate a (x1,y1,x2,y2) bbox for the the object described zebra?',
      answer: 'There is no such object in the image',
    });
    const rev = revLocPair({
      description: { category: 'cat' },
      location: catBox,
      imageSize: size512,
      codec: testIvbCodec,
      choice: 0,
    });
    expect(rev).toEqual({ question: 'Describe the object located at (4, 52, 13, 63)?', answer: 'There is a cat.' });
  });

  it('NegPred and LocPred questions come from one template set, so the question never gives the answer away', () => {
    const rng = createRng('same-set');
    const neg = new Set<string>();
    const loc = new Set<string>();
    for (let i = 0; i < 200; i++) {
      neg.add(negPredPair({ category: 'X', shape: 'box', choice: rng }).question);
      loc.add(
        locPredPair({
          description: { category: 'X' },
          location: catBox,
          imageSize: size512,
          codec: testIvbCodec,
          choice: rng,
        }).question,
      );
    }
    expect([...neg].sort()).toEqual([...loc].sort());
    expect(neg.size).toBe(LOCATION_QUESTION_TEMPLATES.length);
  });
});

describe('single-question records', () => {
  it('builds pinned LocPred, NegPred and RevLoc records for a fixed seed', () => {
    expect(
      locPredRecord({
        id: '397133:1:locpred',
        image: 'train2014/COCO_train2014_000000397133.jpg',
        seed: 7,
        imageSize: size512,
        codec: testIvbCodec,
        description: { category: 'cat' },
        location: catBox,
      }),
    ).toEqual({
      id: '397133:1:locpred',
      image: 'train2014/COCO_train2014_000000397133.jpg',
      conversations: [
        { from: 'human', value: '<image>\nProvide a (x1,y1,x2,y2) bbox for the the object described cat?' },
        { from: 'gpt', value: 'It is located at (4, 52, 13, 63)' },
      ],
    });
    expect(
      negPredRecord({ id: '397133:negpred', image: 'a.jpg', seed: 7, category: 'umbrella', shape: 'point' }),
    ).toEqual({
      id: '397133:negpred',
      image: 'a.jpg',
      conversations: [
        { from: 'human', value: '<image>\nProvide a (cx,cy) point for the the object described umbrella?' },
        { from: 'gpt', value: 'There is no such object in the image' },
      ],
    });
    expect(
      revLocRecord({
        id: '397133:1:revloc',
        image: 'a.jpg',
        seed: 7,
        imageSize: size512,
        codec: testIvbCodec,
        description: { category: 'apple' },
        location: catBox,
        shape: 'point',
        imageToken: 'end',
      }),
    ).toEqual({
      id: '397133:1:revloc',
      image: 'a.jpg',
      conversations: [
        { from: 'human', value: 'What is at location (8, 57) in image?\n<image>' },
        { from: 'gpt', value: 'There is an apple.' },
      ],
    });
  });

  it('names the record when the codec rejects a location', () => {
    expect(() =>
      locPredRecord({
        id: 'img-9:3:locpred',
        image: 'a.jpg',
        seed: 1,
        imageSize: { width: 10, height: 10 },
        codec: testIvbCodec,
        description: { category: 'cat' },
        location: catBox,
      }),
    ).toThrow(/^img-9:3:locpred: outside the image/);
  });

  it('keeps the image path exactly as given and renders to the training text', () => {
    const record = imageRecord({
      id: 'r1',
      image: '../images/x y.jpg',
      pairs: [{ question: 'Q?', answer: 'A.' }],
    });
    expect(record.image).toBe('../images/x y.jpg');
    expect(renderConversation('llava_v1', record.conversations)).toMatch(/ USER: <image>\nQ\? ASSISTANT: A\.<\/s>$/);
  });
});

const input: LocalizeInput & { image: string } = {
  key: '397133',
  image: 'train2014/COCO_train2014_000000397133.jpg',
  imageSize: { width: 640, height: 480 },
  codec: testIvbCodec,
  seed: 2024,
  objects: [
    { description: { caption: 'A black cat sitting on the left side of the sofa.' }, location: catBox },
    { description: { category: 'dog' }, location: { box: [300, 200, 620, 470] } },
  ],
  negatives: ['zebra', 'umbrella'],
};

describe('Localize-Instruct records (multi-turn)', () => {
  it('builds a pinned LocPred+NegPred conversation and a RevLoc conversation per image', () => {
    expect(localizeInstructRecords(input)).toEqual([
      {
        id: '397133:locpred',
        image: 'train2014/COCO_train2014_000000397133.jpg',
        conversations: [
          { from: 'human', value: '<image>\nProvide a (x1,y1,x2,y2) bbox for the the object described umbrella?' },
          { from: 'gpt', value: 'There is no such object in the image' },
          { from: 'human', value: 'Provide a (x1,y1,x2,y2) bbox for the the object described zebra?' },
          { from: 'gpt', value: 'There is no such object in the image' },
          {
            from: 'human',
            value:
              'Generate a (x1,y1,x2,y2) bbox for the the object described A black cat sitting on the left side of the sofa?',
          },
          { from: 'gpt', value: 'It is located at (3, 56, 10, 67)' },
          { from: 'human', value: 'What is the location of object described dog in terms of (x1,y1,x2,y2) bbox?' },
          { from: 'gpt', value: 'It is located at (105, 93, 217, 219)' },
        ],
      },
      {
        id: '397133:revloc',
        image: 'train2014/COCO_train2014_000000397133.jpg',
        conversations: [
          { from: 'human', value: '<image>\nWhat is at location (3, 56, 10, 67) in image?' },
          { from: 'gpt', value: 'A black cat sitting on the left side of the sofa.' },
          { from: 'human', value: 'Describe the object located at (105, 93, 217, 219)?' },
          { from: 'gpt', value: 'There is a dog.' },
        ],
      },
    ]);
  });

  it("gives each image the same records whatever was built before it (a resumed job's records match)", () => {
    const other = { ...input, key: '1', negatives: ['bus'] };
    const alone = localizeInstructRecords(input);
    localizeInstructRecords(other);
    expect(localizeInstructRecords(input)).toEqual(alone);
    expect(localizeConversations(input)).toEqual(localizeConversations({ ...input }));
  });

  it('leaves out empty conversations and names the bad object', () => {
    const onlyNegatives = localizeInstructRecords({ ...input, objects: [] });
    expect(onlyNegatives.map((r) => r.id)).toEqual(['397133:locpred']);
    expect(onlyNegatives[0]?.conversations).toHaveLength(4);
    expect(localizeInstructRecords({ ...input, objects: [], negatives: [] })).toEqual([]);
    expect(() =>
      localizeInstructRecords({ ...input, objects: [{ description: { category: '' }, location: catBox }] }),
    ).toThrow(/^397133 objects\[0\]: description\.category must be a non-empty string/);
  });

  it('mixes boxes and points with shape "mixed"', () => {
    const { locPred } = localizeConversations({
      ...input,
      shape: 'mixed',
      objects: Array.from({ length: 40 }, () => ({ description: { category: 'cat' }, location: catBox })),
      negatives: [],
    });
    const points = locPred.filter((pair) => pair.question.includes('(cx,cy) point')).length;
    expect(points).toBeGreaterThan(5);
    expect(points).toBeLessThan(35);
    for (const pair of locPred) {
      expect(pair.answer).toBe(
        pair.question.includes('point') ? 'It is located at (7, 61)' : 'It is located at (3, 56, 10, 67)',
      );
    }
  });
});

describe('video records', () => {
  it('builds pinned Video-ChatGPT records with a seeded <video> placement and the frame list', () => {
    const records = localizeVideoRecords({
      ...input,
      shape: 'mixed',
      video: 'v_abc.pkl',
      frames: ['v_abc/0.jpg', 'v_abc/1.jpg'],
    });
    expect(records).toEqual([
      {
        id: '397133:locpred',
        video: 'v_abc.pkl',
        frames: ['v_abc/0.jpg', 'v_abc/1.jpg'],
        conversations: [
          {
            from: 'human',
            value:
              'Provide a (cx,cy) point for the the object described A black cat sitting on the left side of the sofa?\n<video>',
          },
          { from: 'gpt', value: 'It is located at (7, 61)' },
          { from: 'human', value: 'Localize the object described dog in terms of (cx,cy) point?' },
          { from: 'gpt', value: 'It is located at (161, 156)' },
          { from: 'human', value: 'Where is the object described zebra located in image in terms of (cx,cy) point?' },
          { from: 'gpt', value: 'There is no such object in the image' },
          { from: 'human', value: 'What is the location of object described umbrella in terms of (x1,y1,x2,y2) bbox?' },
          { from: 'gpt', value: 'There is no such object in the image' },
        ],
      },
      {
        id: '397133:revloc',
        video: 'v_abc.pkl',
        frames: ['v_abc/0.jpg', 'v_abc/1.jpg'],
        conversations: [
          { from: 'human', value: 'What is at location (161, 156) in image?\n<video>' },
          { from: 'gpt', value: 'There is a dog.' },
          { from: 'human', value: 'Provide a caption for object at (7, 61)?' },
          { from: 'gpt', value: 'A black cat sitting on the left side of the sofa.' },
        ],
      },
    ]);
  });

  it('puts <video> in front or at the end, about half each with placement "random"', () => {
    const fronts = Array.from({ length: 100 }, (_, i) =>
      videoRecord({ id: `v${i}`, video: `v${i}.pkl`, pairs: [{ question: 'Q?', answer: 'A.' }], seed: 3 }),
    ).filter((r) => r.conversations[0]?.value === '<video>\nQ?').length;
    expect(fronts).toBeGreaterThan(30);
    expect(fronts).toBeLessThan(70);
    const fixed = videoRecord({
      id: 'v',
      video: 'v.mp4',
      pairs: [{ question: 'Q?', answer: 'A.' }],
      videoToken: 'front',
    });
    expect(fixed).toEqual({
      id: 'v',
      video: 'v.mp4',
      conversations: [
        { from: 'human', value: '<video>\nQ?' },
        { from: 'gpt', value: 'A.' },
      ],
    });
    expect(renderConversation('video-chatgpt_v1', fixed.conversations)).toMatch(
      / USER: <video>\nQ\? ASSISTANT: A\.<\/s>$/,
    );
  });

  it('checks pairs and placements', () => {
    expect(() => conversationTurns([], { mediaToken: '<image>' })).toThrow(/pairs must be a non-empty array/);
    expect(() => conversationTurns([{ question: 'Q', answer: '' }], { mediaToken: '<image>' })).toThrow(
      /pairs\[0\]\.answer must be a non-empty string/,
    );
    expect(() =>
      conversationTurns([{ question: 'Q', answer: 'A' }], { mediaToken: '<image>', placement: 'random' }),
    ).toThrow(/needs an rng/);
    expect(() =>
      imageRecord({ id: 'r', image: 'a.jpg', pairs: [{ question: 'Q', answer: 'A' }], imageToken: 'middle' as never }),
    ).toThrow(/^imageRecord\(r\): token placement must be 'front', 'end' or 'random', got middle/);
    expect(() => videoRecord({ id: 'v7', video: 'v.pkl', pairs: [{ question: '', answer: 'A' }] })).toThrow(
      /^videoRecord\(v7\): pairs\[0\]\.question must be a non-empty string/,
    );
  });
});
