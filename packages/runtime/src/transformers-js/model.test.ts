// Families transformers.js runs, through our adapter (loadModel) and through transformers.js called directly on the
// same fixture directory: same prompt ids, same greedy tokens; and `ask` maps each family's location text back to
// photo pixels as the family's own post-processing does.
import { AutoModelForImageTextToText, AutoProcessor, env, RawImage, type Tensor } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../load-model.js';
import { ask } from '../locate.js';
import type { ChatMessage } from '../model.js';
import { fixturesDir, noisePng } from '../testing/fixtures.js';
import { TransformersJsModel } from './model.js';

env.allowRemoteModels = false;
env.localModelPath = fixturesDir;

const open: Array<{ close(): Promise<void> } | { dispose(): Promise<unknown> }> = [];
afterAll(async () => {
  for (const m of open) await ('close' in m ? m.close() : m.dispose());
});

async function ours(dir: string, dtype: 'fp32' | 'q4' = 'fp32'): Promise<TransformersJsModel> {
  const model = await loadModel(`${fixturesDir}${dir}`, { device: 'cpu', dtype });
  expect(model).toBeInstanceOf(TransformersJsModel);
  open.push(model);
  return model as TransformersJsModel;
}

async function reference(dir: string, dtype: 'fp32' | 'q4' = 'fp32') {
  const model = await AutoModelForImageTextToText.from_pretrained(dir, { dtype, device: 'cpu' });
  open.push(model);
  return model;
}

/** Greedy new tokens of a transformers.js generate call on prepared inputs. */
async function referenceTokens(
  model: Awaited<ReturnType<typeof reference>>,
  inputs: Record<string, unknown>,
  maxNewTokens: number,
  encoderDecoder = false,
): Promise<number[]> {
  const out = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
  const row = (out.tolist() as bigint[][])[0]!.map(Number);
  return encoderDecoder ? row.slice(1) : row.slice((inputs.input_ids as Tensor).dims[1]!);
}

const userTurn = (png: Uint8Array, text: string): ChatMessage[] => [
  {
    role: 'user',
    content: [
      { type: 'image', image: { bytes: png } },
      { type: 'text', text },
    ],
  },
];

describe('Florence-2 (encoder-decoder, task prompts, <loc_N>)', () => {
  it('gives the tokens transformers.js gives, at fp32 and q4', async () => {
    const processor = await AutoProcessor.from_pretrained('tiny-florence2');
    for (const dtype of ['fp32', 'q4'] as const) {
      const mine = await ours('tiny-florence2', dtype);
      const theirs = await reference('tiny-florence2', dtype);
      expect(mine.describe()).toMatchObject({
        family: 'florence2',
        engine: 'transformers.js',
        locationCodec: { kind: 'florence' },
      });
      for (const [w, h, seed] of [
        [100, 60, 1],
        [40, 90, 2],
      ] as const) {
        const png = await noisePng(w, h, seed);
        const prompts = (processor as unknown as { construct_prompts(t: string): string[] }).construct_prompts('<OD>');
        const inputs = await (processor as unknown as (i: unknown, t: string[]) => Promise<Record<string, unknown>>)(
          await RawImage.fromBlob(new Blob([png])),
          prompts,
        );
        const expected = await referenceTokens(theirs, inputs, 12, true);
        const result = await mine.generate({ messages: userTurn(png, '<OD>'), maxNewTokens: 12, details: true });
        // transformers.js's sequence ends with the end token (2); ours leaves end tokens out, as for every model.
        expect(result.tokenIds).toEqual(expected.filter((t) => t !== 2));
        expect(result.tokenIds!.length).toBeGreaterThan(5);
      }
    }
  }, 60_000);

  it('refuses a task token Florence-2 does not know, listing the ones it does', async () => {
    const model = await ours('tiny-florence2');
    const png = await noisePng(32, 32, 1);
    await expect(model.generate({ messages: userTurn(png, '<FOO>'), maxNewTokens: 2 })).rejects.toThrow(
      /Florence-2 has no task <FOO>; its tasks: <OCR>, .*<OD>/,
    );
  });

  it('maps <OD> boxes to photo pixels as post_process_generation does, for wide and tall photos', async () => {
    const processor = await AutoProcessor.from_pretrained('tiny-florence2-scripted');
    const model = await ours('tiny-florence2-scripted');
    for (const [w, h] of [
      [100, 60],
      [60, 100],
      [640, 97],
    ] as const) {
      const png = await noisePng(w, h, 5);
      const answer = await ask(model, { image: { bytes: png }, question: '<OD>', maxNewTokens: 16 });
      expect(answer.text).toBe('cat<loc_100><loc_200><loc_500><loc_700>dog<loc_600><loc_50><loc_999><loc_999>');
      const theirs = (
        processor as unknown as {
          post_process_generation(
            t: string,
            task: string,
            size: [number, number],
          ): Record<string, { bboxes: number[][]; labels: string[] }>;
        }
      ).post_process_generation(`</s><s>${answer.text}</s>`, '<OD>', [w, h])['<OD>']!;
      expect(answer.locations.map((l) => l.location.label)).toEqual(theirs.labels);
      answer.locations.forEach((l, i) => {
        const box = (l.location as { box: number[] }).box;
        theirs.bboxes[i]!.forEach((v, k) => {
          expect(box[k]).toBeCloseTo(v, 9);
        });
      });
    }
  }, 60_000);
});

describe('Qwen2-VL, Qwen2.5-VL, Qwen3-VL (chat template, smart resize, M-RoPE)', () => {
  const question = 'Outline the position of the cat and output its coordinates in JSON format.';
  for (const dir of ['tiny-qwen2-vl', 'tiny-qwen2.5-vl', 'tiny-qwen3-vl']) {
    it(`${dir}: the tokens transformers.js gives at fp32 and q4, and the frame it resized to`, async () => {
      const processor = await AutoProcessor.from_pretrained(dir);
      const hf = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
      const text = processor.apply_chat_template(hf as never, { add_generation_prompt: true }) as string;
      const patch = Number((processor.image_processor!.config as { patch_size: number }).patch_size);
      for (const dtype of ['fp32', 'q4'] as const) {
        const mine = await ours(dir, dtype);
        const theirs = await reference(dir, dtype);
        for (const [w, h, seed] of [
          [100, 60, 3],
          [64, 64, 4],
          [40, 120, 5],
        ] as const) {
          const png = await noisePng(w, h, seed);
          const inputs = await (processor as unknown as (t: string, i: unknown) => Promise<Record<string, unknown>>)(
            text,
            await RawImage.fromBlob(new Blob([png])),
          );
          const expected = await referenceTokens(theirs, inputs, 10);
          const result = await mine.generate({ messages: userTurn(png, question), maxNewTokens: 10, details: true });
          expect(result.tokenIds).toEqual(expected);
          expect(result.tokenIds!.length).toBe(10);
          // The frame our `ask` maps through is the size transformers.js actually fed the model.
          const [, gh, gw] = ((inputs.image_grid_thw as Tensor).tolist() as bigint[][])[0]!.map(Number);
          expect(mine.frameTransform().outputSize({ width: w, height: h })).toEqual({
            width: gw! * patch,
            height: gh! * patch,
          });
        }
      }
    }, 120_000);
  }
});

describe('external data on the transformers.js engine', () => {
  it('a Qwen2.5-VL export with every graph in two external data chunks gives the tokens of the inline one', async () => {
    const inline = await ours('tiny-qwen2.5-vl');
    const external = await ours('tiny-qwen2.5-vl-external');
    const png = await noisePng(100, 60, 14);
    const messages = userTurn(png, 'What is this?');
    const a = await inline.generate({ messages, maxNewTokens: 10, details: true });
    const b = await external.generate({ messages, maxNewTokens: 10, details: true });
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(b.tokenIds).toHaveLength(10);
  }, 60_000);

  it('names a missing chunk before transformers.js loads anything', async () => {
    const { cp, rm, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = join(await mkdtemp(join(tmpdir(), 'locvlm-tjs-ext-')), 'model');
    await cp(`${fixturesDir}tiny-qwen2.5-vl-external`, dir, { recursive: true });
    await rm(join(dir, 'onnx', 'vision_encoder.onnx_data_1'));
    await expect(loadModel(dir, { device: 'cpu' })).rejects.toThrow(
      /onnx\/vision_encoder\.onnx_data_1 is missing: config\.json transformers\.js_config\.use_external_data_format promises 2/,
    );
  });
});

describe('Qwen-VL boxes back to photo pixels (scripted decoders write a known answer)', () => {
  // Independent of our frame code: the size transformers.js resized to comes from its own image_grid_thw.
  async function resizedSize(dir: string, png: Uint8Array): Promise<{ width: number; height: number }> {
    const processor = await AutoProcessor.from_pretrained(dir);
    const patch = Number((processor.image_processor!.config as { patch_size: number }).patch_size);
    const out = await (processor.image_processor as unknown as (i: unknown) => Promise<Record<string, unknown>>)(
      await RawImage.fromBlob(new Blob([png])),
    );
    const [, gh, gw] = ((out.image_grid_thw as Tensor).tolist() as bigint[][])[0]!.map(Number);
    return { width: gw! * patch, height: gh! * patch };
  }
  const photos: Array<[number, number]> = [
    [100, 60],
    [64, 64],
    [40, 120],
    [900, 37],
  ];

  it('Qwen2.5-VL: bbox_2d in pixels of the resized input, scaled by photo / resized size', async () => {
    const model = await ours('tiny-qwen2.5-vl-scripted');
    for (const [w, h] of photos) {
      const png = await noisePng(w, h, 9);
      const answer = await ask(model, { image: { bytes: png }, question: 'Where is the cat?', maxNewTokens: 48 });
      expect(answer.text).toBe('{"bbox_2d": [4, 6, 20, 24], "label": "cat"}');
      const r = await resizedSize('tiny-qwen2.5-vl-scripted', png);
      const expected = [(4 * w) / r.width, (6 * h) / r.height, (20 * w) / r.width, (24 * h) / r.height];
      expect(answer.locations).toHaveLength(1);
      const box = (answer.locations[0]!.location as { box: number[] }).box;
      expected.forEach((v, k) => {
        expect(box[k]).toBeCloseTo(v, 9);
      });
      expect(answer.locations[0]!.location.label).toBe('cat');
    }
  }, 60_000);

  for (const [dir, text] of [
    ['tiny-qwen2-vl-scripted', '<|object_ref_start|>cat<|object_ref_end|><|box_start|>(100,200),(500,700)<|box_end|>'],
    ['tiny-qwen3-vl-scripted', '{"bbox_2d": [100, 200, 500, 700], "label": "cat"}'],
  ] as const) {
    it(`${dir.replace('tiny-', '').replace('-scripted', '')}: boxes in 0..1000 of the input, v / 1000 of the photo`, async () => {
      const model = await ours(dir);
      for (const [w, h] of photos) {
        const png = await noisePng(w, h, 10);
        const answer = await ask(model, { image: { bytes: png }, question: 'Where is the cat?', maxNewTokens: 48 });
        expect(answer.text).toBe(text);
        expect(answer.locations).toHaveLength(1);
        const box = (answer.locations[0]!.location as { box: number[] }).box;
        [(100 * w) / 1000, (200 * h) / 1000, (500 * w) / 1000, (700 * h) / 1000].forEach((v, k) => {
          expect(box[k]).toBeCloseTo(v, 9);
        });
        expect(answer.locations[0]!.location.label).toBe('cat');
      }
    }, 60_000);
  }
});

describe('PaliGemma, SmolVLM (Idefics3), Gemma 3', () => {
  it('PaliGemma: the tokens transformers.js gives for "<image>detect cat", at fp32 and q4', async () => {
    const processor = await AutoProcessor.from_pretrained('tiny-paligemma');
    for (const dtype of ['fp32', 'q4'] as const) {
      const mine = await ours('tiny-paligemma', dtype);
      const theirs = await reference('tiny-paligemma', dtype);
      for (const [w, h, seed] of [
        [100, 60, 6],
        [64, 64, 7],
      ] as const) {
        const png = await noisePng(w, h, seed);
        const inputs = await (processor as unknown as (i: unknown, t: string) => Promise<Record<string, unknown>>)(
          await RawImage.fromBlob(new Blob([png])),
          '<image>detect cat',
        );
        const expected = await referenceTokens(theirs, inputs, 12);
        const result = await mine.generate({ messages: userTurn(png, 'detect cat'), maxNewTokens: 12, details: true });
        expect(result.tokenIds).toEqual(expected);
        expect(result.tokenIds!.length).toBe(12);
      }
    }
  }, 120_000);

  for (const dir of ['tiny-smolvlm', 'tiny-gemma3']) {
    it(`${dir}: the tokens transformers.js gives through the chat template, at fp32 and q4`, async () => {
      const processor = await AutoProcessor.from_pretrained(dir);
      const hf = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is in the image?' }] }];
      const text = processor.apply_chat_template(hf as never, { add_generation_prompt: true }) as string;
      for (const dtype of ['fp32', 'q4'] as const) {
        const mine = await ours(dir, dtype);
        const theirs = await reference(dir, dtype);
        for (const [w, h, seed] of [
          [100, 60, 8],
          [64, 64, 9],
        ] as const) {
          const png = await noisePng(w, h, seed);
          const inputs = await (processor as unknown as (t: string, i: unknown) => Promise<Record<string, unknown>>)(
            text,
            [await RawImage.fromBlob(new Blob([png]))],
          );
          const expected = await referenceTokens(theirs, inputs, 10);
          const result = await mine.generate({
            messages: userTurn(png, 'What is in the image?'),
            maxNewTokens: 10,
            details: true,
          });
          expect(result.tokenIds).toEqual(expected);
          expect(result.tokenIds!.length).toBe(10);
        }
      }
    }, 120_000);
  }

  it('PaliGemma: <locNNNN> boxes (y first, 1024 bins) map back to photo pixels for any aspect ratio', async () => {
    const model = await ours('tiny-paligemma-scripted');
    expect(model.locationPrompts.locate?.('cat')).toBe('detect cat');
    for (const [w, h] of [
      [100, 60],
      [60, 100],
      [1000, 50],
    ] as const) {
      const png = await noisePng(w, h, 11);
      const answer = await ask(model, { image: { bytes: png }, question: 'detect cat', maxNewTokens: 8 });
      expect(answer.text).toBe('<loc0100><loc0200><loc0900><loc0800> cat');
      const box = (answer.locations[0]!.location as { box: number[] }).box;
      // y1 x1 y2 x2 = 100 200 900 800 of 1023 (big_vision's encoding, read back exactly).
      [(200 / 1023) * w, (100 / 1023) * h, (800 / 1023) * w, (900 / 1023) * h].forEach((v, k) => {
        expect(box[k]).toBeCloseTo(v, 9);
      });
      expect(answer.locations[0]!.location.label).toBe('cat');
    }
  }, 60_000);

  it('a family without its own location format needs a codec, and says so', async () => {
    const model = await ours('tiny-gemma3');
    expect(model.locationCodec).toBeUndefined();
    const png = await noisePng(64, 64, 12);
    await expect(ask(model, { image: { bytes: png }, question: 'Where is the cat?', maxNewTokens: 2 })).rejects.toThrow(
      /has no location format of its own: pass the codec it writes/,
    );
  }, 60_000);
});

describe('the VisionLanguageModel contract on the transformers.js engine', () => {
  it('streams the same text generate gives, stops at stop strings and reports length cut-offs', async () => {
    const model = await ours('tiny-qwen2.5-vl-scripted');
    const png = await noisePng(60, 40, 13);
    const messages = userTurn(png, 'Where is the cat?');
    const whole = await model.generate({ messages, maxNewTokens: 48 });
    expect(whole).toMatchObject({ text: '{"bbox_2d": [4, 6, 20, 24], "label": "cat"}', finishReason: 'stop' });
    let streamed = '';
    for await (const delta of model.stream({ messages, maxNewTokens: 48 })) streamed += delta;
    expect(streamed).toBe(whole.text);
    // The stream's last result says how it ended.
    const last = async (maxNewTokens: number) => {
      const iterator = model.stream({ messages, maxNewTokens })[Symbol.asyncIterator]();
      for (;;) {
        const step = await iterator.next();
        if (step.done) return step.value;
      }
    };
    expect((await last(48))?.finishReason).toBe('stop');
    expect((await last(3))?.finishReason).toBe('length');
    const stopped = await model.generate({ messages, maxNewTokens: 48, stop: ['"label"'] });
    expect(stopped).toMatchObject({ text: '{"bbox_2d": [4, 6, 20, 24], ', finishReason: 'stop' });
    const cut = await model.generate({ messages, maxNewTokens: 3, details: true });
    expect(cut.finishReason).toBe('length');
    expect(cut.tokenIds).toHaveLength(3);
    const controller = new AbortController();
    controller.abort();
    await expect(model.generate({ messages, maxNewTokens: 8, signal: controller.signal })).rejects.toThrow(/aborted/);
    // Text that cannot fit the context is refused before transformers.js tokenizes it (on this thread) or any image
    // is decoded.
    const huge = userTurn(new Uint8Array([1, 2, 3]), 'where is the cat? '.repeat(400_000));
    const started = performance.now();
    await expect(model.generate({ messages: huge, maxNewTokens: 4 })).rejects.toMatchObject({
      code: 'CONTEXT_LENGTH',
      message: expect.stringMatching(/7200000 characters of text, at least \d+ tokens .* context is 32768/),
    });
    expect(performance.now() - started).toBeLessThan(2000);
  }, 60_000);
});
