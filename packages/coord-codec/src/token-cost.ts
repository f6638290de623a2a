import { type CodecSpec, toCodec } from './codec.js';
import { CodecError } from './errors.js';
import type { CodecKind, ImageSize, Location } from './types.js';

/** Any tokenizer: text in, token ids out (special tokens such as BOS should not be added). */
export type TokenizeFn = (text: string) => ArrayLike<number>;

/** Options of `tokenCost`: the tokenizer and the locations to measure. */
export interface TokenCostOptions {
  tokenize: TokenizeFn;
  /** The representations to measure. */
  codecs: readonly CodecSpec[];
  /** Locations to encode, in pixels of `image`. */
  samples: readonly Location[];
  image: ImageSize;
}

/** Token counts of one representation, as `tokenCost` reports them. */
export interface TokenCost {
  kind: CodecKind;
  name: string;
  /**
   * Coordinate values written over all samples: 4 per box for most forms, 6 for a DIGA box (anchor and
   * deviations), 2 for a Kosmos-2 box (one patch index per corner).
   */
  coordinates: number;
  meanTokensPerCoordinate: number;
  maxTokensPerCoordinate: number;
  meanTokensPerLocation: number;
  maxTokensPerLocation: number;
}

/**
 * Token cost of each representation. A coordinate's cost is the number of tokens it adds in context:
 * tokens(text up to its end) - tokens(text up to its start), so a prefix-space token belongs to the separator
 * before it, not the value. With LLaMA's tokenizer (digits split) "0.0195" costs 6 and an IVB value at most 3.
 * A location's cost is the token count of its whole encoded text.
 */
export function measureTokenCost(options: TokenCostOptions): TokenCost[] {
  const { tokenize, samples, image } = options;
  if (typeof tokenize !== 'function') throw new CodecError('BAD_INPUT', 'tokenize must be a function text -> ids');
  if (samples.length === 0) throw new CodecError('BAD_INPUT', 'token cost needs at least one sample location');
  const count = (text: string) => (text.length === 0 ? 0 : tokenize(text).length);
  return options.codecs.map((spec) => {
    const codec = toCodec(spec);
    let coordinates = 0;
    let coordinateTokens = 0;
    let maxCoordinate = 0;
    let locationTokens = 0;
    let maxLocation = 0;
    for (const sample of samples) {
      const text = codec.encode(sample, image);
      const whole = count(text);
      locationTokens += whole;
      if (whole > maxLocation) maxLocation = whole;
      for (const [start, end] of codec.coordinateSpans(text)) {
        const tokens = count(text.slice(0, end)) - count(text.slice(0, start));
        coordinates++;
        coordinateTokens += tokens;
        if (tokens > maxCoordinate) maxCoordinate = tokens;
      }
    }
    return {
      kind: codec.kind,
      name: codec.name,
      coordinates,
      meanTokensPerCoordinate: coordinates === 0 ? 0 : coordinateTokens / coordinates,
      maxTokensPerCoordinate: maxCoordinate,
      meanTokensPerLocation: locationTokens / samples.length,
      maxTokensPerLocation: maxLocation,
    };
  });
}

/** Alias of `measureTokenCost`. */
export const tokensPerCoordinate = measureTokenCost;
