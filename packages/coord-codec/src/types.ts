/** An axis-aligned box in pixels of some image frame: top-left (x1, y1) and bottom-right (x2, y2). */
export type Box = [x1: number, y1: number, x2: number, y2: number];
/** A point in pixels of some image frame. For an object, LocVLM uses its box centre. */
export type Point = [x: number, y: number];

/**
 * A location the model reads or writes. `label` carries the object name where a format has one (Qwen2-VL,
 * Qwen2.5-VL, Kosmos-2).
 */
export type BoxLocation = { box: Box; label?: string };
/** A point `[x, y]` in image pixels, with an optional label. */
export type PointLocation = { point: Point; label?: string };
/** A location in image pixels: a box or a point. */
export type Location = BoxLocation | PointLocation;

/** The size of an image (or of a model's input frame) in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/** Every location-text representation this package can read and write. */
export type CodecKind =
  | 'nfp'
  | 'ivb'
  | 'diga'
  | 'shikra'
  | 'qwen'
  | 'qwen2-vl'
  | 'florence'
  | 'paligemma'
  | 'kosmos'
  | 'ferret';

/** Options every codec accepts. */
export interface CommonCodecOptions {
  /**
   * Encode: clamp a location that lies outside the image into it instead of throwing `OUT_OF_RANGE`.
   * Decode: clamp out-of-range values into range instead of reporting an `OUT_OF_RANGE` issue and dropping them.
   */
  clamp?: boolean;
}

/** NFP: normalised floating point, x / W with a fixed number of decimals (paper: 4). */
export interface NfpOptions extends CommonCodecOptions {
  kind: 'nfp';
  /** Decimals written, default 4. */
  decimals?: number;
}
/** IVB: integer value binning, floor(n_b * x / W); decoded to bin centres. */
export interface IvbOptions extends CommonCodecOptions {
  kind: 'ivb';
  /** n_b, default 224 (LocVLM-B); 336 for LocVLM-L. */
  bins?: number;
}
/** DIGA: an anchor cell of `cell` bins over the n_b space, then signed deviations of the IVB values from its centre. */
export interface DigaOptions extends CommonCodecOptions {
  kind: 'diga';
  /** n_b, default 224. */
  bins?: number;
  /** Anchor cell side in bins, default 14 (a 16x16 grid over 224, 24x24 over 336). */
  cell?: number;
}
/** Shikra: `[x1,y1,x2,y2]` normalised with 3 decimals, no spaces, several boxes joined by `;` in one bracket pair. */
export interface ShikraOptions extends CommonCodecOptions {
  kind: 'shikra';
  /** Decimals written, default 3. */
  decimals?: number;
}
/**
 * Qwen2.5-VL and Qwen3-VL: JSON `{"bbox_2d": [x1, y1, x2, y2], "label": "..."}`. Without `scale` the numbers are
 * absolute (integer) pixels of the model input (Qwen2.5-VL); with `scale` they are relative, 0..scale of the frame
 * (Qwen3-VL: `scale: 1000`).
 */
export interface QwenOptions extends CommonCodecOptions {
  kind: 'qwen';
  /** Wrap `encodeAll` output in a ```json fence as Qwen2.5-VL writes it. Default false. */
  fenced?: boolean;
  /**
   * Relative numbers, 0..scale of the frame: written round(x / W * scale) (halves to even, as Python's round),
   * read v * W / scale. An integer >= 1; 1000 for Qwen3-VL. Default: absolute pixels (Qwen2.5-VL).
   */
  scale?: number;
}
/**
 * Qwen2-VL: `<|box_start|>(x1,y1),(x2,y2)<|box_end|>`, integers 0..1000 relative to the frame, optionally preceded
 * by the referred object `<|object_ref_start|>label<|object_ref_end|>`.
 */
export interface Qwen2VlOptions extends CommonCodecOptions {
  kind: 'qwen2-vl';
}
/** Florence-2: `<loc_N>` tokens, 1000 bins per axis, x1 y1 x2 y2. */
export interface FlorenceOptions extends CommonCodecOptions {
  kind: 'florence';
}
/** PaliGemma: `<locNNNN>` tokens, 1024 values (round(v * 1023)), order y1 x1 y2 x2, optional label after. */
export interface PaligemmaOptions extends CommonCodecOptions {
  kind: 'paligemma';
}
/** Kosmos-2: `<patch_index_NNNN>` top-left and bottom-right cells of a 32x32 grid, in `<object>` wrappers. */
export interface KosmosOptions extends CommonCodecOptions {
  kind: 'kosmos';
  /** Grid cells per side, default 32. */
  grid?: number;
  /**
   * How cell indices become coordinates. `centre` (default): always the cell centre, so decode(encode(x)) is within
   * half a cell. `transformers`: exactly Hugging Face's `patch_index_to_coordinate` (whole cells when both corners
   * share a row or column, cell centres otherwise).
   */
  dequantize?: 'centre' | 'transformers';
}
/** Ferret: integers 0..999 in `[x1, y1, x2, y2]`. */
export interface FerretOptions extends CommonCodecOptions {
  kind: 'ferret';
  /**
   * `centre` (default): bin i decodes to (i + 0.5) * W / 1000. `edge`: i * W / 1000 as Ferret's own evaluation scripts do.
   */
  dequantize?: 'centre' | 'edge';
}

/** Options for `createCodec`, discriminated by `kind`. */
export type CodecOptions =
  | NfpOptions
  | IvbOptions
  | DigaOptions
  | ShikraOptions
  | QwenOptions
  | Qwen2VlOptions
  | FlorenceOptions
  | PaligemmaOptions
  | KosmosOptions
  | FerretOptions;

/** Why part of a text could not be read as a location. */
export type ParseIssueCode =
  /** A value lies outside its range (a bin >= n_b, a normalised value > 1, a pixel beyond the image). */
  | 'OUT_OF_RANGE'
  /** The values read form no valid box: x2 < x1 or y2 < y1. */
  | 'INVALID_BOX'
  /** A bracket group or token run holds a number of values that is neither a box nor a point. */
  | 'WRONG_ARITY'
  /** The text ends inside a location (an unclosed bracket, an unfinished JSON object). */
  | 'PARTIAL'
  /** A value has the wrong type for this representation (a fraction where integers are written). */
  | 'BAD_NUMBER';

/** A part of the text that looked like a location but could not be read as one. Never thrown; returned. */
export interface ParseIssue {
  code: ParseIssueCode;
  message: string;
  /** Offsets in the parsed text: text.slice(start, end) is the offending substring. */
  start: number;
  end: number;
  text: string;
}

/** A location found in text, in pixels of the image passed to the parser. */
export interface ParsedLocation {
  location: Location;
  /** Offsets in the parsed text: text.slice(start, end) === this.text. */
  start: number;
  end: number;
  text: string;
}

/** Everything a parser found in one text. */
export interface ParseResult {
  locations: ParsedLocation[];
  issues: ParseIssue[];
}

/**
 * One location-text representation. Encoding validates its input and throws a `CodecError`;
 * decoding never throws on arbitrary text: what it cannot read is simply not returned.
 */
export interface Codec {
  readonly kind: CodecKind;
  /** The resolved options, defaults filled in. */
  readonly options: Readonly<CodecOptions>;
  /** A short human name, e.g. `IVB (224 bins)`. */
  readonly name: string;
  /** Turn one location into text, relative to `image` (the frame its pixels live in). */
  encode(location: Location, image: ImageSize): string;
  /** Several locations as one text, the way this representation writes several objects. */
  encodeAll(locations: readonly Location[], image: ImageSize): string;
  /** Alias of `encodeAll`. */
  encodeMany(locations: readonly Location[], image: ImageSize): string;
  /** Every location found in free text, in pixels of `image`. Never throws on any string. */
  decode(text: string, image: ImageSize): Location[];
  /** Like `decode`, with each location's span in the text and typed issues for what could not be read. */
  parse(text: string, image: ImageSize): ParseResult;
  /**
   * The width and height in pixels of one quantisation step of this representation in `image`:
   * decode(encode(x)) is within half of it on each axis.
   */
  resolution(image: ImageSize): { x: number; y: number };
  /**
   * Offsets [start, end) of each coordinate value written in `text` as this codec encodes it
   * (numbers for tuple and JSON forms, one token each for token forms). Used for token-cost reports.
   */
  coordinateSpans(text: string): Array<[start: number, end: number]>;
}
