// A hand-written scanner for bracketed number tuples in free text: "(4, 52, 13, 63)", "[0.1,0.2,0.3,0.4;0.5,...]".
// It is the hot path of parsing model answers, so it reads char codes, keeps numbers in a reused buffer and
// allocates only for what it returns.
import type { ParseIssueCode } from './types.js';

const MAX_VALUES = 64;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Receives what the scanner finds. One object per codec, reused across calls, so a parse allocates no closures. */
export interface TupleSink {
  /** Each `;`-separated run of numbers of a closed bracket group. */
  visit(values: Float64Array, count: number, start: number, end: number): void;
  /** A bracket group that never closed but held numbers. */
  partial(code: ParseIssueCode, start: number, end: number): void;
}

const values = new Float64Array(MAX_VALUES);
// Start offset in `values` and text span of each `;`-separated run of the group being read.
const runFirst = new Int32Array(MAX_VALUES + 1);
const runStart = new Int32Array(MAX_VALUES + 1);
const runEnd = new Int32Array(MAX_VALUES + 1);
const run = new Float64Array(MAX_VALUES);

let parsedEnd = 0;
let parsedValue = 0;

/** Parses a decimal number at `i` (sign, digits, optional fraction); sets parsedValue/parsedEnd, false if none. */
function readNumber(text: string, i: number, n: number): boolean {
  let j = i;
  let c = text.charCodeAt(j);
  let negative = false;
  if (c === 45 /* - */ || c === 43 /* + */) {
    negative = c === 45;
    j++;
    c = text.charCodeAt(j);
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  const first = j;
  while (j < n && c >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48);
    digits++;
    c = text.charCodeAt(++j);
  }
  if (c === 46 /* . */) {
    c = text.charCodeAt(++j);
    while (j < n && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      fraction++;
      c = text.charCodeAt(++j);
    }
  }
  if (digits === 0) return false;
  // A further '.' or a letter glued to the number ("1.2.3", "4px") makes it no plain number.
  if (c === 46 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return false;
  // Up to 15 significant digits the integer mantissa is exact, so one division gives the correctly rounded value.
  const value = digits <= 15 ? mantissa / (POW10[fraction] as number) : Number(text.slice(first, j));
  parsedValue = negative ? -value : value;
  parsedEnd = j;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 160;
}

/**
 * Visits every `(...)` / `[...]` group made only of numbers and separators (`,`, `;`, whitespace).
 * Groups holding anything else are not locations and are skipped silently; a group cut off by the end of the
 * text is reported as PARTIAL when it held a number.
 */
export function scanTuples(text: string, sink: TupleSink): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c0 = text.charCodeAt(i);
    if (c0 !== 40 && c0 !== 91) {
      i++;
      continue;
    }
    const open = i;
    const close = c0 === 40 ? 41 : 93;
    let j = i + 1;
    let count = 0;
    let runs = 0;
    runFirst[0] = 0;
    runStart[0] = j;
    let expectValue = true; // after an opening bracket or a separator
    let sawNumberSinceSep = false;
    let done = false;
    while (!done) {
      if (j >= n) {
        if (count > 0) sink.partial('PARTIAL', open, n);
        i = n;
        done = true;
        break;
      }
      const c = text.charCodeAt(j);
      if (isSpace(c)) {
        j++;
        continue;
      }
      if (c === close) {
        runEnd[runs] = j;
        runs++;
        runFirst[runs] = count;
        const single = runs === 1;
        for (let r = 0; r < runs; r++) {
          const first = runFirst[r] as number;
          const len = (runFirst[r + 1] as number) - first;
          if (len === 0) continue;
          for (let k = 0; k < len; k++) run[k] = values[first + k] as number;
          if (single) sink.visit(run, len, open, j + 1);
          else {
            // A run's span is its text between separators, without surrounding whitespace.
            let s = runStart[r] as number;
            let e = runEnd[r] as number;
            while (s < e && isSpace(text.charCodeAt(s))) s++;
            while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
            sink.visit(run, len, s, e);
          }
        }
        i = j + 1;
        done = true;
        break;
      }
      if (c === 44 /* , */) {
        if (expectValue) break; // ",," or "(," : not a tuple
        expectValue = true;
        j++;
        continue;
      }
      if (c === 59 /* ; */) {
        if (!sawNumberSinceSep) break;
        runEnd[runs] = j;
        runs++;
        runFirst[runs] = count;
        runStart[runs] = j + 1;
        expectValue = true;
        sawNumberSinceSep = false;
        j++;
        continue;
      }
      if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
        if (count >= MAX_VALUES || runs >= MAX_VALUES) break;
        if (!readNumber(text, j, n)) break;
        // Numbers separated by whitespace only are accepted too ("[4 52 13 63]").
        values[count++] = parsedValue;
        j = parsedEnd;
        expectValue = false;
        sawNumberSinceSep = true;
        continue;
      }
      break; // any other character: this group is prose, not a tuple
    }
    // Abandoned group: resume right after the opening bracket so a nested group is still found.
    if (!done) i = open + 1;
  }
}

/** Offsets of every plain number in `text` (for token-cost reports). */
export function numberSpans(text: string, from = 0, to = text.length): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    const isStart = (c >= 48 && c <= 57) || ((c === 45 || c === 43) && isDigit(text.charCodeAt(i + 1)));
    if (isStart && readNumber(text, i, to)) {
      spans.push([i, parsedEnd]);
      i = parsedEnd;
    } else i++;
  }
  return spans;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
