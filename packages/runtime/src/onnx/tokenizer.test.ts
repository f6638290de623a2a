import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

describe('tokenizer', () => {
  const loaded: TextTokenizer[] = [];
  afterAll(async () => {
    for (const t of loaded) await t.dispose();
  });

  it('encodes a long text on a worker thread to the same ids, while the event loop keeps turning', async () => {
    for (const name of ['tiny-llava', 'tiny-llava-qwen2']) {
      const tokenizer = await loadTokenizer(`${FIXTURES}${name}`);
      loaded.push(tokenizer);
      const text = 'The red circle is left of the blue square; where is the green triangle? '.repeat(600);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const ids = await tokenizer.encodeAsync(text);
      clearInterval(timer);
      expect(ids).toEqual(tokenizer.encode(text));
      // A worker round trip lets timers run; a synchronous encode of 43k characters would not.
      expect(ticks).toBeGreaterThan(0);
      // Short texts stay on the calling thread and give the same ids too.
      expect(await tokenizer.encodeAsync('left of', false)).toEqual(tokenizer.encode('left of', false));
    }
  });

  it('knows the longest token text, the bound behind refusing an over-long prompt before tokenizing', async () => {
    const tokenizer = await loadTokenizer(`${FIXTURES}tiny-llava`);
    loaded.push(tokenizer);
    expect(tokenizer.maxTokenChars).toBeGreaterThan(1);
    const text = 'a quick brown fox jumps over the lazy dog '.repeat(50);
    expect(tokenizer.encode(text, false).length).toBeGreaterThanOrEqual(
      Math.ceil(text.length / tokenizer.maxTokenChars),
    );
  });
});
