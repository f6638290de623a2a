import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from './io.js';
import {
  addModelFlags,
  BUNDLED_MODEL_DIR,
  chooseModel,
  concurrencyOf,
  modelFlagsGiven,
  openModel,
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

  it('a local directory, or the bundled model when no flag is given', () => {
    expect(chooseModel(parse('--model', 'models/x'))).toEqual({ kind: 'onnx', dir: 'models/x' });
    // The bundled model is trained by @locvlm/shapes-lab; without it, the error says what to pass.
    if (existsSync(join(BUNDLED_MODEL_DIR, 'config.json')))
      expect(chooseModel(parse())).toEqual({ kind: 'onnx', dir: BUNDLED_MODEL_DIR });
    else expect(() => chooseModel(parse())).toThrow(/no bundled model at .*; pass --model DIR/);
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
});
