// Which external data files an ONNX graph reads, found by walking the protobuf of the .onnx file itself (the graph is
// the truth onnxruntime follows, whatever config.json says). Only the fields on the path to a tensor's
// `external_data` entries are decoded; everything else is skipped by wire type, so a multi-GB file with inline weights
// costs one read and no allocation per weight.
//
// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, sparse_initializer = 15; NodeProto.attribute = 5;
// AttributeProto.t = 5, g = 6, tensors = 10, graphs = 11; TensorProto.name = 8, external_data = 13, data_location = 14;
// StringStringEntryProto.key = 1, value = 2 (onnx/onnx.proto3).

/** One tensor stored outside the .onnx file. */
export interface ExternalTensorRef {
  tensor: string;
  /** `location` as written in the graph (relative to the .onnx file's folder). */
  location: string;
  offset: number;
  /** Bytes; undefined means "to the end of the file". */
  length?: number;
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** Calls `onField(field, start, end)` for length-delimited fields, skips the rest. */
  fields(onField: (field: number, start: number, end: number) => void): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) this.varint();
      else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else if (wire === 2) {
        const length = this.varint();
        const start = this.pos;
        this.pos += length;
        if (this.pos > this.end) throw new Error('truncated field');
        onField(field, start, this.pos);
      } else throw new Error(`unsupported wire type ${wire}`);
      if (this.pos > this.end) throw new Error('truncated field');
    }
  }
}

const decoder = new TextDecoder();

function walk(bytes: Uint8Array, start: number, end: number, on: (field: number, s: number, e: number) => void) {
  new Reader(bytes, start, end).fields(on);
}

function tensor(bytes: Uint8Array, start: number, end: number, out: ExternalTensorRef[]): void {
  let name = '';
  const entries: Record<string, string> = {};
  walk(bytes, start, end, (field, s, e) => {
    if (field === 8) name = decoder.decode(bytes.subarray(s, e));
    else if (field === 13) {
      let key = '';
      let value = '';
      walk(bytes, s, e, (f, ks, ke) => {
        if (f === 1) key = decoder.decode(bytes.subarray(ks, ke));
        else if (f === 2) value = decoder.decode(bytes.subarray(ks, ke));
      });
      entries[key] = value;
    }
  });
  if (entries.location === undefined) return;
  out.push({
    tensor: name,
    location: entries.location,
    offset: entries.offset ? Number(entries.offset) : 0,
    ...(entries.length ? { length: Number(entries.length) } : {}),
  });
}

function graph(bytes: Uint8Array, start: number, end: number, out: ExternalTensorRef[]): void {
  walk(bytes, start, end, (field, s, e) => {
    if (field === 5) tensor(bytes, s, e, out);
    else if (field === 15) {
      // SparseTensorProto: values = 1, indices = 2
      walk(bytes, s, e, (f, ts, te) => {
        if (f === 1 || f === 2) tensor(bytes, ts, te, out);
      });
    } else if (field === 1) {
      walk(bytes, s, e, (f, as, ae) => {
        if (f !== 5) return;
        walk(bytes, as, ae, (af, vs, ve) => {
          if (af === 5 || af === 10) tensor(bytes, vs, ve, out);
          else if (af === 6 || af === 11) graph(bytes, vs, ve, out); // If / Loop branches
        });
      });
    }
  });
}

/** Every tensor of the model (subgraphs included) whose data lives in an external file. Throws on a bad protobuf. */
export function externalTensorRefs(model: Uint8Array): ExternalTensorRef[] {
  const out: ExternalTensorRef[] = [];
  walk(model, 0, model.length, (field, s, e) => {
    if (field === 7) graph(model, s, e, out);
  });
  return out;
}
