import { describe, expect, it } from 'vitest';
import { argmax, SeededRandom, sampleToken } from './sampling.js';
import { TextTracker } from './text.js';
import type { TextTokenizer } from './tokenizer.js';

describe('sampling', () => {
  it('argmax takes the first of equal maxima within the row', () => {
    expect(argmax(new Float32Array([9, 1, 5, 5, 2]), 1, 4)).toBe(1);
  });

  it('repeats a stream from its seed and follows the softmax distribution', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const logits = new Float32Array([Math.log(0.7), Math.log(0.2), Math.log(0.1)]);
    const counts = [0, 0, 0];
    const r = new SeededRandom(1);
    for (let i = 0; i < 20000; i++) counts[sampleToken(logits, 0, 3, { temperature: 1, topP: 1 }, r)]!++;
    expect(counts[0]! / 20000).toBeCloseTo(0.7, 1);
    expect(counts[2]! / 20000).toBeCloseTo(0.1, 1);
    // top-p 0.75 keeps tokens 0 and 1 only (0.7 < 0.75 <= 0.9).
    const kept = new Set<number>();
    for (let i = 0; i < 2000; i++) kept.add(sampleToken(logits, 0, 3, { temperature: 1, topP: 0.75 }, r));
    expect([...kept].sort()).toEqual([0, 1]);
    // A low temperature sharpens towards the most likely token.
    let top = 0;
    for (let i = 0; i < 2000; i++) top += sampleToken(logits, 0, 3, { temperature: 0.2, topP: 1 }, r) === 0 ? 1 : 0;
    expect(top / 2000).toBeGreaterThan(0.99);
  });
});

describe('text deltas', () => {
  // One character per token id (id = char code), so decode is easy to follow.
  const chars: TextTokenizer = {
    encode: (t) => [...t].map((c) => c.charCodeAt(0)),
    decode: (ids) => String.fromCharCode(...ids),
    tokenToId: () => undefined,
    encodeAsync: async (t) => [...t].map((c) => c.charCodeAt(0)),
    maxTokenChars: 1,
    dispose: async () => {},
  };

  it('holds back a possible stop string and cuts the text before it', () => {
    const t = new TextTracker(chars, ['###']);
    const out = [...'ab#c##'].map((c) => t.push(c.charCodeAt(0)));
    expect(out).toEqual(['a', 'b', '', '#c', '', '']);
    expect(t.stopped).toBe(false);
    t.push('#'.charCodeAt(0));
    expect(t.stopped).toBe(true);
    expect(t.fullText).toBe('ab#c');
    expect(t.flush()).toBe('');
  });

  it('holds back an unfinished UTF-8 sequence shown as U+FFFD', () => {
    const t = new TextTracker(chars, []);
    expect(t.push(0x61)).toBe('a');
    expect(t.push(0xfffd)).toBe('');
    expect(t.flush()).toBe('\ufffd');
  });
});
