// Codecs that write a location as a bracketed tuple of numbers: NFP, IVB, DIGA, Shikra, Ferret.
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
} from './codec-base.js';
import { toFixedFast } from './fixed.js';
import { numberSpans, scanTuples } from './scan.js';
import type {
  Codec,
  CodecOptions,
  DigaOptions,
  FerretOptions,
  ImageSize,
  IvbOptions,
  Location,
  NfpOptions,
  ParseIssueCode,
  ParseResult,
  ShikraOptions,
} from './types.js';

type Interpret = (v: Float64Array, count: number, image: ImageSize) => Location | IssueDraft | undefined;

interface TupleCodecSpec {
  kind: Codec['kind'];
  name: string;
  options: CodecOptions;
  clamp: boolean;
  /** Text of one validated location. */
  write: (location: Location, image: ImageSize) => string;
  /** Several locations as one text. */
  writeAll: (locations: readonly Location[], image: ImageSize) => string;
  interpret: Interpret;
  resolution: (image: ImageSize) => { x: number; y: number };
}

function tupleCodec(spec: TupleCodecSpec): Codec {
  const { interpret, write, clamp } = spec;
  // The scanner's sink, reused by every call: parse is synchronous and never re-entered from inside.
  const sink = {
    result: undefined as unknown as ParseResult,
    text: '',
    image: undefined as unknown as ImageSize,
    visit(values: Float64Array, count: number, start: number, end: number) {
      const found = interpret(values, count, this.image);
      if (found === undefined) return;
      if (isIssue(found)) pushIssue(this.result, found, this.text, start, end);
      else this.result.locations.push({ location: found, start, end, text: this.text.slice(start, end) });
    },
    partial(code: ParseIssueCode, start: number, end: number) {
      pushIssue(this.result, issue(code, 'the text ends before this location is complete'), this.text, start, end);
    },
  };
  const parse = (text: string, image: ImageSize): ParseResult => {
    const result: ParseResult = { locations: [], issues: [] };
    if (typeof text !== 'string' || text.length === 0) return result;
    if (!imageIsValid(image)) return invalidImageResult(image);
    sink.result = result;
    sink.text = text;
    sink.image = image;
    scanTuples(text, sink);
    sink.result = undefined as unknown as ParseResult;
    sink.text = '';
    return result;
  };
  const encodeAll = (locations: readonly Location[], image: ImageSize) =>
    spec.writeAll(
      locations.map((l) => checkedLocation(l, image, clamp)),
      image,
    );
  return {
    kind: spec.kind,
    name: spec.name,
    options: spec.options,
    encode: (location, image) => write(checkedLocation(location, image, clamp), image),
    encodeAll,
    encodeMany: encodeAll,
    parse,
    decode(text, image) {
      const { locations } = parse(text, image);
      const out: Location[] = new Array(locations.length);
      for (let i = 0; i < locations.length; i++) out[i] = (locations[i] as { location: Location }).location;
      return out;
    },
    resolution: spec.resolution,
    coordinateSpans: (text) => numberSpans(text),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Normalised floats: NFP (4 decimals, "(a, b, c, d)") and Shikra (3 decimals, "[a,b,c,d]").

function normalisedInterpret(clamp: boolean): Interpret {
  return (v, count, image) => {
    if (count !== 4 && count !== 2) return arityIssue(count, 'normalised values');
    for (let k = 0; k < count; k++) {
      const x = v[k] as number;
      if (x < 0 || x > 1) {
        if (!clamp) return issue('OUT_OF_RANGE', `value ${x} is outside [0, 1]`);
        v[k] = clampNumber(x, 0, 1);
      }
    }
    const w = image.width;
    const h = image.height;
    if (count === 2) return { point: [(v[0] as number) * w, (v[1] as number) * h] };
    const bad = orderIssue(v, 0, 2, 'x1', 'x2') ?? orderIssue(v, 1, 3, 'y1', 'y2');
    if (bad) return bad;
    return { box: [(v[0] as number) * w, (v[1] as number) * h, (v[2] as number) * w, (v[3] as number) * h] };
  };
}

function arityIssue(count: number, what: string): IssueDraft | undefined {
  // A lone number in brackets ("(2024)") is prose, not a broken location.
  if (count < 2) return undefined;
  return issue('WRONG_ARITY', `${count} ${what} are neither a box (4) nor a point (2)`);
}

export function createNfpCodec(options: NfpOptions): Codec {
  const decimals = options.decimals ?? 4;
  const clamp = options.clamp ?? false;
  const step = 10 ** -decimals;
  const write = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      return `(${toFixedFast(b[0] / w, decimals)}, ${toFixedFast(b[1] / h, decimals)}, ${toFixedFast(b[2] / w, decimals)}, ${toFixedFast(b[3] / h, decimals)})`;
    }
    return `(${toFixedFast(l.point[0] / w, decimals)}, ${toFixedFast(l.point[1] / h, decimals)})`;
  };
  return tupleCodec({
    kind: 'nfp',
    name: `NFP (${decimals} decimals)`,
    options: { kind: 'nfp', decimals, clamp },
    clamp,
    write,
    writeAll: (locations, image) => locations.map((l) => write(l, image)).join(', '),
    interpret: normalisedInterpret(clamp),
    resolution: ({ width, height }) => ({ x: width * step, y: height * step }),
  });
}

export function createShikraCodec(options: ShikraOptions): Codec {
  const decimals = options.decimals ?? 3;
  const clamp = options.clamp ?? false;
  const step = 10 ** -decimals;
  const inner = (l: Location, w: number, h: number) =>
    'box' in l
      ? `${toFixedFast(l.box[0] / w, decimals)},${toFixedFast(l.box[1] / h, decimals)},${toFixedFast(l.box[2] / w, decimals)},${toFixedFast(l.box[3] / h, decimals)}`
      : `${toFixedFast(l.point[0] / w, decimals)},${toFixedFast(l.point[1] / h, decimals)}`;
  return tupleCodec({
    kind: 'shikra',
    name: `Shikra (${decimals} decimals)`,
    options: { kind: 'shikra', decimals, clamp },
    clamp,
    write: (l, { width, height }) => `[${inner(l, width, height)}]`,
    // Shikra writes several boxes inside one bracket pair, joined by ';'.
    writeAll: (locations, { width, height }) => `[${locations.map((l) => inner(l, width, height)).join(';')}]`,
    interpret: normalisedInterpret(clamp),
    resolution: ({ width, height }) => ({ x: width * step, y: height * step }),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Integer bins: IVB (n_b bins, floor, "(4, 52, 13, 63)"), Ferret (1000 bins, "[x1, y1, x2, y2]").

/** floor(n * x / size), the last bin for x == size. */
function toBin(x: number, size: number, bins: number): number {
  const b = Math.floor((bins * x) / size);
  return b >= bins ? bins - 1 : b;
}

function binInterpret(bins: number, clamp: boolean, offset: number, what: string): Interpret {
  const max = bins - 1;
  return (v, count, image) => {
    if (count !== 4 && count !== 2) return arityIssue(count, what);
    for (let k = 0; k < count; k++) {
      const x = v[k] as number;
      if (!Number.isInteger(x)) return issue('BAD_NUMBER', `${x} is not an integer bin`);
      if (x < 0 || x > max) {
        if (!clamp) return issue('OUT_OF_RANGE', `bin ${x} is outside 0..${max}`);
        v[k] = clampNumber(x, 0, max);
      }
    }
    const sx = image.width / bins;
    const sy = image.height / bins;
    if (count === 2) return { point: [((v[0] as number) + offset) * sx, ((v[1] as number) + offset) * sy] };
    const bad = orderIssue(v, 0, 2, 'x1', 'x2') ?? orderIssue(v, 1, 3, 'y1', 'y2');
    if (bad) return bad;
    return {
      box: [
        ((v[0] as number) + offset) * sx,
        ((v[1] as number) + offset) * sy,
        ((v[2] as number) + offset) * sx,
        ((v[3] as number) + offset) * sy,
      ],
    };
  };
}

export function createIvbCodec(options: IvbOptions): Codec {
  const bins = options.bins ?? 224;
  const clamp = options.clamp ?? false;
  const write = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      return `(${toBin(b[0], w, bins)}, ${toBin(b[1], h, bins)}, ${toBin(b[2], w, bins)}, ${toBin(b[3], h, bins)})`;
    }
    return `(${toBin(l.point[0], w, bins)}, ${toBin(l.point[1], h, bins)})`;
  };
  return tupleCodec({
    kind: 'ivb',
    name: `IVB (${bins} bins)`,
    options: { kind: 'ivb', bins, clamp },
    clamp,
    write,
    writeAll: (locations, image) => locations.map((l) => write(l, image)).join(', '),
    interpret: binInterpret(bins, clamp, 0.5, 'bins'),
    resolution: ({ width, height }) => ({ x: width / bins, y: height / bins }),
  });
}

export function createFerretCodec(options: FerretOptions): Codec {
  const bins = 1000;
  const dequantize = options.dequantize ?? 'centre';
  const clamp = options.clamp ?? false;
  const write = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      return `[${toBin(b[0], w, bins)}, ${toBin(b[1], h, bins)}, ${toBin(b[2], w, bins)}, ${toBin(b[3], h, bins)}]`;
    }
    return `[${toBin(l.point[0], w, bins)}, ${toBin(l.point[1], h, bins)}]`;
  };
  return tupleCodec({
    kind: 'ferret',
    name: 'Ferret (0..999)',
    options: { kind: 'ferret', dequantize, clamp },
    clamp,
    write,
    writeAll: (locations, image) => locations.map((l) => write(l, image)).join(', '),
    interpret: binInterpret(bins, clamp, dequantize === 'centre' ? 0.5 : 0, 'values'),
    resolution: ({ width, height }) => ({ x: width / bins, y: height / bins }),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// DIGA: anchor (p, q) of the box centre on a grid of `cell`-bin cells over the n_b space, then the signed
// deviations of the IVB values from the anchor centre (cell*p + floor(cell/2), cell*q + floor(cell/2)).
// Box: "(p, q, dx1, dy1, dx2, dy2)"; point: "(p, q, dx, dy)".

export function createDigaCodec(options: DigaOptions): Codec {
  const bins = options.bins ?? 224;
  const cell = options.cell ?? 14;
  const clamp = options.clamp ?? false;
  const grid = Math.ceil(bins / cell);
  const half = Math.floor(cell / 2);
  const anchorOf = (centreBin: number) => {
    const p = Math.floor(centreBin / cell);
    return p >= grid ? grid - 1 : p;
  };
  const write = (l: Location, { width: w, height: h }: ImageSize) => {
    if ('box' in l) {
      const b = l.box;
      const x1 = toBin(b[0], w, bins);
      const y1 = toBin(b[1], h, bins);
      const x2 = toBin(b[2], w, bins);
      const y2 = toBin(b[3], h, bins);
      // The anchor comes from the IVB integers, so converting IVB text to DIGA needs no pixels.
      const p = anchorOf((x1 + x2) / 2);
      const q = anchorOf((y1 + y2) / 2);
      const ax = cell * p + half;
      const ay = cell * q + half;
      return `(${p}, ${q}, ${x1 - ax}, ${y1 - ay}, ${x2 - ax}, ${y2 - ay})`;
    }
    const x = toBin(l.point[0], w, bins);
    const y = toBin(l.point[1], h, bins);
    const p = anchorOf(x);
    const q = anchorOf(y);
    return `(${p}, ${q}, ${x - (cell * p + half)}, ${y - (cell * q + half)})`;
  };
  const bin = binInterpret(bins, clamp, 0.5, 'bins');
  const scratch = new Float64Array(4);
  const interpret: Interpret = (v, count, image) => {
    if (count !== 6 && count !== 4) {
      return count < 2 ? undefined : issue('WRONG_ARITY', `${count} DIGA values are neither a box (6) nor a point (4)`);
    }
    for (let k = 0; k < count; k++) {
      if (!Number.isInteger(v[k] as number)) return issue('BAD_NUMBER', `${v[k]} is not an integer`);
    }
    const p = v[0] as number;
    const q = v[1] as number;
    if (p < 0 || p >= grid || q < 0 || q >= grid) {
      return issue('OUT_OF_RANGE', `anchor (${p}, ${q}) is outside the ${grid}x${grid} grid`);
    }
    const ax = cell * p + half;
    const ay = cell * q + half;
    const n = count - 2;
    for (let k = 0; k < n; k++) scratch[k] = (v[k + 2] as number) + (k % 2 === 0 ? ax : ay);
    return bin(scratch, n, image);
  };
  return tupleCodec({
    kind: 'diga',
    name: `DIGA (${bins} bins, ${cell}-bin cells)`,
    options: { kind: 'diga', bins, cell, clamp },
    clamp,
    write,
    writeAll: (locations, image) => locations.map((l) => write(l, image)).join(', '),
    interpret,
    resolution: ({ width, height }) => ({ x: width / bins, y: height / bins }),
  });
}
