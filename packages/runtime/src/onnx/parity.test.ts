// The same model directory run by transformers.js (the reference) and by this runtime must give the same pixels
// and the same greedy tokens.
import { AutoProcessor, env, LlavaForConditionalGeneration, RawImage, type Tensor } from '@huggingface/transformers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { padToSquare } from '../image/preprocess.js';
import { fixturesDir, noisePng, tinyModelDir } from '../testing/fixtures.js';
import { loadOnnxModel, type OnnxVisionLanguageModel } from './model.js';

env.allowRemoteModels = false;
env.localModelPath = fixturesDir;

type Processor = Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>;
let processor: Processor;
let reference: Awaited<ReturnType<typeof LlavaForConditionalGeneration.from_pretrained>>;
let model: OnnxVisionLanguageModel;

beforeAll(async () => {
  processor = await AutoProcessor.from_pretrained('tiny-llava');
  reference = await LlavaForConditionalGeneration.from_pretrained('tiny-llava', { dtype: 'fp32', device: 'cpu' });
  model = await loadOnnxModel(tinyModelDir, { device: 'cpu' });
}, 60_000);

afterAll(async () => {
  await model?.close();
  await reference?.dispose();
});

async function rawImage(bytes: Uint8Array): Promise<RawImage> {
  return RawImage.fromBlob(new Blob([bytes]));
}

async function referenceTokens(prompt: string, image: RawImage, maxNewTokens: number): Promise<number[]> {
  const inputs = await processor(image, prompt);
  const promptLength = (inputs.input_ids as Tensor).dims[1]!;
  const out = (await reference.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
  return (out.tolist() as bigint[][])[0]!.slice(promptLength).map(Number);
}

const PROMPT = 'USER: <image>\nWhere is the cat located in the image? ASSISTANT:';

describe('parity with transformers.js on the tiny fixture', () => {
  it('gives the same pixel values for square and cropped images', async () => {
    for (const [w, h] of [
      [80, 80],
      [97, 61],
      [40, 90],
      [56, 56],
    ] as const) {
      const png = await noisePng(w, h, w + h);
      const ours = await (
        await loadOnnxModel(tinyModelDir, { device: 'cpu', imageAspectRatio: 'none' })
      ).preprocessImage({
        bytes: png,
      });
      const theirs = await processor.image_processor!(await rawImage(png));
      const expected = (theirs.pixel_values as Tensor).data as Float32Array;
      expect(ours.pixelValues.length).toBe(expected.length);
      expect(Array.from(ours.pixelValues)).toEqual(Array.from(expected));
    }
  });

  it('pads to a square with the mean colour, then matches transformers.js on the padded image', async () => {
    const png = await noisePng(90, 50, 7);
    const ours = await model.preprocessImage({ bytes: png });
    expect(ours.plan.pad).toEqual({ size: 90, left: 0, top: 20, background: [122, 116, 104] });
    const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const padded = padToSquare({ width: 90, height: 50, data: new Uint8Array(decoded.data) }, [122, 116, 104]).image;
    const paddedPng = await sharp(padded.data, { raw: { width: 90, height: 90, channels: 3 } })
      .png()
      .toBuffer();
    const theirs = await processor.image_processor!(await rawImage(new Uint8Array(paddedPng)));
    expect(Array.from(ours.pixelValues)).toEqual(Array.from((theirs.pixel_values as Tensor).data as Float32Array));
  });

  it('tokenises the prompt as transformers.js does', async () => {
    const png = await noisePng(64, 64, 3);
    const inputs = await processor(await rawImage(png), PROMPT);
    const theirs = Array.from((inputs.input_ids as Tensor).data as BigInt64Array, Number);
    expect(model.tokenizePrompt(PROMPT, 1)).toEqual(theirs);
  });

  it('gives token-identical greedy output', async () => {
    for (const [w, h, seed] of [
      [64, 64, 11],
      [120, 120, 12],
    ] as const) {
      const png = await noisePng(w, h, seed);
      const expected = await referenceTokens(PROMPT, await rawImage(png), 24);
      const ours = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 24, details: true });
      expect(ours.tokenIds).toEqual(expected);
      expect(ours.tokenIds).toHaveLength(24);
    }
  });
});
