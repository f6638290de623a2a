import { requireInteger } from './codec-base.js';
import { CodecError } from './errors.js';
import { createQwenCodec } from './qwen.js';
import { createQwen2VlCodec } from './qwen2vl.js';
import { createFlorenceCodec, createKosmosCodec, createPaligemmaCodec } from './tokens.js';
import { createDigaCodec, createFerretCodec, createIvbCodec, createNfpCodec, createShikraCodec } from './tuple.js';
import type { Codec, CodecKind, CodecOptions } from './types.js';

/** Every codec kind, in the order of the paper and then the other grounding models. */
export const CODEC_KINDS: readonly CodecKind[] = [
  'nfp',
  'ivb',
  'diga',
  'shikra',
  'qwen',
  'qwen2-vl',
  'florence',
  'paligemma',
  'kosmos',
  'ferret',
];

/** Anything that names a codec: a codec, its options, or just its kind (defaults for the rest). */
export type CodecSpec = Codec | CodecOptions | CodecKind;

function optionalInteger(options: Record<string, unknown>, key: string, min: number, max?: number): void {
  if (options[key] !== undefined) requireInteger(`${String(options.kind)} option ${key}`, options[key], min, max);
}

function optionalChoice(options: Record<string, unknown>, key: string, choices: readonly string[]): void {
  const value = options[key];
  if (value !== undefined && !choices.includes(value as string)) {
    throw new CodecError(
      'BAD_INPUT',
      `${String(options.kind)} option ${key} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * A codec for one representation. Options are validated here (a CodecError names the bad one).
 * Examples: `createCodec({ kind: 'ivb', bins: 224 })`, `createCodec({ kind: 'nfp' })`, `createCodec('shikra')`.
 */
export function createCodec(options: CodecOptions | CodecKind): Codec {
  const o = (typeof options === 'string' ? { kind: options } : options) as CodecOptions;
  if (o === null || typeof o !== 'object') {
    throw new CodecError('BAD_INPUT', `codec options must be an object with a kind, got ${String(options)}`);
  }
  const raw = o as unknown as Record<string, unknown>;
  if (raw.clamp !== undefined && typeof raw.clamp !== 'boolean') {
    throw new CodecError(
      'BAD_INPUT',
      `${String(raw.kind)} option clamp must be true or false, got ${String(raw.clamp)}`,
    );
  }
  switch (o.kind) {
    case 'nfp':
      optionalInteger(raw, 'decimals', 1, 15);
      return createNfpCodec(o);
    case 'ivb':
      optionalInteger(raw, 'bins', 1);
      return createIvbCodec(o);
    case 'diga':
      optionalInteger(raw, 'bins', 1);
      optionalInteger(raw, 'cell', 1);
      return createDigaCodec(o);
    case 'shikra':
      optionalInteger(raw, 'decimals', 1, 15);
      return createShikraCodec(o);
    case 'qwen':
      if (raw.fenced !== undefined && typeof raw.fenced !== 'boolean') {
        throw new CodecError('BAD_INPUT', `qwen option fenced must be true or false, got ${String(raw.fenced)}`);
      }
      // Relative numbers 0..scale (Qwen3-VL: 1000) instead of pixels; a fraction or 0 would make no such grid.
      optionalInteger(raw, 'scale', 1);
      return createQwenCodec(o);
    case 'qwen2-vl':
      return createQwen2VlCodec(o);
    case 'florence':
      return createFlorenceCodec(o);
    case 'paligemma':
      return createPaligemmaCodec(o);
    case 'kosmos':
      optionalInteger(raw, 'grid', 1, 100);
      optionalChoice(raw, 'dequantize', ['centre', 'transformers']);
      return createKosmosCodec(o);
    case 'ferret':
      optionalChoice(raw, 'dequantize', ['centre', 'edge']);
      return createFerretCodec(o);
    default:
      throw new CodecError(
        'UNKNOWN_CODEC',
        `unknown codec kind ${JSON.stringify(raw.kind)}; expected one of ${CODEC_KINDS.join(', ')}`,
      );
  }
}

/** A codec from any spec; a ready codec is returned as is. */
export function toCodec(spec: CodecSpec): Codec {
  if (typeof spec === 'object' && spec !== null && typeof (spec as Codec).encode === 'function') return spec as Codec;
  return createCodec(spec as CodecOptions | CodecKind);
}
