import { CODEC_KINDS, CodecError, createCodec } from '@locvlm/coord-codec';
import { describe, expect, it } from 'vitest';
import { renderConversation } from './chat.js';
import { type LocalizeInput, localizeInstructRecords, locPredPair, locPredRecord, revLocPair } from './records.js';
import { testIvbCodec } from './test-codec.js';

// The paper's worked example (FORMATS.md section 1): a cat box (10, 120, 30, 145) in a 512x512 image.
const cat = { box: [10, 120, 30, 145] as [number, number, number, number] };
const image = { width: 512, height: 512 };
const description = { category: 'cat' };

describe('record builders with real coord-codec codecs', () => {
  it('writes LocPred targets of the worked example in IVB, NFP and DIGA', () => {
    const answer = (codec: ReturnType<typeof createCodec>, shape?: 'point') =>
      locPredPair({ description, location: cat, imageSize: image, codec, choice: 0, ...(shape ? { shape } : {}) })
        .answer;
    expect(answer(createCodec({ kind: 'ivb', bins: 224 }))).toBe('It is located at (4, 52, 13, 63)');
    expect(answer(createCodec({ kind: 'nfp' }))).toBe('It is located at (0.0195, 0.2344, 0.0586, 0.2832)');
    expect(answer(createCodec({ kind: 'diga', bins: 224 }))).toBe('It is located at (0, 4, -3, -11, 6, 0)');
    expect(answer(createCodec({ kind: 'ivb', bins: 224 }), 'point')).toBe('It is located at (8, 57)');
  });

  it('writes the RevLoc question with the codec', () => {
    const pair = revLocPair({
      description,
      location: cat,
      imageSize: image,
      codec: createCodec({ kind: 'ivb', bins: 224 }),
      choice: 0,
    });
    expect(pair).toEqual({ question: 'Describe the object located at (4, 52, 13, 63)?', answer: 'There is a cat.' });
  });

  it('reads the location back from every codec kind', () => {
    for (const kind of CODEC_KINDS) {
      const codec = createCodec(kind);
      const { answer } = locPredPair({ description, location: cat, imageSize: image, codec, choice: 0 });
      expect(answer.startsWith('It is located at '), kind).toBe(true);
      const decoded = codec.decode(answer, image);
      expect(decoded, kind).toHaveLength(1);
      const box = (decoded[0] as { box: number[] }).box;
      // Within the coarsest quantisation of all kinds (Kosmos-2's 32x32 grid: 16 px cells at 512 px).
      for (const [i, value] of box.entries()) {
        expect(Math.abs(value - (cat.box[i] as number)), `${kind} box[${i}]`).toBeLessThanOrEqual(16);
      }
    }
  });

  it('gives the same Localize-Instruct records as the test stand-in for IVB-224 (so the pinned records hold)', () => {
    const input: LocalizeInput & { image: string } = {
      key: '397133',
      image: 'train2014/COCO_train2014_000000397133.jpg',
      imageSize: { width: 640, height: 480 },
      codec: testIvbCodec,
      seed: 2024,
      objects: [
        { description: { caption: 'A black cat sitting on the left side of the sofa.' }, location: cat },
        { description: { category: 'dog' }, location: { box: [300, 200, 620, 470] } },
      ],
      negatives: ['zebra', 'umbrella'],
    };
    const real = localizeInstructRecords({ ...input, codec: createCodec({ kind: 'ivb', bins: 224 }) });
    expect(real).toEqual(localizeInstructRecords(input));
    expect(renderConversation('llava_v1', real[1]?.conversations ?? [])).toBe(
      "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: <image>\nWhat is at location (3, 56, 10, 67) in image? ASSISTANT: A black cat sitting on the left side of the sofa.</s>USER: Describe the object located at (105, 93, 217, 219)? ASSISTANT: There is a dog.</s>",
    );
  });

  it("names the record and keeps the codec's error as cause when a location is outside the image", () => {
    let thrown: unknown;
    try {
      locPredRecord({
        id: 'img-9:3:locpred',
        image: 'a.jpg',
        seed: 1,
        imageSize: { width: 20, height: 20 },
        codec: createCodec({ kind: 'ivb', bins: 224 }),
        description,
        location: cat,
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'PromptError', code: 'BAD_INPUT' });
    expect((thrown as Error).message).toMatch(/^img-9:3:locpred: /);
    expect((thrown as Error).cause).toBeInstanceOf(CodecError);
  });
});
