import { type CodecSpec, toCodec } from './codec.js';
import type { Codec, CodecOptions, ImageSize, Location, ParseResult } from './types.js';

// Codecs built from options objects are kept per object so a parse loop does not rebuild them.
const built = new WeakMap<object, Codec>();
const byKind = new Map<string, Codec>(); // by kind or by JSON of the options

function codecFor(spec: CodecSpec): Codec {
  if (typeof spec === 'string') {
    let codec = byKind.get(spec);
    if (!codec) {
      codec = toCodec(spec);
      byKind.set(spec, codec);
    }
    return codec;
  }
  if (typeof (spec as Codec).encode === 'function') return spec as Codec;
  let codec = built.get(spec as CodecOptions);
  if (!codec) {
    // Options written inline at each call are new objects every time: share codecs by their content too.
    const key = JSON.stringify(spec);
    codec = byKind.get(key);
    if (!codec) {
      codec = toCodec(spec);
      if (byKind.size < 256) byKind.set(key, codec);
    }
    built.set(spec as CodecOptions, codec);
  }
  return codec;
}

/**
 * Every location in a model's free-text answer, in pixels of `image`, with its span in the text, plus typed
 * issues for text that looked like a location but was partial, out of range or malformed.
 * Never throws on any `text` (a bad `spec` is a programming error and does throw a CodecError).
 */
export function parseLocations(text: string, spec: CodecSpec, image: ImageSize): ParseResult {
  return codecFor(spec).parse(text, image);
}

/** Only the locations of `parseLocations`. */
export function decodeLocations(text: string, spec: CodecSpec, image: ImageSize): Location[] {
  return codecFor(spec).decode(text, image);
}
