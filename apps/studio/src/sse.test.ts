import { describe, expect, it } from 'vitest';
import { parseSseLines, readEvent, streamDeltas } from './sse.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;

describe('SSE reading', () => {
  it('keeps an unfinished line for the next read', () => {
    expect(parseSseLines('data: a\n\ndata: b')).toEqual({ events: ['a'], rest: 'data: b' });
  });
  it('reads deltas, the end, and errors', () => {
    expect(readEvent('[DONE]')).toEqual({ done: true });
    expect(readEvent('{"error":{"message":"busy"}}')).toEqual({ error: 'busy' });
    expect(readEvent(chunk('hi').slice(6).trim())).toEqual({ delta: 'hi' });
  });
  it('joins deltas split across network reads', async () => {
    const text = `${chunk('The ')}${chunk('cat')}data: [DONE]\n\n${chunk('ignored')}`;
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const deltas: string[] = [];
    for await (const d of streamDeltas(body)) deltas.push(d);
    expect(deltas.join('')).toBe('The cat');
  });
  it('throws on a server error event', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`${chunk('a')}data: {"error":{"message":"timeout"}}\n\n`));
        controller.close();
      },
    });
    await expect(async () => {
      for await (const _ of streamDeltas(body)) {
        // drain
      }
    }).rejects.toThrow('timeout');
  });
});
