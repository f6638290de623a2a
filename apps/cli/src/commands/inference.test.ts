import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import { loadOnnxModel } from '@locvlm/runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRegion } from '../location-tasks.js';
import { type ChatCompletionServer, createChatCompletionServer } from '../server/chat-server.js';
import { GatedModel, locvlm, runtimeFixture, shapesPng, tinyModelDir } from '../test-helpers.js';

let dir: string;
let scene: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'locvlm-cli-'));
  scene = join(dir, 'scene.png');
  await writeFile(scene, await shapesPng(160, 120));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('locvlm ask | locate | describe on the tiny local model', () => {
  it('ask prints the answer (exit 0) and --json gives the answer and the image size', async () => {
    const text = await locvlm('ask', '--model', tinyModelDir, '--image', scene, '--max-tokens', '6', 'What is this?');
    expect(text.code).toBe(0);
    expect(text.out.length).toBeGreaterThan(0);
    const json = await locvlm(
      'ask',
      '--model',
      tinyModelDir,
      '--image',
      scene,
      '--max-tokens',
      '6',
      '--json',
      'What is this?',
    );
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out);
    expect(parsed).toMatchObject({ question: 'What is this?', imageSize: { width: 160, height: 120 } });
    // Greedy decoding: streaming and non-streaming give the same answer.
    expect(parsed.answer).toBe(text.out.split('\n')[0]);
  });

  it("locate asks the paper's LocPred question", async () => {
    const result = await locvlm(
      'locate',
      '--model',
      tinyModelDir,
      '--image',
      scene,
      '--max-tokens',
      '6',
      '--json',
      'red circle',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({
      object: 'red circle',
      question: 'Where is the object described red circle located in image in terms of (x1,y1,x2,y2) bbox?',
      codec: { kind: 'ivb', bins: 224 },
    });
  });

  it("describe writes the box in the model's frame (pad to square, resize to 56) with the codec", async () => {
    const model = await loadOnnxModel(tinyModelDir);
    const codec = createCodec({ kind: 'ivb', bins: 224 });
    const result = await describeRegion(model, {
      image: new Uint8Array(await readFile(scene)),
      box: [10, 20, 100, 120],
      codec,
      maxNewTokens: 4,
    });
    await model.close();
    // 160x120 padded to 160x160 (20 px above), then scaled by 56/160: (3.5, 14, 35, 49) in a 56x56 frame.
    const expected = codec.encode({ box: [3.5, 14, 35, 49] }, { width: 56, height: 56 });
    expect(result.locationText).toBe(expected);
    expect(result.question).toBe(`Describe the object located at ${expected}?`);
    const cli = await locvlm(
      'describe',
      '--model',
      tinyModelDir,
      '--image',
      scene,
      '--box',
      '10,20,100,120',
      '--max-tokens',
      '4',
      '--json',
    );
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.out)).toMatchObject({ locationText: expected, box: [10, 20, 100, 120] });
  });

  it("takes the codec from the model's config.json (locvlm.codec) unless --codec says otherwise", async () => {
    const copy = join(dir, 'model-with-codec');
    await cp(tinyModelDir, copy, { recursive: true });
    const config = JSON.parse(await readFile(join(copy, 'config.json'), 'utf8'));
    await writeFile(join(copy, 'config.json'), JSON.stringify({ ...config, locvlm: { codec: 'ivb:bins=32' } }));
    const fromConfig = await locvlm('locate', '--model', copy, '--image', scene, '--max-tokens', '2', '--json', 'cat');
    expect(JSON.parse(fromConfig.out).codec).toMatchObject({ kind: 'ivb', bins: 32 });
    const fromFlag = await locvlm(
      'locate',
      '--model',
      copy,
      '--image',
      scene,
      '--max-tokens',
      '2',
      '--json',
      '--codec',
      'shikra',
      'cat',
    );
    expect(JSON.parse(fromFlag.out).codec).toMatchObject({ kind: 'shikra' });
    await writeFile(join(copy, 'config.json'), JSON.stringify({ ...config, locvlm: { codec: 'ivb:bins=zero' } }));
    const bad = await locvlm('locate', '--model', copy, '--image', scene, '--json', 'cat');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/config\.json locvlm\.codec/);
  });

  it('bad input exits with code 2 and a message naming it', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['describe', '--model', tinyModelDir, '--image', scene, '--box', '1,2,3'],
        /--box "1,2,3": expected x1,y1,x2,y2/,
      ],
      [['describe', '--model', tinyModelDir, '--image', scene, '--box', '10,10,500,50'], /inside the 160x120 image/],
      [['ask', '--model', tinyModelDir, '--image', join(dir, 'missing.png'), 'q'], /--image .*missing\.png/],
      [['ask', '--model', join(dir, 'no-model'), '--image', scene, 'q'], /no-model/],
      [['ask', '--endpoint', 'http://127.0.0.1:9', '--image', scene, 'q'], /--endpoint needs --model-name/],
      [
        [
          'ask',
          '--model',
          tinyModelDir,
          '--endpoint',
          'http://127.0.0.1:9',
          '--model-name',
          'm',
          '--image',
          scene,
          'q',
        ],
        /^error: give either --model DIR or --endpoint URL, not both$/,
      ],
      [
        ['ask', '--model', tinyModelDir, '--model-name', 'm', '--image', scene, 'q'],
        /--model-name goes with --endpoint/,
      ],
      [['ask', '--model', tinyModelDir, '--api-key', 'k', '--image', scene, 'q'], /--api-key goes with --endpoint/],
      [['locate', '--model', tinyModelDir, '--image', scene, '--codec', 'nope', 'cat'], /unknown codec kind/],
      [['ask', '--model', tinyModelDir, '--image', scene, '--max-tokens', '0', 'q'], /--max-tokens "0"/],
    ];
    for (const [argv, message] of cases) {
      const result = await locvlm(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err).toMatch(message);
    }
  });

  it('an image that fails to decode in the model names the file (a truncated PNG), for every command', async () => {
    const png = await shapesPng(320, 240);
    const truncated = join(dir, 'truncated.png');
    // The header is intact (so the size check passes); the pixel data stops at 60%.
    await writeFile(truncated, png.subarray(0, Math.floor(png.length * 0.6)));
    for (const argv of [
      ['ask', 'What is this?'],
      ['locate', 'red circle'],
      ['describe', '--box', '10,10,50,50'],
    ]) {
      const [command, ...rest] = argv as [string, ...string[]];
      const result = await locvlm(command, '--model', tinyModelDir, '--image', truncated, '--max-tokens', '2', ...rest);
      expect(result.code, command).toBe(2);
      expect(result.err.startsWith(`error: --image ${truncated}: image bytes (`), result.err).toBe(true);
      expect(result.err).toMatch(/cannot be decoded as an image/);
    }
  });

  it('every command has --help', async () => {
    for (const command of ['ask', 'locate', 'describe', 'serve', 'studio']) {
      const result = await locvlm(command, '--help');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/--model <dir>/);
    }
  });
});

describe('locvlm locate against an OpenAI-compatible endpoint', () => {
  let server: ChatCompletionServer;
  let url: string;
  beforeAll(async () => {
    // A model that always answers with a known location, to check parsing, mapping and drawing end to end.
    server = createChatCompletionServer(new GatedModel('It is located at (40, 60, 180, 200)', true), { port: 0 });
    url = await server.listen();
  });
  afterAll(() => server.close(0));

  it('parses the answer into image pixels and draws it with --draw', async () => {
    const out = join(dir, 'drawn.png');
    const result = await locvlm(
      'locate',
      '--endpoint',
      url,
      '--model-name',
      'gated-model',
      '--image',
      scene,
      '--json',
      '--draw',
      out,
      'blue square',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    // A remote model answers in the original image's frame: IVB bins of 224 over 160x120.
    const expected = createCodec({ kind: 'ivb', bins: 224 }).decode('(40, 60, 180, 200)', { width: 160, height: 120 });
    expect(json.locations).toEqual([{ ...expected[0], text: '(40, 60, 180, 200)' }]);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([160, 120, 'png']);
    // The box outline is drawn in the highlight colour where the original was white.
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const box = expected[0] && 'box' in expected[0] ? expected[0].box : [0, 0, 0, 0];
    const x = Math.round(((box[0] ?? 0) + (box[2] ?? 0)) / 2);
    const y = Math.round(box[1] ?? 0);
    const i = (y * info.width + x) * info.channels;
    expect([data[i], data[i + 1], data[i + 2]]).toEqual([255, 45, 85]);
  });

  it('text output lists each location and ask streams from the server', async () => {
    const located = await locvlm(
      'locate',
      '--endpoint',
      url,
      '--model-name',
      'gated-model',
      '--image',
      scene,
      'blue square',
    );
    expect(located.code).toBe(0);
    expect(located.out).toMatch(
      /^It is located at \(40, 60, 180, 200\)\nbox [\d.]+,[\d.]+,[\d.]+,[\d.]+ {2}\(from "\(40, 60, 180, 200\)"\)$/,
    );
    const asked = await locvlm('ask', '--endpoint', url, '--model-name', 'gated-model', '--image', scene, 'Where?');
    expect(asked.code).toBe(0);
    expect(asked.out.split('\n')[0]).toBe('It is located at (40, 60, 180, 200)');
  });

  it('--codec shikra --frame pad-square reads a LLaVA-1.5-style answer back to original pixels', async () => {
    const shikra = createChatCompletionServer(new GatedModel('[0.100,0.200,0.300,0.400]', true), { port: 0 });
    const shikraUrl = await shikra.listen();
    const argv = ['--endpoint', shikraUrl, '--model-name', 'gated-model', '--image', scene, '--json'];
    const result = await locvlm('locate', ...argv, '--codec', 'shikra', '--frame', 'pad-square', 'cat');
    await shikra.close(0);
    expect(result.code).toBe(0);
    // 160x120 padded to 160x160 (20 px on top): (16, 32, 48, 64) in the square is (16, 12, 48, 44) in the image.
    const [location] = JSON.parse(result.out).locations;
    expect(location.box.map((v: number) => Math.round(v * 1000) / 1000)).toEqual([16, 12, 48, 44]);
    const bad = await locvlm('locate', ...argv, '--frame', 'fisheye', 'cat');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--frame "fisheye": unknown frame/);
  });
});

describe('exported layouts and dtypes (the runtime fixtures) with --dtype', () => {
  const cases: Array<[string, string[]]> = [
    ['tiny-llava', ['fp32', 'fp16', 'q8', 'q4']],
    ['tiny-llava-qwen2', ['fp16', 'q8', 'q4']],
    ['tiny-llava-qwen2-external', ['q4']],
    ['tiny-llava-qwen2-fp16io', ['fp16']],
    ['tiny-fastvlm', ['fp32', 'q4']],
    ['tiny-llava-onevision', ['fp32', 'q4']],
  ];
  for (const [fixture, dtypes] of cases) {
    for (const dtype of dtypes) {
      it(`${fixture} --dtype ${dtype}: ask, locate and describe answer`, async () => {
        const model = ['--model', runtimeFixture(fixture), '--dtype', dtype, '--image', scene, '--max-tokens', '4'];
        const asked = await locvlm('ask', ...model, '--json', 'Is there a red circle in the image?');
        expect(asked.err).toBe('');
        expect(asked.code).toBe(0);
        expect(JSON.parse(asked.out)).toMatchObject({ imageSize: { width: 160, height: 120 } });
        const located = await locvlm('locate', ...model, '--json', 'red circle');
        expect(located.code).toBe(0);
        expect(JSON.parse(located.out)).toMatchObject({ object: 'red circle' });
        // A box inside the centre, which every family's crop keeps (FastVLM's centre crop drops the sides).
        const described = await locvlm('describe', ...model, '--box', '60,30,100,90', '--json');
        expect(described.code).toBe(0);
        expect(JSON.parse(described.out)).toHaveProperty('answer');
      }, 60_000);
    }
  }

  it('a dtype the directory lacks exits 2 naming the file and the dtypes present', async () => {
    const result = await locvlm(
      'ask',
      '--model',
      runtimeFixture('tiny-llava-qwen2'),
      '--dtype',
      'q4f16',
      '--image',
      scene,
      'What is this?',
    );
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /tiny-llava-qwen2\/onnx\/vision_encoder_q4f16\.onnx is missing \(dtype q4f16, asked for\); vision_encoder is present as fp32, fp16, q8, q4/,
    );
  });
});

describe('families transformers.js runs (Florence-2, Qwen-VL) through the same commands', () => {
  it('locate asks Florence-2 its own grounding task and reads its <loc_N> boxes in photo pixels', async () => {
    const result = await locvlm(
      'locate',
      '--model',
      runtimeFixture('tiny-florence2-scripted'),
      '--image',
      scene,
      '--max-tokens',
      '16',
      '--json',
      'cat',
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json).toMatchObject({ question: '<CAPTION_TO_PHRASE_GROUNDING>cat', codec: { kind: 'florence' } });
    // The scripted answer: cat<loc_100><loc_200><loc_500><loc_700>dog<loc_600><loc_50><loc_999><loc_999>, bin centres of
    // the 160x120 photo (Florence-2 stretches it, so each axis scales on its own).
    const boxes = json.locations.map((l: { box: number[] }) => l.box);
    expect(boxes[0]).toEqual([100.5 * 0.16, 200.5 * 0.12, 500.5 * 0.16, 700.5 * 0.12].map((v) => expect.closeTo(v, 9)));
    expect(json.locations.map((l: { label?: string }) => l.label)).toEqual(['cat', 'dog']);
  }, 60_000);

  it('describe writes the region as Florence-2 tokens in its own RevLoc task', async () => {
    const result = await locvlm(
      'describe',
      '--model',
      runtimeFixture('tiny-florence2-scripted'),
      '--image',
      scene,
      '--box',
      '16,24,80,84',
      '--max-tokens',
      '16',
      '--json',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json.question).toBe('<REGION_TO_DESCRIPTION><loc_100><loc_200><loc_500><loc_700>');
    expect(json.locationText).toBe('<loc_100><loc_200><loc_500><loc_700>');
  }, 60_000);

  it('ask on a Qwen2.5-VL export reads its JSON box in photo pixels by default (no --codec)', async () => {
    const result = await locvlm(
      'ask',
      '--model',
      runtimeFixture('tiny-qwen2.5-vl-scripted'),
      '--image',
      scene,
      '--max-tokens',
      '48',
      '--json',
      'Where is the cat?',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json.answer).toBe('{"bbox_2d": [4, 6, 20, 24], "label": "cat"}');
    expect(json.locations).toHaveLength(1);
    expect(json.locations[0]).toMatchObject({ label: 'cat' });
  }, 60_000);

  it('a directory of a family nobody runs exits 2 listing the families supported', async () => {
    const dir2 = join(dir, 'blip2');
    await cp(tinyModelDir, dir2, { recursive: true });
    const config = JSON.parse(await readFile(join(dir2, 'config.json'), 'utf8'));
    await writeFile(join(dir2, 'config.json'), JSON.stringify({ ...config, model_type: 'blip2' }));
    const result = await locvlm('ask', '--model', dir2, '--image', scene, 'What is this?');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/model_type "blip2" is not supported; supported families: llava, .*florence2, qwen2_vl/);
  });
});
