// Meteor's paraphrase table (data/paraphrase-en.gz in the Meteor 1.5 distribution): gzip text in groups of three
// lines — a probability (unused by Meteor), a reference phrase, its paraphrase. Loaded into a trie keyed by word ids
// like Meteor's ParaphraseTransducer, so every phrase starting at a position is found in one walk.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MetricError } from '../errors.js';

class TrieNode {
  next: Map<number, TrieNode> | null = null;
  emit: number[] | null = null;
}

/** Paraphrase pairs from Meteor's table, searchable by word-id sequences. */
export class ParaphraseTable {
  private readonly root = new TrieNode();
  private readonly paraphrases: Int32Array[] = [];
  private readonly vocab = new Map<string, number>();

  /** Read a Meteor paraphrase file; `.gz` files are gunzipped. */
  static load(file: string): ParaphraseTable {
    let buffer: Buffer;
    try {
      buffer = readFileSync(file);
    } catch (cause) {
      throw new MetricError('RESOURCE', `Meteor paraphrase table ${file} could not be read`, { cause });
    }
    const gzipped = buffer.length > 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
    let text: string;
    try {
      text = (gzipped ? gunzipSync(buffer) : buffer).toString('utf8');
    } catch (cause) {
      throw new MetricError('RESOURCE', `Meteor paraphrase table ${file} is not valid gzip`, { cause });
    }
    return ParaphraseTable.parse(text, file);
  }

  /** Parse the table's text (probability / reference / paraphrase line triples). */
  static parse(text: string, source = 'paraphrase table'): ParaphraseTable {
    const table = new ParaphraseTable();
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length % 3 !== 0) {
      throw new MetricError(
        'BAD_INPUT',
        `${source}: ${lines.length} lines is not a multiple of 3 (probability, reference, paraphrase)`,
      );
    }
    for (let n = 0; n < lines.length; n += 3) {
      const ref = words(lines[n + 1]!).map((w) => table.intern(w));
      const par = Int32Array.from(words(lines[n + 2]!).map((w) => table.intern(w)));
      table.addPath(ref, table.paraphrases.length);
      table.paraphrases.push(par);
    }
    return table;
  }

  /** Number of paraphrase pairs loaded. */
  get size(): number {
    return this.paraphrases.length;
  }

  /** Word id in the table's vocabulary, or -1 (never matches) for unknown words. */
  wordId(word: string): number {
    return this.vocab.get(word) ?? -1;
  }

  /** Phrases starting at `start`: flat [length1, paraphraseIndex1, length2, ...] in increasing length. */
  pathsFrom(ids: ArrayLike<number>, start: number): number[] {
    const out: number[] = [];
    let node: TrieNode | undefined = this.root;
    for (let i = 0; i < ids.length - start; i++) {
      node = node.next?.get(ids[start + i]!);
      if (!node) break;
      if (node.emit) for (const e of node.emit) out.push(i + 1, e);
    }
    return out;
  }

  /** Word ids of paraphrase number `index`. */
  paraphrase(index: number): Int32Array {
    return this.paraphrases[index]!;
  }

  private intern(word: string): number {
    let id = this.vocab.get(word);
    if (id === undefined) {
      id = this.vocab.size;
      this.vocab.set(word, id);
    }
    return id;
  }

  private addPath(ids: number[], emit: number): void {
    let node = this.root;
    for (const id of ids) {
      node.next ??= new Map();
      let child = node.next.get(id);
      if (!child) {
        child = new TrieNode();
        node.next.set(id, child);
      }
      node = child;
    }
    node.emit ??= [];
    node.emit.push(emit);
  }
}

function words(line: string): string[] {
  return line.split(/[ \t\n\r\f]+/).filter((w) => w.length > 0);
}
