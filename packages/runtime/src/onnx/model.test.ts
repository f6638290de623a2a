import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VIDEO_CHATGPT_POOLING } from '@locvlm/video-pool';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { noisePng, tinyModelDir } from '../testing/fixtures.js';
import { loadModelConfig } from './config.js';
import { LlavaEngine } from './engine.js';
import { loadOnnxModel, type OnnxVisionLanguageModel } from './model.js';

const PROMPT = 'USER: <image>\nWhat is at location (4, 52, 13, 63) in image? ASSISTANT:';
let model: OnnxVisionLanguageModel;
let png: Uint8Array;

beforeAll(async () => {
  model = await loadOnnxModel(tinyModelDir, { device: 'cpu', intraOpThreads: 1 });
  png = await noisePng(72, 48, 5);
}, 60_000);
afterAll(async () => {
  await model?.close();
});

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  expect((error as RuntimeError).code).toBe(code);
  expect((error as RuntimeError).message).toMatch(pattern);
}

describe('decoding', () => {
  it('reproduces the PyTorch greedy reference written with the fixture', async () => {
    const ref = JSON.parse(readFileSync(join(tinyModelDir, 'reference.json'), 'utf8')) as {
      prompt_ids: number[];
      greedy_new_tokens: number[];
    };
    const config = await loadModelConfig(tinyModelDir);
    const engine = await LlavaEngine.load(config, { device: 'cpu' });
    const size = config.image.cropWidth;
    const pixels = new Float32Array(3 * size * size);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          pixels[c * size * size + y * size + x] = Math.sin(x * 0.3 + c) * Math.cos(y * 0.2 - c);
    const features = await engine.encodeImages([pixels], size, size);
    const out = await engine.decode([{ ids: ref.prompt_ids, imageFeatures: features }], {
      maxNewTokens: ref.greedy_new_tokens.length,
      temperature: 0,
      topP: 1,
      seed: 0,
      eosTokenIds: [],
    });
    await engine.close();
    expect(out.tokens[0]).toEqual(ref.greedy_new_tokens);
  });

  it('gives the same tokens with the KV cache as when recomputing the whole sequence', async () => {
    const cached = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 20, details: true });
    const recomputed = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      maxNewTokens: 20,
      details: true,
      useCache: false,
    });
    expect(cached.tokenIds).toHaveLength(20);
    expect(cached.tokenIds).toEqual(recomputed.tokenIds);
    const sampledCached = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      maxNewTokens: 12,
      temperature: 0.7,
      seed: 3,
      details: true,
    });
    const sampledRecomputed = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      maxNewTokens: 12,
      temperature: 0.7,
      seed: 3,
      details: true,
      useCache: false,
    });
    expect(sampledCached.tokenIds).toEqual(sampledRecomputed.tokenIds);
  });

  it('runs a small decoder on one intra-op thread unless told otherwise', async () => {
    const chosen = await loadOnnxModel(tinyModelDir, { device: 'cpu' });
    const two = await loadOnnxModel(tinyModelDir, { device: 'cpu', intraOpThreads: 2 });
    try {
      expect(chosen.intraOpThreads).toBe(1);
      expect(two.intraOpThreads).toBe(2);
    } finally {
      await chosen.close();
      await two.close();
    }
  });

  it('gives the same tokens with onnxruntime spin-waiting on as with the default (off)', async () => {
    const spinning = await loadOnnxModel(tinyModelDir, { device: 'cpu', intraOpThreads: 2, spinWait: true });
    try {
      const request = { prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 12, details: true };
      const a = await spinning.complete(request);
      const b = await model.complete(request);
      expect(a.tokenIds).toHaveLength(12);
      expect(a.tokenIds).toEqual(b.tokenIds);
    } finally {
      await spinning.close();
    }
  });

  it('decodes a batch of prompts of different lengths like one at a time', async () => {
    const other = await noisePng(40, 40, 9);
    const requests = [
      { prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 10, details: true },
      {
        prompt: 'USER: <image>\nIs there a dog? ASSISTANT:',
        images: [{ bytes: other }],
        maxNewTokens: 6,
        details: true,
      },
      { prompt: 'USER: Describe the picture. ASSISTANT:', maxNewTokens: 8, details: true },
    ];
    const batched = await model.completeBatch(requests);
    const single = await Promise.all(requests.map((r) => model.complete(r)));
    expect(batched.map((r) => r.tokenIds)).toEqual(single.map((r) => r.tokenIds));
    expect(batched.map((r) => r.text)).toEqual(single.map((r) => r.text));
    expect(batched.map((r) => r.tokenIds?.length)).toEqual([10, 6, 8]);
  });

  it('samples reproducibly from a seed, and differently from greedy', async () => {
    const a = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      temperature: 1,
      seed: 7,
      maxNewTokens: 16,
      details: true,
    });
    const b = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      temperature: 1,
      seed: 7,
      maxNewTokens: 16,
      details: true,
    });
    const c = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      temperature: 1,
      seed: 8,
      maxNewTokens: 16,
      details: true,
    });
    const greedy = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 16, details: true });
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.tokenIds).not.toEqual(c.tokenIds);
    expect(a.tokenIds).not.toEqual(greedy.tokenIds);
    // top-p close to 0 keeps only the most likely token: greedy again.
    const narrow = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      temperature: 1,
      topP: 1e-6,
      seed: 7,
      maxNewTokens: 16,
      details: true,
    });
    expect(narrow.tokenIds).toEqual(greedy.tokenIds);
  });

  it('stops at an EOS token and at stop strings, which are not part of the text', async () => {
    const greedy = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 12, details: true });
    const ids = greedy.tokenIds!;
    const eos = await model.complete({
      prompt: PROMPT,
      images: [{ bytes: png }],
      maxNewTokens: 12,
      details: true,
      eosTokenIds: [ids[5]!],
    });
    expect(eos.tokenIds).toEqual(ids.slice(0, ids.indexOf(ids[5]!)));
    expect(eos.finishReason).toBe('stop');
    expect(greedy.finishReason).toBe('length');
    const stop = greedy.text.slice(4, 7);
    const stopped = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 12, stop: [stop] });
    expect(stopped.text).toBe(greedy.text.slice(0, greedy.text.indexOf(stop)));
    expect(stopped.finishReason).toBe('stop');
  });

  it('streams text deltas that add up to the generated text', async () => {
    const whole = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 15 });
    const deltas: string[] = [];
    for await (const d of model.streamCompletion({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 15 }))
      deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(whole.text);
    const stop = whole.text.slice(6, 9);
    const parts: string[] = [];
    for await (const d of model.streamCompletion({
      prompt: PROMPT,
      images: [{ bytes: png }],
      maxNewTokens: 15,
      stop: [stop],
    }))
      parts.push(d);
    expect(parts.join('')).toBe(whole.text.slice(0, whole.text.indexOf(stop)));
  });

  it("ends a stream with the answer's finish reason: length when max tokens cut it, stop otherwise", async () => {
    const ending = async (maxNewTokens: number, stop?: string[]) => {
      const iterator = model
        .streamCompletion({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens, ...(stop ? { stop } : {}) })
        [Symbol.asyncIterator]();
      let text = '';
      for (;;) {
        const step = await iterator.next();
        if (step.done) return { text, result: step.value };
        text += step.value;
      }
    };
    const cut = await ending(4);
    expect(cut.result?.finishReason).toBe('length');
    expect(cut.result?.text).toBe(cut.text);
    const whole = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 15 });
    const stopped = await ending(15, [whole.text.slice(6, 9)]);
    expect(stopped.result?.finishReason).toBe('stop');
  });

  it('stops early when the consumer leaves the stream, and honours an abort signal', async () => {
    let n = 0;
    for await (const _ of model.streamCompletion({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 50 })) {
      if (++n === 2) break;
    }
    expect(n).toBe(2);
    const controller = new AbortController();
    controller.abort();
    await expectError(
      model.complete({ prompt: PROMPT, images: [{ bytes: png }], signal: controller.signal }),
      'ABORTED',
      /aborted/,
    );
  });

  it('reports timings and the execution provider with its reason', async () => {
    const r = await model.complete({ prompt: PROMPT, images: [{ bytes: png }], maxNewTokens: 4, details: true });
    expect(r.timing?.newTokens).toBe(4);
    expect(r.timing!.totalMs).toBeGreaterThanOrEqual(r.timing!.firstTokenMs);
    expect(r.promptTokens).toBe(model.tokenizePrompt(PROMPT, 1).length);
    expect(model.executionProvider).toEqual({ provider: 'cpu', reason: 'CPU was asked for (device: "cpu")' });
  });
});

describe('video', () => {
  it('encodes each frame, pools with poolVideo and gives the pooled rows one placeholder', async () => {
    const other = await noisePng(60, 60, 21);
    const seen: Array<{ frames: number; tokens: number; hidden: number; features: Float32Array }> = [];
    // Video-ChatGPT order: one temporal row per frame (mean over patches), then one spatial row per patch.
    const pool = (f: Float32Array, frames: number, tokens: number, hidden: number) => {
      seen.push({ frames, tokens, hidden, features: f.slice() });
      const out = new Float32Array((frames + tokens) * hidden);
      for (let t = 0; t < frames; t++)
        for (let s = 0; s < tokens; s++)
          for (let d = 0; d < hidden; d++) {
            const v = f[(t * tokens + s) * hidden + d]!;
            out[t * hidden + d]! += v / tokens;
            out[(frames + s) * hidden + d]! += v / frames;
          }
      return out;
    };
    const withVideo = await loadOnnxModel(tinyModelDir, { device: 'cpu', poolVideo: pool, visionBatchSize: 2 });
    try {
      const r = await withVideo.complete({
        prompt: 'USER: <image>\nWhat happens? ASSISTANT:',
        images: [{ frames: [{ bytes: png }, { bytes: other }, { bytes: png }] }],
        maxNewTokens: 5,
        details: true,
      });
      expect(seen[0]).toMatchObject({ frames: 3, tokens: 16, hidden: 64 });
      const ids = withVideo.tokenizePrompt('USER: <image>\nWhat happens? ASSISTANT:', [3 + 16]);
      expect(ids.filter((id) => id === withVideo.config.imageTokenId)).toHaveLength(19);
      expect(r.promptTokens).toBe(ids.length);
      expect(r.tokenIds).toHaveLength(5);
      // Frames 1 and 3 are the same image: the same features, encoded in different vision batches.
      const [a, , c] = [0, 1, 2].map((t) => seen[0]!.features.subarray(t * 16 * 64, (t + 1) * 16 * 64));
      expect(Array.from(a!)).toEqual(Array.from(c!));

      // A one-frame video pooled to its own rows is the image itself: the same tokens.
      const identity = await loadOnnxModel(tinyModelDir, { device: 'cpu', poolVideo: (f) => f });
      const asVideo = await identity.complete({
        prompt: PROMPT,
        images: [{ frames: [{ bytes: png }] }],
        maxNewTokens: 8,
        details: true,
      });
      const asImage = await identity.complete({
        prompt: PROMPT,
        images: [{ bytes: png }],
        maxNewTokens: 8,
        details: true,
      });
      await identity.close();
      expect(asVideo.tokenIds).toEqual(asImage.tokenIds);
    } finally {
      await withVideo.close();
    }
    // The default pooling is @locvlm/video-pool's (the paper's: temporal rows, then spatial rows): the same tokens
    // as the hand-written pooling above.
    const frames = [{ bytes: png }, { bytes: await noisePng(60, 60, 21) }, { bytes: png }];
    const byHand = await loadOnnxModel(tinyModelDir, { device: 'cpu', poolVideo: pool });
    const request = { prompt: PROMPT, images: [{ frames }], maxNewTokens: 8, details: true };
    const expected = await byHand.complete(request);
    await byHand.close();
    const viaPackage = await model.complete(request);
    expect(viaPackage.tokenIds).toEqual(expected.tokenIds);
    expect(viaPackage.promptTokens).toBe(expected.promptTokens);
    const chatgpt = await loadOnnxModel(tinyModelDir, { device: 'cpu', poolVideo: VIDEO_CHATGPT_POOLING });
    const padded = await chatgpt.complete(request);
    await chatgpt.close();
    expect(padded.promptTokens).toBe(expected.promptTokens - 3 + 100);

    // Decoded RGB frames (what video-pool's extractFrames gives) are the same as their encoded images.
    const decoded = await Promise.all(
      frames.map(async (f) => {
        const { data, info } = await sharp(f.bytes).raw().toBuffer({ resolveWithObject: true });
        return { width: info.width, height: info.height, channels: 3 as const, data: new Uint8Array(data) };
      }),
    );
    const raw = await model.complete({ ...request, images: [{ frames: decoded }] });
    expect(raw.tokenIds).toEqual(expected.tokenIds);
    await expectError(
      model.complete({ ...request, images: [{ frames: [{ width: 4, height: 4, data: new Uint8Array(5) }] }] }),
      'IMAGE',
      /4x4 RGB frame needs 48 bytes, got 5/,
    );
  });
});

describe('bad input', () => {
  it('rejects an empty prompt, a placeholder/image mismatch and bad options', async () => {
    await expectError(model.complete({ prompt: '   ' }), 'BAD_INPUT', /prompt is empty/);
    await expectError(
      model.complete({ prompt: 'USER: hi <image>' }),
      'BAD_INPUT',
      /1 image placeholder\(s\) <image> but 0 image/,
    );
    await expectError(model.complete({ prompt: 'hi', maxNewTokens: 0 }), 'BAD_INPUT', /maxNewTokens/);
    await expectError(model.complete({ prompt: 'hi', topP: 0 }), 'BAD_INPUT', /topP/);
  });

  it('rejects a prompt longer than the context', async () => {
    await expectError(model.complete({ prompt: 'cat '.repeat(600) }), 'CONTEXT_LENGTH', /context is 512/);
  });

  it('refuses a prompt whose characters alone cannot fit the context before tokenizing it or decoding images', async () => {
    // 10 MB of text: tokenizing it would take minutes; the character bound answers at once, and the image (not an
    // image at all) is never looked at.
    const huge = `USER: <image>\n${'where is the cat? '.repeat(600_000)} ASSISTANT:`;
    const started = performance.now();
    await expectError(
      model.complete({ prompt: huge, images: [{ bytes: new Uint8Array([1, 2, 3]) }] }),
      'CONTEXT_LENGTH',
      /characters, at least \d+ tokens .* context is 512/,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('rejects bytes that are not an image, and missing image files, naming them', async () => {
    await expectError(
      model.complete({ prompt: PROMPT, images: [{ bytes: new TextEncoder().encode('not an image at all') }] }),
      'IMAGE',
      /cannot be decoded as an image/,
    );
    await expectError(
      model.complete({ prompt: PROMPT, images: [{ path: '/nonexistent/cat.png' }] }),
      'IMAGE',
      /\/nonexistent\/cat\.png/,
    );
    await expectError(
      model.complete({ prompt: PROMPT, images: [{ url: 'http://127.0.0.1:9/cat.png' }] }),
      'IMAGE',
      /remote image URLs are off/,
    );
  });

  it('refuses images over the pixel limit (decompression bombs)', async () => {
    const small = await loadOnnxModel(tinyModelDir, { device: 'cpu', imageLimits: { maxPixels: 1000 } });
    try {
      await expectError(small.complete({ prompt: PROMPT, images: [{ bytes: png }] }), 'IMAGE', /limit of 1000 pixels/);
    } finally {
      await small.close();
    }
  });
});

describe('broken model directories', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'locvlm-runtime-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function copy(name: string): Promise<string> {
    const target = join(dir, name);
    await cp(tinyModelDir, target, { recursive: true });
    return target;
  }

  it('names a missing directory, config or ONNX file', async () => {
    await expectError(loadOnnxModel(join(dir, 'nope')), 'MODEL_FILES', /nope/);
    const noConfig = await copy('no-config');
    await rm(join(noConfig, 'config.json'));
    await expectError(loadOnnxModel(noConfig), 'MODEL_FILES', /no-config\/config\.json/);
    const noDecoder = await copy('no-decoder');
    await rm(join(noDecoder, 'onnx', 'decoder_model_merged.onnx'));
    await expectError(loadOnnxModel(noDecoder), 'MODEL_FILES', /decoder_model_merged\.onnx is missing/);
    const noTokenizer = await copy('no-tokenizer');
    await rm(join(noTokenizer, 'tokenizer.json'));
    await expectError(loadOnnxModel(noTokenizer), 'MODEL_FILES', /no-tokenizer\/tokenizer\.json/);
  });

  it('names a corrupt ONNX file or JSON file', async () => {
    const corrupt = await copy('corrupt');
    await truncate(join(corrupt, 'onnx', 'vision_encoder.onnx'), 1000);
    await expectError(
      loadOnnxModel(corrupt, { device: 'cpu' }),
      'MODEL_FILES',
      /vision_encoder\.onnx cannot be loaded as an ONNX model/,
    );
    const badJson = await copy('bad-json');
    await writeFile(join(badJson, 'preprocessor_config.json'), '{ "size": ');
    await expectError(loadOnnxModel(badJson), 'MODEL_FILES', /preprocessor_config\.json is not valid JSON/);
  });

  it('says where config.json and the graphs disagree', async () => {
    const layers = await copy('layers');
    const config = JSON.parse(readFileSync(join(layers, 'config.json'), 'utf8'));
    config.text_config.num_hidden_layers = 3;
    await writeFile(join(layers, 'config.json'), JSON.stringify(config));
    await expectError(
      loadOnnxModel(layers, { device: 'cpu' }),
      'MODEL_CONFIG',
      /past_key_values\.2\.key.*num_hidden_layers is 3/,
    );

    const heads = await copy('heads');
    const c2 = JSON.parse(readFileSync(join(heads, 'config.json'), 'utf8'));
    c2.text_config.num_key_value_heads = 4;
    await writeFile(join(heads, 'config.json'), JSON.stringify(c2));
    await expectError(
      loadOnnxModel(heads, { device: 'cpu' }),
      'MODEL_CONFIG',
      /2 heads but config\.json says num_key_value_heads 4/,
    );

    const vocab = await copy('vocab');
    const c3 = JSON.parse(readFileSync(join(vocab, 'config.json'), 'utf8'));
    c3.text_config.vocab_size = 700;
    await writeFile(join(vocab, 'config.json'), JSON.stringify(c3));
    await expectError(loadOnnxModel(vocab, { device: 'cpu' }), 'MODEL_CONFIG', /vocab_size 700 does not fit/);
    const c4 = { ...c3, text_config: { ...c3.text_config, vocab_size: 600 } };
    await writeFile(join(vocab, 'config.json'), JSON.stringify(c4));
    const small = await loadOnnxModel(vocab, { device: 'cpu' });
    try {
      await expectError(
        small.complete({ prompt: 'USER: hi ASSISTANT:' }),
        'MODEL_CONFIG',
        /text_config\.vocab_size (is )?600/,
      );
    } finally {
      await small.close();
    }

    const patches = await copy('patches');
    const p = JSON.parse(readFileSync(join(patches, 'processor_config.json'), 'utf8'));
    p.num_additional_image_tokens = 1;
    await writeFile(join(patches, 'processor_config.json'), JSON.stringify(p));
    const m = await loadOnnxModel(patches, { device: 'cpu' });
    try {
      await expectError(
        m.complete({ prompt: PROMPT, images: [{ bytes: png }] }),
        'MODEL_CONFIG',
        /16 feature rows per image but the processor config promises 17/,
      );
    } finally {
      await m.close();
    }
  });
});
