import { CodecError } from './errors.js';
import type { ImageSize, Location } from './types.js';

/** Throws unless `image` has a positive finite width and height. */
export function validateImageSize(image: ImageSize, where = 'image'): void {
  if (image === null || typeof image !== 'object') {
    throw new CodecError('BAD_INPUT', `${where} must be { width, height }, got ${describe(image)}`);
  }
  const { width, height } = image;
  if (!(typeof width === 'number' && width > 0 && width < Number.POSITIVE_INFINITY)) {
    throw new CodecError(
      'BAD_INPUT',
      `${where} width must be a positive finite number of pixels, got ${describe(width)}`,
    );
  }
  if (!(typeof height === 'number' && height > 0 && height < Number.POSITIVE_INFINITY)) {
    throw new CodecError(
      'BAD_INPUT',
      `${where} height must be a positive finite number of pixels, got ${describe(height)}`,
    );
  }
}

const BOX_NAMES = ['x1', 'y1', 'x2', 'y2'] as const;
const POINT_NAMES = ['x', 'y'] as const;

/**
 * Checks a location against an image: finite numbers, x2 >= x1, y2 >= y1, inside [0, W] x [0, H].
 * Returns the location itself when valid, a clamped copy when `clamp` is set and it lies (partly) outside.
 * Throws `CodecError` naming the bad value otherwise.
 */
export function validateLocation(location: Location, image: ImageSize, clamp = false): Location {
  validateImageSize(image);
  const values = locationValues(location);
  const names = values.length === 4 ? BOX_NAMES : POINT_NAMES;
  const kind = values.length === 4 ? 'box' : 'point';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new CodecError(
        'BAD_INPUT',
        `${kind} ${names[i]} must be a finite number, got ${describe(v)} in ${describeLocation(location)}`,
      );
    }
  }
  if (values.length === 4) {
    const [x1, y1, x2, y2] = values as [number, number, number, number];
    if (x2 < x1) {
      throw new CodecError('BAD_INPUT', `box x2 (${x2}) is less than x1 (${x1}) in ${describeLocation(location)}`);
    }
    if (y2 < y1) {
      throw new CodecError('BAD_INPUT', `box y2 (${y2}) is less than y1 (${y1}) in ${describeLocation(location)}`);
    }
  }
  let outside = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const limit = i % 2 === 0 ? image.width : image.height;
    if (v < 0 || v > limit) {
      outside = i;
      break;
    }
  }
  if (outside < 0) return location;
  if (!clamp) {
    const limit = outside % 2 === 0 ? `width ${image.width}` : `height ${image.height}`;
    throw new CodecError(
      'OUT_OF_RANGE',
      `${kind} ${names[outside]} (${values[outside]}) is outside the image (${limit}) in ${describeLocation(location)}; pass clamp: true to clamp it`,
    );
  }
  return clampLocation(location, image);
}

/** The location with every coordinate clamped into [0, W] x [0, H]. Labels are kept. */
export function clampLocation<L extends Location>(location: L, image: ImageSize): L {
  const { width: w, height: h } = image;
  if ('box' in location) {
    const [x1, y1, x2, y2] = location.box;
    return { ...location, box: [clampTo(x1, w), clampTo(y1, h), clampTo(x2, w), clampTo(y2, h)] };
  }
  const [x, y] = location.point;
  return { ...location, point: [clampTo(x, w), clampTo(y, h)] };
}

/** True when every coordinate lies within [0, W] x [0, H]. */
export function isInside(location: Location, image: ImageSize): boolean {
  const values = locationValues(location);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v >= 0 && v <= (i % 2 === 0 ? image.width : image.height))) return false;
  }
  return true;
}

function clampTo(v: number, limit: number): number {
  return v < 0 ? 0 : Math.min(v, limit);
}

function locationValues(location: Location): readonly unknown[] {
  if (location !== null && typeof location === 'object') {
    if ('box' in location && Array.isArray(location.box) && location.box.length === 4) return location.box;
    if ('point' in location && Array.isArray(location.point) && location.point.length === 2) return location.point;
  }
  throw new CodecError(
    'BAD_INPUT',
    `a location must be { box: [x1, y1, x2, y2] } or { point: [x, y] }, got ${describeLocation(location)}`,
  );
}

/** The centre of a box, or the point itself: LocVLM's point for an object. */
export function locationCentre(location: Location): [number, number] {
  if ('box' in location) {
    const [x1, y1, x2, y2] = location.box;
    return [(x1 + x2) / 2, (y1 + y2) / 2];
  }
  return [location.point[0], location.point[1]];
}

/** `{ point: centre }` for a box (label kept), the point itself otherwise. */
export function toPoint(location: Location): Location {
  if ('point' in location) return location;
  const point = locationCentre(location);
  return location.label === undefined ? { point } : { point, label: location.label };
}

export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeLocation(location: unknown): string {
  if (location !== null && typeof location === 'object') {
    const l = location as { box?: unknown; point?: unknown };
    const values = Array.isArray(l.box) ? l.box : Array.isArray(l.point) ? l.point : undefined;
    if (values) return `{ ${Array.isArray(l.box) ? 'box' : 'point'}: [${values.map(describe).join(', ')}] }`;
  }
  return describe(location);
}
