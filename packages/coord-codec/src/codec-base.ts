import { CodecError } from './errors.js';
import type { ImageSize, Location, ParseIssue, ParseIssueCode, ParseResult } from './types.js';
import { validateImageSize, validateLocation } from './validate.js';

/** What an interpreter returns when values cannot become a location. */
export interface IssueDraft {
  code: ParseIssueCode;
  message: string;
}

export function isIssue(value: Location | IssueDraft): value is IssueDraft {
  return (value as IssueDraft).code !== undefined;
}

export function issue(code: ParseIssueCode, message: string): IssueDraft {
  return { code, message };
}

export function pushIssue(result: ParseResult, draft: IssueDraft, text: string, start: number, end: number): void {
  const found: ParseIssue = { code: draft.code, message: draft.message, start, end, text: text.slice(start, end) };
  result.issues.push(found);
}

/**
 * The validated location for encoding: returned as is on the fast path (finite, ordered, inside the image),
 * clamped when asked, otherwise a CodecError naming the bad value.
 */
export function checkedLocation(location: Location, image: ImageSize, clamp: boolean): Location {
  const w = image?.width;
  const h = image?.height;
  if (w > 0 && h > 0 && w < Number.POSITIVE_INFINITY && h < Number.POSITIVE_INFINITY && location) {
    const b = (location as { box?: number[] }).box;
    if (b !== undefined) {
      if (b.length === 4) {
        const x1 = b[0] as number;
        const y1 = b[1] as number;
        const x2 = b[2] as number;
        const y2 = b[3] as number;
        if (
          typeof x1 === 'number' &&
          typeof y1 === 'number' &&
          typeof x2 === 'number' &&
          typeof y2 === 'number' &&
          x1 >= 0 &&
          x1 <= x2 &&
          x2 <= w &&
          y1 >= 0 &&
          y1 <= y2 &&
          y2 <= h
        ) {
          return location;
        }
      }
    } else {
      const p = (location as { point?: number[] }).point;
      if (p !== undefined && p.length === 2) {
        const x = p[0] as number;
        const y = p[1] as number;
        if (typeof x === 'number' && typeof y === 'number' && x >= 0 && x <= w && y >= 0 && y <= h) return location;
      }
    }
  }
  return validateLocation(location, image, clamp);
}

/** Validates the image of a parse call without throwing: an invalid image yields no locations. */
export function imageIsValid(image: ImageSize): boolean {
  const w = image?.width;
  const h = image?.height;
  if (w > 0 && h > 0 && w < Number.POSITIVE_INFINITY && h < Number.POSITIVE_INFINITY) return true;
  try {
    validateImageSize(image);
    return true;
  } catch {
    return false;
  }
}

/** Parse results for an invalid image: one issue saying so (parsers never throw). */
export function invalidImageResult(image: ImageSize): ParseResult {
  let message = 'invalid image size';
  try {
    validateImageSize(image);
  } catch (error) {
    message = (error as Error).message;
  }
  return { locations: [], issues: [{ code: 'OUT_OF_RANGE', message, start: 0, end: 0, text: '' }] };
}

export function requireInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('BAD_INPUT', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Python's round(): halves go to the even neighbour (2.5 -> 2, 3.5 -> 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Clamp v into [lo, hi]. */
export function clampNumber(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

/** An INVALID_BOX issue when written values are out of order, undefined otherwise. */
export function orderIssue(v: ArrayLike<number>, i1: number, i2: number, name1: string, name2: string) {
  const a = v[i1] as number;
  const b = v[i2] as number;
  return b < a ? issue('INVALID_BOX', `${name2} (${b}) is less than ${name1} (${a})`) : undefined;
}
