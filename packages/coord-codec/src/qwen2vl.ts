// Qwen2-VL: "<|object_ref_start|>cat<|object_ref_end|><|box_start|>(20,234),(59,283)<|box_end|>", integers 0..1000
// relative to the image (Qwen2-VL report, sec. 2.2.1: "normalized within [0, 1000)", written
// "(X_top left,Y_top left),(X_bottom right,Y_bottom right)", no spaces). Several boxes of one referred object follow
// each other with no separator and the reference written once, as in ms-swift's Qwen2-VL grounding data. A point
// "<|box_start|>(x,y)<|box_end|>" is this package's extension: Qwen2-VL's grounding writes boxes only (UI agents
// built on it write clicks this way).
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
import { CodecError } from './errors.js';
import { numberSpans, scanTuples } from './scan.js';
import type { Codec, ImageSize, Location, ParseResult, Qwen2VlOptions } from './types.js';

const BOX_START = '<|box_start|>';
const BOX_END = '<|box_end|>';
const REF_START = '<|object_ref_start|>';
const REF_END = '<|object_ref_end|>';
const MARKERS = [BOX_START, BOX_END, REF_START, REF_END];
const SCALE = 1000;

/** Every offset where `needle` occurs, in order (one pass, so parsing stays linear). */
function allIndices(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) found.push(i);
  return found;
}

/**
 * Each <|box_start|> with the offset of the next one (or the text's end) and of the <|box_end|> closing it before
 * that, -1 when none does. Two passes of indexOf and one merge: linear however many unclosed starts there are.
 */
function pairTokens(text: string): Array<{ start: number; next: number; close: number }> {
  const starts = allIndices(text, BOX_START);
  const ends = allIndices(text, BOX_END);
  const pairs: Array<{ start: number; next: number; close: number }> = [];
  let e = 0;
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k] as number;
    const next = k + 1 < starts.length ? (starts[k + 1] as number) : text.length;
    while (e < ends.length && (ends[e] as number) < start) e++;
    const close = e < ends.length && (ends[e] as number) < next ? (ends[e] as number) : -1;
    pairs.push({ start, next, close });
  }
  return pairs;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Separators allowed between the numbers of a box body: "(20,234),(59,283)", "(20, 234), (59, 283)". */
function isSeparator(c: number): boolean {
  return isSpace(c) || c === 44 /* , */ || c === 40 /* ( */ || c === 41 /* ) */ || c === 91 /* [ */ || c === 93;
}

function onlySpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

/** The numbers of a box body text[from, to), or an issue when it holds anything but integers and separators. */
function bodyValues(text: string, from: number, to: number): number[] | IssueDraft {
  const values: number[] = [];
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSeparator(c)) {
      i++;
      continue;
    }
    let j = c === 45 /* - */ || c === 43 /* + */ ? i + 1 : i;
    const digits = j;
    while (j < to && isDigit(text.charCodeAt(j))) j++;
    let fraction = false;
    if (j > digits && j < to && text.charCodeAt(j) === 46 /* . */) {
      const after = ++j;
      while (j < to && isDigit(text.charCodeAt(j))) j++;
      fraction = j > after;
    }
    if (j === digits || (j < to && !isSeparator(text.charCodeAt(j)))) {
      return issue('BAD_NUMBER', 'the box holds something other than integer coordinates');
    }
    if (fraction) return issue('BAD_NUMBER', `${text.slice(i, j)} is not an integer`);
    // + 0 turns "-0" into 0; a run of digits too long for a double becomes Infinity, refused as out of range.
    values.push(Number(text.slice(i, j)) + 0);
    i = j;
  }
  return values;
}

/** Values 0..1000 as a location in pixels of `image` (v * W / 1000), or why they are none. */
function interpret(values: number[], image: ImageSize, clamp: boolean): Location | IssueDraft {
  const count = values.length;
  if (count !== 4 && count !== 2) {
    return issue('WRONG_ARITY', `${count} values are neither a box (4) nor a point (2)`);
  }
  for (let k = 0; k < count; k++) {
    const v = values[k] as number;
    if (!(v >= 0 && v <= SCALE)) {
      if (!clamp) return issue('OUT_OF_RANGE', `${v} is outside 0..${SCALE}`);
      values[k] = clampNumber(v, 0, SCALE);
    }
  }
  if (count === 4) {
    const bad = orderIssue(values, 0, 2, 'x1', 'x2') ?? orderIssue(values, 1, 3, 'y1', 'y2');
    if (bad) return bad;
  }
  // Multiplying first: for an integer size the product is exact, so only the division rounds.
  const out = values.map((v, k) => (v * (k % 2 === 0 ? image.width : image.height)) / SCALE);
  return count === 2
    ? { point: [out[0] as number, out[1] as number] }
    : { box: out as [number, number, number, number] };
}

export function createQwen2VlCodec(options: Qwen2VlOptions): Codec {
  const clamp = options.clamp ?? false;
  // round(x / W * 1000) in this order and with Python's rounding (halves to even), as ms-swift's norm1000 writes
  // Qwen2-VL training targets; x <= W keeps it within 0..1000.
  const q = (v: number, size: number) => roundHalfEven((v / size) * SCALE);
  const ref = (label: unknown) => {
    if (label === undefined || label === '') return '';
    if (typeof label !== 'string' || MARKERS.some((m) => label.includes(m))) {
      throw new CodecError(
        'BAD_INPUT',
        `qwen2-vl label must be a string without ${MARKERS.join(' / ')}, got ${JSON.stringify(label)}`,
      );
    }
    return `${REF_START}${label}${REF_END}`;
  };
  const box = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      return `${BOX_START}(${q(b[0], w)},${q(b[1], h)}),(${q(b[2], w)},${q(b[3], h)})${BOX_END}`;
    }
    return `${BOX_START}(${q(l.point[0], w)},${q(l.point[1], h)})${BOX_END}`;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) => {
    let text = '';
    let previous: string | undefined;
    for (let i = 0; i < locations.length; i++) {
      const l = checkedLocation(locations[i] as Location, image, clamp);
      // A run of boxes of the same object names it once, as Qwen2-VL writes several matches of one reference.
      const same = i > 0 && l.label !== undefined && l.label === previous;
      text += (same ? '' : ref(l.label)) + box(l, image);
      previous = l.label;
    }
    return text;
  };

  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    if (typeof text !== 'string' || text.length === 0) return result;
    if (!imageIsValid(image)) return invalidImageResult(image);
    // Spans read as boxes (or as broken ones), in order: bare tuples inside them are not read again.
    const taken: Array<[number, number]> = [];
    // A reference is looked for only after the previous box, so each stretch of text is searched once.
    let boundary = 0;
    let runEnd = -1;
    let runLabel: string | undefined;
    for (const { start: s, next, close } of pairTokens(text)) {
      // The referred object right before the box: <|object_ref_start|>label<|object_ref_end|>, spaces allowed.
      let start = s;
      let label: string | undefined;
      let p = s;
      while (p > boundary && isSpace(text.charCodeAt(p - 1))) p--;
      if (p - REF_END.length >= boundary && text.startsWith(REF_END, p - REF_END.length)) {
        const labelEnd = p - REF_END.length;
        const open = text.slice(boundary, labelEnd).lastIndexOf(REF_START);
        if (open >= 0) {
          start = boundary + open;
          const written = text.slice(start + REF_START.length, labelEnd).trim();
          if (written !== '') label = written;
        }
      }
      // A box right after a box of the same reference carries its label (ms-swift: "<bbox><bbox>" for one ref).
      if (label === undefined && start === s && runEnd >= 0 && onlySpace(text, runEnd, s)) label = runLabel;
      if (close < 0) {
        const message =
          next === text.length
            ? 'the text ends before <|box_end|>'
            : '<|box_start|> is not closed before the next <|box_start|>';
        pushIssue(result, issue('PARTIAL', message), text, start, next);
        taken.push([start, next]);
        boundary = next;
        runEnd = -1;
        continue;
      }
      const end = close + BOX_END.length;
      taken.push([start, end]);
      boundary = end;
      runEnd = end;
      runLabel = label;
      const values = bodyValues(text, s + BOX_START.length, close);
      const found = Array.isArray(values) ? interpret(values, image, clamp) : values;
      if (isIssue(found)) {
        pushIssue(result, found, text, start, end);
        continue;
      }
      if (label !== undefined) found.label = label;
      result.locations.push({ location: found, start, end, text: text.slice(start, end) });
    }
    // Without its special tokens (decoded with skip_special_tokens=True, as the Qwen2-VL quickstart does) a box
    // is left as "(x1,y1),(x2,y2)": read such pairs of 2-tuples too. A lone "(x, y)" outside the tokens is prose.
    const before = result.locations.length + result.issues.length;
    let t = 0;
    let pending: [number, number, number, number] | undefined; // x, y, start, end of an unpaired "(x, y)"
    scanTuples(text, {
      visit(v, count, start, end) {
        while (t < taken.length && (taken[t] as [number, number])[1] <= start) t++;
        if (t < taken.length && (taken[t] as [number, number])[0] <= start) return;
        if (count !== 2 || text.charCodeAt(start) !== 40 /* ( */) {
          pending = undefined;
          return;
        }
        const x = v[0] as number;
        const y = v[1] as number;
        if (pending === undefined || !pairSeparator(text, pending[3], start)) {
          pending = [x, y, start, end];
          return;
        }
        const [x1, y1, first] = pending;
        pending = undefined;
        const values = [x1, y1, x, y];
        const found = values.every(Number.isInteger)
          ? interpret(values, image, clamp)
          : issue('BAD_NUMBER', `(${x1}, ${y1}), (${x}, ${y}) are not integer coordinates`);
        if (isIssue(found)) pushIssue(result, found, text, first, end);
        else result.locations.push({ location: found, start: first, end, text: text.slice(first, end) });
      },
      partial() {
        // An unclosed bracket outside the tokens is not this format's; the tokens report their own PARTIAL.
      },
    });
    if (result.locations.length + result.issues.length > before) {
      result.locations.sort((a, b) => a.start - b.start);
      result.issues.sort((a, b) => a.start - b.start);
    }
    return result;
  };

  return {
    kind: 'qwen2-vl',
    name: 'Qwen2-VL (<|box_start|>, 0-1000)',
    options: { kind: 'qwen2-vl', clamp },
    encode: (location, image) => {
      const l = checkedLocation(location, image, clamp);
      return ref(l.label) + box(l, image);
    },
    encodeAll,
    encodeMany: encodeAll,
    parse,
    decode: (text, image) => parse(text, image).locations.map((l) => l.location),
    resolution: ({ width, height }) => ({ x: width / SCALE, y: height / SCALE }),
    coordinateSpans(text) {
      // Only the numbers inside <|box_start|>...<|box_end|>, not digits of a label.
      const spans: Array<[number, number]> = [];
      for (const { start, close } of pairTokens(text)) {
        if (close >= 0) spans.push(...numberSpans(text, start + BOX_START.length, close));
      }
      return spans;
    },
  };
}

/** Whether text[from, to) is what separates the two points of a bare box: spaces and at most one comma. */
function pairSeparator(text: string, from: number, to: number): boolean {
  let commas = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) commas++;
    else if (!isSpace(c)) return false;
  }
  return commas <= 1;
}
