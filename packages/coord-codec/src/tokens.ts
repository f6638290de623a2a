// Codecs that write locations as special tokens: Florence-2 <loc_N>, PaliGemma <locNNNN>, Kosmos-2 <patch_index_NNNN>.
import {
  checkedLocation,
  clampNumber,
  type IssueDraft,
  imageIsValid,
  invalidImageResult,
  isIssue,
  issue,
  pushIssue,
} from './codec-base.js';
import type {
  Codec,
  FlorenceOptions,
  ImageSize,
  KosmosOptions,
  Location,
  PaligemmaOptions,
  ParseResult,
} from './types.js';

/** floor(n * x / size), the last bin for x == size (Florence-2's BoxQuantizer 'floor' mode with clamp). */
function floorBin(x: number, size: number, bins: number): number {
  const b = Math.floor((bins * x) / size);
  return b >= bins ? bins - 1 : b;
}

interface TokenRun {
  values: number[];
  /** Where each token starts. */
  starts: number[];
  start: number;
  end: number;
}

/** Consecutive tokens matched by `re` (whitespace allowed between them), in order. */
function tokenRuns(text: string, re: RegExp): TokenRun[] {
  const runs: TokenRun[] = [];
  let current: TokenRun | undefined;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const value = Number(m[1]);
    if (current && onlySpace(text, current.end, m.index)) {
      current.values.push(value);
      current.starts.push(m.index);
      current.end = m.index + m[0].length;
    } else {
      current = { values: [value], starts: [m.index], start: m.index, end: m.index + m[0].length };
      runs.push(current);
    }
  }
  return runs;
}

function onlySpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

function tokenCodecBase(
  parse: (text: string, image: ImageSize) => ParseResult,
  spanRe: RegExp,
): Pick<Codec, 'decode' | 'parse' | 'coordinateSpans'> {
  return {
    parse(text, image) {
      if (typeof text !== 'string' || text.length === 0) return { locations: [], issues: [] };
      if (!imageIsValid(image)) return invalidImageResult(image);
      return parse(text, image);
    },
    decode(text, image) {
      return this.parse(text, image).locations.map((l) => l.location);
    },
    coordinateSpans(text) {
      const spans: Array<[number, number]> = [];
      for (const m of text.matchAll(spanRe)) spans.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
      return spans;
    },
  };
}

function checkRange(values: number[], max: number, clamp: boolean): IssueDraft | undefined {
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (v > max) {
      if (!clamp) return issue('OUT_OF_RANGE', `token value ${v} is outside 0..${max}`);
      values[k] = clampNumber(v, 0, max);
    }
  }
  return undefined;
}

function ordered(box: [number, number, number, number]): IssueDraft | undefined {
  if (box[2] < box[0]) return issue('INVALID_BOX', `x2 (${box[2]}) is less than x1 (${box[0]})`);
  if (box[3] < box[1]) return issue('INVALID_BOX', `y2 (${box[3]}) is less than y1 (${box[1]})`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Florence-2: "label<loc_x1><loc_y1><loc_x2><loc_y2>", 1000 bins per axis; quantise with floor, dequantise to the
// bin centre ((i + 0.5) * W / 1000), as Florence-2's processor (BoxQuantizer) and transformers.js do.

const FLORENCE_RE = /<loc_(\d{1,4})>/g;

export function createFlorenceCodec(options: FlorenceOptions): Codec {
  const bins = 1000;
  const clamp = options.clamp ?? false;
  const one = (l: Location, { width: w, height: h }: ImageSize) => {
    const label = l.label ?? '';
    if ('box' in l) {
      const b = l.box;
      return `${label}<loc_${floorBin(b[0], w, bins)}><loc_${floorBin(b[1], h, bins)}><loc_${floorBin(b[2], w, bins)}><loc_${floorBin(b[3], h, bins)}>`;
    }
    return `${label}<loc_${floorBin(l.point[0], w, bins)}><loc_${floorBin(l.point[1], h, bins)}>`;
  };
  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    const sx = image.width / bins;
    const sy = image.height / bins;
    let previousEnd = 0;
    let lastLabel: string | undefined;
    for (const run of tokenRuns(text, FLORENCE_RE)) {
      // Like transformers.js: the label is the text right before the tokens (back to the last '>'); a box
      // without one repeats the previous label.
      const before = text.slice(previousEnd, run.start);
      const cut = before.lastIndexOf('>');
      const label = (cut >= 0 ? before.slice(cut + 1) : before).trim();
      if (label !== '') lastLabel = label;
      previousEnd = run.end;
      const n = run.values.length;
      if (n !== 2 && n % 4 !== 0) {
        pushIssue(
          result,
          issue('WRONG_ARITY', `${n} <loc_N> tokens are neither boxes (4 each) nor a point (2)`),
          text,
          run.start,
          run.end,
        );
        continue;
      }
      const bad = checkRange(run.values, bins - 1, clamp);
      if (bad) {
        pushIssue(result, bad, text, run.start, run.end);
        continue;
      }
      const v = run.values;
      if (n === 2) {
        const location: Location = { point: [((v[0] as number) + 0.5) * sx, ((v[1] as number) + 0.5) * sy] };
        if (lastLabel !== undefined) location.label = lastLabel;
        result.locations.push({ location, start: run.start, end: run.end, text: text.slice(run.start, run.end) });
        continue;
      }
      for (let k = 0; k < n; k += 4) {
        const box: [number, number, number, number] = [
          ((v[k] as number) + 0.5) * sx,
          ((v[k + 1] as number) + 0.5) * sy,
          ((v[k + 2] as number) + 0.5) * sx,
          ((v[k + 3] as number) + 0.5) * sy,
        ];
        const start = run.starts[k] as number;
        const end = k + 4 < n ? (run.starts[k + 4] as number) : run.end;
        const bad2 = ordered(box);
        if (bad2) {
          pushIssue(result, bad2, text, start, end);
          continue;
        }
        const location: Location = { box };
        if (lastLabel !== undefined) location.label = lastLabel;
        result.locations.push({ location, start, end, text: text.slice(start, end) });
      }
    }
    return result;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) =>
    locations.map((l) => one(checkedLocation(l, image, clamp), image)).join('');
  return {
    kind: 'florence',
    name: 'Florence-2 (<loc_N>, 1000 bins)',
    options: { kind: 'florence', clamp },
    encode: (location, image) => one(checkedLocation(location, image, clamp), image),
    encodeAll,
    encodeMany: encodeAll,
    resolution: ({ width, height }) => ({ x: width / bins, y: height / bins }),
    ...tokenCodecBase(parse, FLORENCE_RE),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// PaliGemma: "<loc{y1}><loc{x1}><loc{y2}><loc{x2}> label", several joined by " ; ". big_vision writes
// round(v * 1023) of the normalised value (clipped to 0..1023) and reads index / 1023 back, so decode(encode(x))
// is within half of W/1023.

const PALIGEMMA_RE = /<loc(\d{4})>/g;
const PALIGEMMA_SEG_RE = /(?:\s*<seg\d{3}>)*/y;

export function createPaligemmaCodec(options: PaligemmaOptions): Codec {
  const scale = 1023;
  const clamp = options.clamp ?? false;
  const q = (x: number, size: number) => {
    const v = Math.round((x / size) * scale);
    return `<loc${String(Math.min(v, scale)).padStart(4, '0')}>`;
  };
  const one = (l: Location, { width: w, height: h }: ImageSize) => {
    const label = l.label === undefined ? '' : ` ${l.label}`;
    if ('box' in l) return `${q(l.box[1], h)}${q(l.box[0], w)}${q(l.box[3], h)}${q(l.box[2], w)}${label}`;
    return `${q(l.point[1], h)}${q(l.point[0], w)}${label}`;
  };
  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    const sx = image.width / scale;
    const sy = image.height / scale;
    for (const run of tokenRuns(text, PALIGEMMA_RE)) {
      const n = run.values.length;
      if (n !== 4 && n !== 2) {
        pushIssue(
          result,
          issue('WRONG_ARITY', `${n} <locNNNN> tokens are neither a box (4) nor a point (2)`),
          text,
          run.start,
          run.end,
        );
        continue;
      }
      const bad = checkRange(run.values, scale, clamp);
      if (bad) {
        pushIssue(result, bad, text, run.start, run.end);
        continue;
      }
      // The label runs from after the tokens (and any <segNNN> mask tokens) to ';', '<' or the end.
      let end = run.end;
      PALIGEMMA_SEG_RE.lastIndex = end;
      const segs = PALIGEMMA_SEG_RE.exec(text);
      if (segs) end += segs[0].length;
      let stop = end;
      while (stop < text.length) {
        const c = text.charCodeAt(stop);
        if (c === 59 /* ; */ || c === 60 /* < */ || c === 10 /* \n */) break;
        stop++;
      }
      const rawLabel = text.slice(end, stop);
      const label = rawLabel.trim();
      const v = run.values;
      let location: Location;
      if (n === 2) location = { point: [(v[1] as number) * sx, (v[0] as number) * sy] };
      else {
        const box: [number, number, number, number] = [
          (v[1] as number) * sx,
          (v[0] as number) * sy,
          (v[3] as number) * sx,
          (v[2] as number) * sy,
        ];
        const bad2 = ordered(box);
        if (bad2) {
          pushIssue(result, bad2, text, run.start, run.end);
          continue;
        }
        location = { box };
      }
      if (label !== '') {
        location.label = label;
        end += rawLabel.trimEnd().length;
      }
      result.locations.push({ location, start: run.start, end, text: text.slice(run.start, end) });
    }
    return result;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) =>
    locations.map((l) => one(checkedLocation(l, image, clamp), image)).join(' ; ');
  return {
    kind: 'paligemma',
    name: 'PaliGemma (<locNNNN>, y x order)',
    options: { kind: 'paligemma', clamp },
    encode: (location, image) => one(checkedLocation(location, image, clamp), image),
    encodeAll,
    encodeMany: encodeAll,
    resolution: ({ width, height }) => ({ x: width / scale, y: height / scale }),
    ...tokenCodecBase(parse, PALIGEMMA_RE),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Kosmos-2: "<phrase>label</phrase><object><patch_index_UL><patch_index_LR></object>" on a 32x32 grid.
// Encoding is Hugging Face's coordinate_to_patch_index: ul = floor(x1 * n), lr = ceil(x2 * n - 1) (normalised x);
// lr is kept >= ul so a zero-size box on a cell border stays valid. Several boxes of one phrase are joined by
// "</delimiter_of_multi_objects/>". A point is written as one index: "<object><patch_index_N></object>" (an
// extension: Kosmos-2 itself writes boxes only).

const KOSMOS_RE = /<patch_index_(\d{4})>/g;
// The body may not contain another <object>, so an unclosed one cannot make matching quadratic.
const KOSMOS_OBJECT_RE = /(?:<phrase>([^<]*)<\/phrase>\s*)?<object>((?:(?!<object>)[\s\S])*?)<\/object>/g;
const KOSMOS_DELIMITER = '</delimiter_of_multi_objects/>';

export function createKosmosCodec(options: KosmosOptions): Codec {
  const grid = options.grid ?? 32;
  const dequantize = options.dequantize ?? 'centre';
  const clamp = options.clamp ?? false;
  const cells = grid * grid;
  const token = (i: number) => `<patch_index_${String(i).padStart(4, '0')}>`;
  const clampCell = (c: number) => (c < 0 ? 0 : c >= grid ? grid - 1 : c);
  const pair = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      const ulx = clampCell(Math.floor((b[0] / w) * grid));
      const uly = clampCell(Math.floor((b[1] / h) * grid));
      const lrx = Math.max(ulx, clampCell(Math.ceil((b[2] / w) * grid - 1)));
      const lry = Math.max(uly, clampCell(Math.ceil((b[3] / h) * grid - 1)));
      return `${token(uly * grid + ulx)}${token(lry * grid + lrx)}`;
    }
    const x = clampCell(Math.floor((l.point[0] / w) * grid));
    const y = clampCell(Math.floor((l.point[1] / h) * grid));
    return token(y * grid + x);
  };
  const one = (l: Location, image: ImageSize) => {
    const phrase = l.label === undefined ? '' : `<phrase>${l.label}</phrase>`;
    return `${phrase}<object>${pair(l, image)}</object>`;
  };
  const toLocation = (indices: number[], image: ImageSize): Location | IssueDraft => {
    const bad = checkRange(indices, cells - 1, clamp);
    if (bad) return bad;
    const cw = image.width / grid;
    const ch = image.height / grid;
    const ul = indices[0] as number;
    const ulx = ul % grid;
    const uly = Math.floor(ul / grid);
    if (indices.length === 1) return { point: [(ulx + 0.5) * cw, (uly + 0.5) * ch] };
    const lr = indices[1] as number;
    const lrx = lr % grid;
    const lry = Math.floor(lr / grid);
    if (lrx < ulx || lry < uly) {
      return issue('INVALID_BOX', `bottom-right cell ${lr} lies above or left of top-left cell ${ul}`);
    }
    if (dequantize === 'transformers' && (ulx === lrx || uly === lry)) {
      // Hugging Face's patch_index_to_coordinate: whole cells when the corners share a row or column.
      return { box: [ulx * cw, uly * ch, (lrx + 1) * cw, (lry + 1) * ch] };
    }
    return { box: [(ulx + 0.5) * cw, (uly + 0.5) * ch, (lrx + 0.5) * cw, (lry + 0.5) * ch] };
  };
  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    const taken: Array<[number, number]> = [];
    const add = (indices: number[], start: number, end: number, label: string | undefined) => {
      if (indices.length === 0) return;
      if (indices.length > 2) {
        pushIssue(result, issue('WRONG_ARITY', `${indices.length} patch indices where a box has 2`), text, start, end);
        return;
      }
      const found = toLocation(indices, image);
      if (isIssue(found)) {
        pushIssue(result, found, text, start, end);
        return;
      }
      if (label !== undefined && label.trim() !== '') found.label = label.trim();
      result.locations.push({ location: found, start, end, text: text.slice(start, end) });
    };
    KOSMOS_OBJECT_RE.lastIndex = 0;
    for (let m = KOSMOS_OBJECT_RE.exec(text); m !== null; m = KOSMOS_OBJECT_RE.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      taken.push([start, end]);
      const body = m[2] ?? '';
      const bodyStart = end - '</object>'.length - body.length;
      const parts = body.split(KOSMOS_DELIMITER);
      let offset = bodyStart;
      for (const part of parts) {
        const indices = [...part.matchAll(KOSMOS_RE)].map((x) => Number(x[1]));
        const span: [number, number] = parts.length === 1 ? [start, end] : [offset, offset + part.length];
        add(indices, span[0], span[1], m[1]);
        offset += part.length + KOSMOS_DELIMITER.length;
      }
    }
    // An <object> that never closes.
    const lastOpen = text.lastIndexOf('<object>');
    if (
      lastOpen >= 0 &&
      !taken.some(([a, b]) => lastOpen >= a && lastOpen < b) &&
      /<patch_index_\d{4}>/.test(text.slice(lastOpen))
    ) {
      pushIssue(result, issue('PARTIAL', 'the text ends inside an <object>'), text, lastOpen, text.length);
      taken.push([lastOpen, text.length]);
    }
    // Bare index pairs outside <object> wrappers.
    for (const run of tokenRuns(text, KOSMOS_RE)) {
      if (taken.some(([a, b]) => run.start >= a && run.start < b)) continue;
      add(run.values, run.start, run.end, undefined);
    }
    if (result.locations.length > 1) result.locations.sort((a, b) => a.start - b.start);
    return result;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) =>
    locations.map((l) => one(checkedLocation(l, image, clamp), image)).join(' ');
  return {
    kind: 'kosmos',
    name: `Kosmos-2 (<patch_index_NNNN>, ${grid}x${grid})`,
    options: { kind: 'kosmos', grid, dequantize, clamp },
    encode: (location, image) => one(checkedLocation(location, image, clamp), image),
    encodeAll,
    encodeMany: encodeAll,
    resolution: ({ width, height }) => ({ x: width / grid, y: height / grid }),
    ...tokenCodecBase(parse, KOSMOS_RE),
  };
}
