import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { CODEC_KINDS, type Location, measureTokenCost, tokensPerCoordinate } from './index.js';

// The hand-made LLaMA-style tokenizer (fixtures/make-tokenizer.ts): digits are single tokens, byte fallback.
const dir = new URL('../fixtures/llama-mini/', import.meta.url);
const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(new URL('tokenizer.json', dir), 'utf8')),
  JSON.parse(readFileSync(new URL('tokenizer_config.json', dir), 'utf8')),
);
const tokenize = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;

const image = { width: 512, height: 512 };
const cat: Location = { box: [10, 120, 30, 145] };
// A spread of boxes, including ones whose IVB values have 1, 2 and 3 digits.
const samples: Location[] = [cat, { box: [0, 0, 512, 512] }, { box: [100, 200, 300, 400] }, { box: [500, 3, 511, 60] }];

describe('token cost per coordinate', () => {
  it('the fixture is LLaMA-like: digits are single tokens, unknown characters fall back to bytes', () => {
    expect(tokenizer.encode('0.0195', { add_special_tokens: false }).tokens).toEqual([
      '▁',
      '0',
      '.',
      '0',
      '1',
      '9',
      '5',
    ]);
    expect(tokenizer.encode('é', { add_special_tokens: false }).tokens).toEqual(['▁', '<0xC3>', '<0xA9>']);
    expect(tokenizer.decode(tokenize('It is at (4, 52, 13, 63)'))).toBe('It is at (4, 52, 13, 63)');
  });
  it('"0.0195" costs 6 tokens in NFP text; an IVB value at most 3', () => {
    const [nfp, ivb, diga] = measureTokenCost({
      tokenize,
      codecs: ['nfp', { kind: 'ivb', bins: 224 }, { kind: 'diga', bins: 224 }],
      samples: [cat],
      image,
    });
    expect(nfp).toMatchObject({ kind: 'nfp', coordinates: 4, meanTokensPerCoordinate: 6, maxTokensPerCoordinate: 6 });
    // (4, 52, 13, 63): 1 + 2 + 2 + 2 digits.
    expect(ivb).toMatchObject({
      kind: 'ivb',
      coordinates: 4,
      meanTokensPerCoordinate: 7 / 4,
      maxTokensPerCoordinate: 2,
    });
    // (0, 4, -3, -11, 6, 0): the sign is a token of its own.
    expect(diga).toMatchObject({ kind: 'diga', coordinates: 6, maxTokensPerCoordinate: 3 });
    expect(diga!.meanTokensPerCoordinate).toBeCloseTo(9 / 6, 10);
    const [ivbMany] = tokensPerCoordinate({ tokenize, codecs: [{ kind: 'ivb', bins: 224 }], samples, image });
    expect(ivbMany!.maxTokensPerCoordinate).toBe(3);
  });
  it('reports every representation', () => {
    const report = measureTokenCost({ tokenize, codecs: CODEC_KINDS, samples, image });
    expect(report.map((r) => r.kind)).toEqual([...CODEC_KINDS]);
    for (const row of report) {
      // DIGA writes 6 values per box; a Kosmos-2 patch index stands for a whole corner (x and y).
      expect(row.coordinates).toBe(row.kind === 'diga' ? 24 : row.kind === 'kosmos' ? 8 : 16);
      expect(row.meanTokensPerCoordinate).toBeGreaterThan(0);
      expect(row.maxTokensPerLocation).toBeGreaterThanOrEqual(row.meanTokensPerLocation);
    }
    const byKind = Object.fromEntries(report.map((r) => [r.kind, r]));
    expect(byKind.nfp!.meanTokensPerCoordinate).toBeGreaterThan(byKind.ivb!.meanTokensPerCoordinate);
  });
  it('refuses an empty sample list', () => {
    expect(() => measureTokenCost({ tokenize, codecs: ['ivb'], samples: [], image })).toThrow(/at least one sample/);
  });
});
