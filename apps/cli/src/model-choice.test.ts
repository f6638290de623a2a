import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VisionLanguageModel } from '@locvlm/runtime';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from './io.js';
import {
  addModelFlags,
  BUNDLED_MODEL_DIR,
  BUNDLED_MODEL_NAME,
  chooseModel,
  concurrencyOf,
  defaultModelDir,
  isBundledModelDir,
  modelFlagsGiven,
  nameBundledModel,
  openModel,
  REPOSITORY_MODEL_DIR,
  resolveCodec,
} from './model-choice.js';

/** Parse argv with the model flags of a batch command that also has a judge, as eval does. */
function parse(...argv: string[]): Record<string, unknown> {
  const command = new Command().exitOverride();
  addModelFlags(command, { locations: false, concurrency: 4 });
  addModelFlags(command, { prefix: 'judge', role: 'the judge' });
  return command.parse(argv, { from: 'user' }).opts();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('model flags', () => {
  it('reads a pool of endpoints, trims /v1 and takes the API key from $OPENAI_API_KEY', () => {
    vi.stubEnv('OPENAI_API_KEY', 'from-env');
    const flags = parse('--endpoint', 'http://a:8000/v1/', '--endpoint', 'http://b:8000', '--model-name', 'llava');
    expect(chooseModel(flags)).toEqual({
      kind: 'openai',
      endpoints: ['http://a:8000', 'http://b:8000'],
      modelName: 'llava',
      apiKey: 'from-env',
    });
    expect(chooseModel({ ...flags, apiKey: 'flag' })).toMatchObject({ apiKey: 'flag' });
    expect(concurrencyOf(flags)).toBe(4);
  });

  it('a local directory, or the default model when no flag is given', () => {
    expect(chooseModel(parse('--model', 'models/x'))).toEqual({ kind: 'onnx', dir: 'models/x' });
    const places = [BUNDLED_MODEL_DIR, REPOSITORY_MODEL_DIR];
    const present = places.find((dir) => existsSync(join(dir, 'config.json')));
    if (present) expect(chooseModel(parse())).toEqual({ kind: 'onnx', dir: present });
    else expect(() => chooseModel(parse())).toThrow(/no bundled model .*; pass --model DIR/);
  });

  it('the default model is the bundled copy in dist/ (next to the bundle), else the repository model', () => {
    const root = mkdtempSync(join(tmpdir(), 'locvlm-default-model-'));
    try {
      const [bundled, repository] = ['bundled', 'repository'].map((name) => join(root, name));
      expect(() => defaultModelDir([bundled!, repository!])).toThrow(
        new CliError(
          `no bundled model (looked in ${bundled}, ${repository}); pass --model DIR (a model directory in the ` +
            "runtime's ONNX layout) or --endpoint URL --model-name NAME (an OpenAI-compatible server)",
        ),
      );
      mkdirSync(repository!);
      writeFileSync(join(repository!, 'config.json'), '{}');
      expect(defaultModelDir([bundled!, repository!])).toBe(repository);
      mkdirSync(bundled!);
      writeFileSync(join(bundled!, 'config.json'), '{}');
      expect(defaultModelDir([bundled!, repository!])).toBe(bundled);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // Both from src/*.ts and from dist/bin.js the bundled copy is <package>/dist/model.
    expect(BUNDLED_MODEL_DIR).toBe(fileURLToPath(new URL('../dist/model/', import.meta.url)));
    expect(REPOSITORY_MODEL_DIR).toMatch(/apps[/\\]shapes-lab[/\\]model[/\\]$/);
  });

  it('the codec: --codec, else locvlm.codec in config.json, else the fallback the command names', async () => {
    const root = mkdtempSync(join(tmpdir(), 'locvlm-codec-'));
    try {
      writeFileSync(join(root, 'config.json'), JSON.stringify({ model_type: 'llava', locvlm: {} }));
      expect((await resolveCodec({ model: root })).options).toMatchObject({ kind: 'ivb', bins: 224 });
      expect((await resolveCodec({ model: root }, { fallback: 'ivb:bins=32' })).options).toMatchObject({ bins: 32 });
      writeFileSync(join(root, 'config.json'), JSON.stringify({ locvlm: { codec: 'ivb:bins=16' } }));
      expect((await resolveCodec({ model: root }, { fallback: 'ivb:bins=32' })).options).toMatchObject({ bins: 16 });
      expect((await resolveCodec({ model: root, codec: 'shikra' })).options).toMatchObject({ kind: 'shikra' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('--dtype: one dtype, or one per graph, for a local model', () => {
    expect(chooseModel(parse('--model', 'd', '--dtype', 'q4'))).toEqual({ kind: 'onnx', dir: 'd', dtype: 'q4' });
    expect(chooseModel(parse('--model', 'd', '--dtype', 'vision_encoder=fp16,decoder_model_merged=q8'))).toEqual({
      kind: 'onnx',
      dir: 'd',
      dtype: { vision_encoder: 'fp16', decoder_model_merged: 'q8' },
    });
    expect(chooseModel(parse('--judge-model', 'j', '--judge-dtype', 'fp16'), { prefix: 'judge' })).toEqual({
      kind: 'onnx',
      dir: 'j',
      dtype: 'fp16',
    });
  });

  it('a prefix gives a second model its own flags', () => {
    const flags = parse('--model', 'm', '--judge-endpoint', 'http://j:1', '--judge-model-name', 'judge');
    expect(modelFlagsGiven(flags, 'judge')).toBe(true);
    expect(modelFlagsGiven(parse('--model', 'm'), 'judge')).toBe(false);
    expect(chooseModel(flags, { prefix: 'judge' })).toMatchObject({ endpoints: ['http://j:1'], modelName: 'judge' });
    expect(chooseModel(parse('--judge-model', 'j'), { prefix: 'judge' })).toEqual({ kind: 'onnx', dir: 'j' });
  });

  it('refuses bad combinations with one line naming the flags', () => {
    const cases: Array<[string[], string, string?]> = [
      [
        ['--model', 'd', '--endpoint', 'http://a', '--model-name', 'm'],
        'give either --model DIR or --endpoint URL, not both',
      ],
      [['--model-name', 'm'], '--model-name goes with --endpoint (a local --model has its own)'],
      [['--endpoint', 'http://a'], '--endpoint needs --model-name NAME (the model the server serves)'],
      [
        ['--judge-endpoint', 'http://a'],
        '--judge-endpoint needs --judge-model-name NAME (the model the server serves)',
        'judge',
      ],
      [
        ['--judge-model', 'd', '--judge-endpoint', 'http://a', '--judge-model-name', 'm'],
        'give either --judge-model DIR or --judge-endpoint URL, not both',
        'judge',
      ],
      [
        ['--dtype', 'q4', '--endpoint', 'http://a', '--model-name', 'm'],
        '--dtype goes with a local --model (a server chooses its own weights)',
      ],
      [
        ['--model', 'd', '--dtype', 'q5'],
        '--dtype: unknown dtype "q5"; expected one of auto, fp32, fp16, int8, uint8, q8, q4, q2, q1, q4f16, q2f16, q1f16, bnb4',
      ],
    ];
    for (const [argv, message, prefix] of cases) {
      const flags = parse(...argv);
      expect(() => chooseModel(flags, prefix ? { prefix } : {}), argv.join(' ')).toThrow(new CliError(message));
    }
    for (const bad of ['0', '-2', '1.5', 'x']) {
      expect(() => concurrencyOf(parse('--concurrency', bad))).toThrow(
        `--concurrency ${JSON.stringify(bad)}: must be a positive integer`,
      );
    }
  });

  it('opens one OpenAI-compatible model over all the endpoints', async () => {
    const model = await openModel(
      parse('--endpoint', 'http://a:1', '--endpoint', 'http://b:2', '--model-name', 'llava') as never,
    );
    expect(model.id).toBe('http://a:1,http://b:2#llava');
    await model.close();
  });

  it('the bundled model goes by locvlm-shapes-tiny (with the #dtype suffix), other models by their id', () => {
    const fake = (id: string): VisionLanguageModel => ({ id, generate: vi.fn(), stream: vi.fn(), close: vi.fn() });
    for (const dir of [BUNDLED_MODEL_DIR, REPOSITORY_MODEL_DIR]) {
      expect(nameBundledModel(fake(dir), dir).id).toBe(BUNDLED_MODEL_NAME);
      expect(nameBundledModel(fake(`${dir}#q8`), dir).id).toBe(`${BUNDLED_MODEL_NAME}#q8`);
      expect(isBundledModelDir(dir.replace(/\/$/, ''))).toBe(true);
    }
    expect(nameBundledModel(fake('/models/llava'), '/models/llava').id).toBe('/models/llava');
  });
});
