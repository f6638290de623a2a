// Qwen2.5-VL and Qwen3-VL: JSON objects {"bbox_2d": [x1, y1, x2, y2], "label": "..."} (or "point_2d": [x, y]),
// usually a JSON list inside a ```json fence. Bare [x1, y1, x2, y2] tuples are read too. Qwen2.5-VL writes absolute
// pixels of the model input; Qwen3-VL writes the same JSON relative to the image, 0..1000 (option `scale`).
import {
  checkedLocation,
  clampNumber,
  type IssueDraft,
  imageIsValid,
  invalidImageResult,
  isIssue,
  issue,
  orderIssue,
  pushIssue,
  roundHalfEven,
} from './codec-base.js';
import { numberSpans, scanTuples } from './scan.js';
import type { Codec, ImageSize, Location, ParseResult, QwenOptions } from './types.js';

/** Index of the bracket closing the one at `open` (strings and escapes respected), or -1 (also past `limit`). */
export function matchClose(text: string, open: number, limit = text.length): number {
  const stack: number[] = [];
  let inString = false;
  const end = Math.min(text.length, limit);
  for (let i = open; i < end; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */) stack.push(125);
    else if (c === 91 /* [ */) stack.push(93);
    else if (c === 125 || c === 93) {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/**
 * Numbers read from the text as a location in pixels of `image`: absolute pixels when `scale` is undefined,
 * otherwise relative values 0..scale (v * W / scale).
 */
function valuesInterpret(
  values: ArrayLike<number>,
  count: number,
  image: ImageSize,
  clamp: boolean,
  scale: number | undefined,
) {
  if (count !== 4 && count !== 2) {
    return count < 2 ? undefined : issue('WRONG_ARITY', `${count} values are neither a box (4) nor a point (2)`);
  }
  const v = Array.from({ length: count }, (_, k) => values[k] as number);
  for (let k = 0; k < count; k++) {
    const x = v[k] as number;
    if (typeof x !== 'number' || !Number.isFinite(x)) return issue('BAD_NUMBER', `${String(x)} is not a number`);
    const limit = scale ?? (k % 2 === 0 ? image.width : image.height);
    if (x < 0 || x > limit) {
      if (!clamp) return issue('OUT_OF_RANGE', `${x} is outside 0..${limit}${scale === undefined ? ' pixels' : ''}`);
      v[k] = clampNumber(x, 0, limit);
    }
  }
  const order = count === 4 ? (orderIssue(v, 0, 2, 'x1', 'x2') ?? orderIssue(v, 1, 3, 'y1', 'y2')) : undefined;
  if (order) return order;
  if (scale !== undefined) {
    // v * W / scale, multiplying first: for an integer size the product is exact, so only the division rounds.
    for (let k = 0; k < count; k++) v[k] = ((v[k] as number) * (k % 2 === 0 ? image.width : image.height)) / scale;
  }
  if (count === 2) return { point: [v[0], v[1]] } as Location;
  return { box: [v[0], v[1], v[2], v[3]] } as Location;
}

function fromObject(
  value: unknown,
  image: ImageSize,
  clamp: boolean,
  scale: number | undefined,
): Location | IssueDraft | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const coords = record.bbox_2d ?? record.point_2d;
  if (coords === undefined) return undefined;
  if (!Array.isArray(coords)) return issue('BAD_NUMBER', 'bbox_2d / point_2d is not a list of numbers');
  const wanted = record.bbox_2d !== undefined ? 4 : 2;
  if (coords.length !== wanted) {
    return issue('WRONG_ARITY', `${record.bbox_2d !== undefined ? 'bbox_2d' : 'point_2d'} has ${coords.length} values`);
  }
  const found = valuesInterpret(coords as number[], wanted, image, clamp, scale);
  if (found === undefined || isIssue(found)) return found;
  if (typeof record.label === 'string') found.label = record.label;
  return found;
}

export function createQwenCodec(options: QwenOptions): Codec {
  const clamp = options.clamp ?? false;
  const fenced = options.fenced ?? false;
  const scale = options.scale;
  // Integer pixels, never past the last whole pixel of the frame (so the text always decodes back). Relative:
  // round(x / W * scale) in the order and with the rounding (halves to even) of ms-swift's norm1000, which writes
  // Qwen3-VL training targets; x <= W keeps it within 0..scale.
  const px =
    scale === undefined
      ? (v: number, limit: number) => {
          const r = Math.round(v);
          return r > limit ? Math.floor(limit) : r;
        }
      : (v: number, size: number) => roundHalfEven((v / size) * scale);
  const one = (l: Location, { width: w, height: h }: ImageSize) => {
    const label = l.label === undefined ? '' : `, "label": ${JSON.stringify(l.label)}`;
    if ('box' in l) {
      const b = l.box;
      return `{"bbox_2d": [${px(b[0], w)}, ${px(b[1], h)}, ${px(b[2], w)}, ${px(b[3], h)}]${label}}`;
    }
    return `{"point_2d": [${px(l.point[0], w)}, ${px(l.point[1], h)}]${label}}`;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) => {
    const items = locations.map((l) => one(checkedLocation(l, image, clamp), image));
    return fenced ? `\`\`\`json\n[\n\t${items.join(',\n\t')}\n]\n\`\`\`` : `[${items.join(', ')}]`;
  };
  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    if (typeof text !== 'string' || text.length === 0) return result;
    if (!imageIsValid(image)) return invalidImageResult(image);
    const taken: Array<[number, number]> = [];
    // Each '{' is matched by its own scan; a budget keeps adversarial text ("{{{{...") from going quadratic.
    let budget = 64 * text.length + 100_000;
    let i = text.indexOf('{');
    while (i >= 0 && budget > 0) {
      const close = matchClose(text, i, i + budget);
      budget -= (close < 0 ? text.length : close) - i + 1;
      if (close < 0) {
        const rest = text.slice(i);
        if (rest.includes('"bbox_2d"') || rest.includes('"point_2d"')) {
          pushIssue(result, issue('PARTIAL', 'the JSON object ends before it is complete'), text, i, text.length);
          taken.push([i, text.length]);
          break;
        }
        i = text.indexOf('{', i + 1);
        continue;
      }
      let value: unknown;
      let parsed = false;
      try {
        value = JSON.parse(text.slice(i, close + 1));
        parsed = true;
      } catch {
        // not JSON: look for objects further in
      }
      const found = parsed ? fromObject(value, image, clamp, scale) : undefined;
      if (found === undefined) {
        i = text.indexOf('{', i + 1);
        continue;
      }
      if (isIssue(found)) pushIssue(result, found, text, i, close + 1);
      else result.locations.push({ location: found, start: i, end: close + 1, text: text.slice(i, close + 1) });
      taken.push([i, close + 1]);
      i = text.indexOf('{', close + 1);
    }
    // Bare pixel tuples outside the objects already read.
    scanTuples(text, {
      visit(values, count, start, end) {
        for (const [a, b] of taken) if (start >= a && start < b) return;
        const found = valuesInterpret(values, count, image, clamp, scale);
        if (found === undefined) return;
        if (isIssue(found)) pushIssue(result, found, text, start, end);
        else result.locations.push({ location: found, start, end, text: text.slice(start, end) });
      },
      partial(code, start, end) {
        for (const [a, b] of taken) if (start >= a && start < b) return;
        pushIssue(result, issue(code, 'the text ends before this location is complete'), text, start, end);
      },
    });
    if (taken.length > 0 && result.locations.length > 1) result.locations.sort((a, b) => a.start - b.start);
    return result;
  };
  return {
    kind: 'qwen',
    name:
      scale === undefined
        ? 'Qwen2.5-VL (JSON, pixels)'
        : scale === 1000
          ? 'Qwen3-VL (JSON, 0-1000)'
          : `Qwen-VL JSON (relative, 0-${scale})`,
    options: scale === undefined ? { kind: 'qwen', fenced, clamp } : { kind: 'qwen', fenced, clamp, scale },
    encode: (location, image) => one(checkedLocation(location, image, clamp), image),
    encodeAll,
    encodeMany: encodeAll,
    parse,
    decode: (text, image) => parse(text, image).locations.map((l) => l.location),
    resolution: ({ width, height }) => (scale === undefined ? { x: 1, y: 1 } : { x: width / scale, y: height / scale }),
    coordinateSpans(text) {
      // Only the numbers inside the coordinate lists, not digits of a label.
      const spans: Array<[number, number]> = [];
      const re = /"(?:bbox|point)_2d"\s*:\s*\[([^\]]*)\]/g;
      for (const m of text.matchAll(re)) {
        const from = (m.index ?? 0) + m[0].indexOf('[');
        spans.push(...numberSpans(text, from, from + m[0].length - m[0].indexOf('[')));
      }
      return spans;
    },
  };
}
