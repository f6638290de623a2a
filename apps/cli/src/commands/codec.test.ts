import { describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';
import { parseCodecSpec } from './codec.js';

async function locvlm(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  // Like the process streams: every write ends a line.
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = { out: (t) => out.push(line(t)), err: (t) => err.push(line(t)) };
  const code = await run(argv, io);
  return { code, out: out.join('').trimEnd(), err: err.join('').trimEnd() };
}

describe('locvlm codec encode', () => {
  it('writes the paper worked example', async () => {
    const ivb = await locvlm(
      'codec',
      'encode',
      '--kind',
      'ivb',
      '--bins',
      '224',
      '--size',
      '512x512',
      '--box',
      '10,120,30,145',
    );
    expect(ivb).toEqual({ code: 0, out: '(4, 52, 13, 63)', err: '' });
    const nfp = await locvlm('codec', 'encode', '-k', 'nfp', '-s', '512x512', '-b', '10,120,30,145');
    expect(nfp.out).toBe('(0.0195, 0.2344, 0.0586, 0.2832)');
    const diga = await locvlm(
      'codec',
      'encode',
      '-k',
      'diga',
      '-s',
      '512x512',
      '-b',
      '10,120,30,145',
      '--point',
      '20,132.5',
    );
    expect(diga.out).toBe('(0, 4, -3, -11, 6, 0), (0, 4, 1, -6)');
  });
  it('prints JSON with --json and maps through a frame', async () => {
    const { code, out } = await locvlm(
      'codec',
      'encode',
      '--kind',
      'ivb:bins=336',
      '--size',
      '640x480',
      '--frame',
      'llava-336',
      '--box',
      '10,20,30,40',
      '--json',
    );
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.frameSize).toEqual({ width: 336, height: 336 });
    expect(json.inFrame[0].box).toEqual([5.25, 52.5, 15.75, 63]);
    expect(json.text).toBe('(5, 52, 15, 63)');
  });
});

describe('locvlm codec decode', () => {
  it('prints locations in pixels and warns about partial text', async () => {
    const { code, out, err } = await locvlm(
      'codec',
      'decode',
      '--kind',
      'ivb',
      '--size',
      '224x224',
      'It is located at (4, 52, 13, 63) and (1, 2',
    );
    expect(code).toBe(0);
    expect(out).toBe('box 4.5 52.5 13.5 63.5');
    expect(err).toMatch(/^warning: PARTIAL: .* "\(1, 2"\)$/);
  });
  it('maps back to the original image through the frame', async () => {
    const { out } = await locvlm(
      'codec',
      'decode',
      '--kind',
      'shikra',
      '--size',
      '640x480',
      '--frame',
      'pad-square',
      '--json',
      '[0.100,0.200,0.300,0.400]',
    );
    const json = JSON.parse(out);
    expect(json.locations[0].location).toEqual({ box: [64, 48, 192, 176] });
    expect(json.locations[0].text).toBe('[0.100,0.200,0.300,0.400]');
    expect(json.issues).toEqual([]);
  });
});

describe('locvlm codec convert', () => {
  it('converts Shikra to IVB in LLaVA-1.5 padded square', async () => {
    const { code, out } = await locvlm(
      'codec',
      'convert',
      '--from',
      'shikra',
      '--to',
      'ivb',
      '--size',
      '640x480',
      '--frame',
      'pad-square',
      '[0.100,0.200,0.300,0.400]',
    );
    expect(code).toBe(0);
    expect(out).toBe('(22, 44, 67, 89)');
    const json = JSON.parse(
      (
        await locvlm(
          'codec',
          'convert',
          '--from',
          'ivb',
          '--to',
          'qwen',
          '--size',
          '512x512',
          '--json',
          '(4, 52, 13, 63)',
        )
      ).out,
    );
    expect(json.text).toBe('[{"bbox_2d": [10, 120, 31, 145]}]');
  });
});

describe('bad input', () => {
  it('x2 < x1: exit code 2 and a one-line message naming the value, no stack', async () => {
    const { code, out, err } = await locvlm(
      'codec',
      'encode',
      '--kind',
      'ivb',
      '--size',
      '512x512',
      '--box',
      '30,120,10,145',
    );
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe('error: box x2 (10) is less than x1 (30) in { box: [30, 120, 10, 145] }');
  });
  it('--verbose adds the stack', async () => {
    const { code, err } = await locvlm(
      'codec',
      'encode',
      '--kind',
      'ivb',
      '--size',
      '512x0',
      '--box',
      '1,2,3,4',
      '--verbose',
    );
    expect(code).toBe(2);
    expect(err).toMatch(/^error: --size "512x0" width and height must be positive\nCliError: .*\n\s+at /s);
  });
  it('unknown kinds, malformed flags and missing options are refused', async () => {
    expect((await locvlm('codec', 'encode', '--kind', 'yolo', '--size', '1x1', '--box', '0,0,1,1')).err).toMatch(
      /unknown codec kind; expected one of nfp, ivb/,
    );
    const box = await locvlm('codec', 'encode', '--kind', 'ivb', '--size', '9x9', '--box', '1,2,3');
    expect(box.code).toBe(2);
    expect(box.err).toMatch(/--box "1,2,3" must be 4 comma-separated numbers/);
    const missing = await locvlm('codec', 'encode', '--size', '9x9');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/required option '-k, --kind <kind>' not specified/);
    expect(
      (await locvlm('codec', 'convert', '--from', 'ivb', '--to', 'nfp', '--size', '9x9', '--frame', 'square', '(1, 2)'))
        .err,
    ).toMatch(/unknown frame/);
  });
  it('--help exits 0', async () => {
    const { code, out } = await locvlm('codec', 'encode', '--help');
    expect(code).toBe(0);
    expect(out).toMatch(/--box <x1,y1,x2,y2>/);
  });
});

describe('parseCodecSpec', () => {
  it('reads kind:key=value lists', () => {
    expect(parseCodecSpec('ivb:bins=336,clamp=true')).toEqual({ kind: 'ivb', bins: 336, clamp: true });
    expect(parseCodecSpec('kosmos:dequantize=transformers')).toEqual({ kind: 'kosmos', dequantize: 'transformers' });
    expect(() => parseCodecSpec('ivb:bins')).toThrow(/options must be key=value/);
  });
});
