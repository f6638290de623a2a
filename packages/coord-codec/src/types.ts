/** An axis-aligned box in pixels of some image frame: top-left (x1, y1) and bottom-right (x2, y2). */
export type Box = [x1: number, y1: number, x2: number, y2: number];
/** A point in pixels of some image frame. For an object, LocVLM uses its box centre. */
export type Point = [x: number, y: number];

/** A location the model reads or writes. `label` carries the object name where a format has one (Qwen2.5-VL, Kosmos-2). */
export type BoxLocation = { box: Box; label?: string };
export type PointLocation = { point: Point; label?: string };
export type Location = BoxLocation | PointLocation;

/** The size of an image (or of a model's input frame) in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/** Every location-text representation this package can read and write. */
export type CodecKind = 'nfp' | 'ivb' | 'diga' | 'shikra' | 'qwen' | 'florence' | 'paligemma' | 'kosmos' | 'ferret';

/**
 * One location-text representation. Encoding validates its input and throws a `CodecError`;
 * decoding never throws on arbitrary text: what it cannot read is simply not returned.
 */
export interface Codec {
  readonly kind: CodecKind;
  /** Turn one location into text, relative to `image` (the frame its pixels live in). */
  encode(location: Location, image: ImageSize): string;
  /** Every location found in free text, in pixels of `image`. */
  decode(text: string, image: ImageSize): Location[];
}
