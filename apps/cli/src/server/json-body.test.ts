import { afterAll, describe, expect, it } from 'vitest';
import { JsonBodyWorker, requestStats } from './json-body.js';

const limits = { chars: 100, images: 2, messages: 10, parts: 20, values: 200 };

describe('request body stats and the JSON worker', () => {
  it('counts text characters (contents, text parts, stop strings), images, messages, parts and JSON values', () => {
    const body = {
      model: 'm',
      stop: ['END', 'STOP'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:,' } },
            { type: 'text', text: 'Where is it?' },
            { type: 'image_url', image_url: 'data:,' },
          ],
        },
      ],
    };
    expect(requestStats(body)).toEqual({ chars: 9 + 12 + 7, images: 2, messages: 2, parts: 3, values: 22 });
    // Any shape is counted without throwing (the schema judges it later).
    expect(requestStats(null)).toEqual({ chars: 0, images: 0, messages: 0, parts: 0, values: 1 });
    expect(requestStats({ messages: [null, 3, { content: [null, 'x', { text: 5 }] }], stop: 7 })).toMatchObject({
      chars: 0,
      messages: 3,
      parts: 3,
    });
  });

  const worker = new JsonBodyWorker();
  afterAll(() => worker.close());

  it('parses a body sent in chunks on the worker and returns it with its stats when within the limits', async () => {
    const text = JSON.stringify({ messages: [{ role: 'user', content: 'héllo wörld' }] });
    const bytes = Buffer.from(text);
    const body = worker.begin();
    // Split inside a two-byte character: decoding happens once, on the whole body.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    body.push(bytes.subarray(0, cut));
    body.push(bytes.subarray(cut));
    expect(await body.end(limits)).toEqual({
      stats: { chars: 11, images: 0, messages: 1, parts: 0, values: 5 },
      value: JSON.parse(text),
    });
  });

  it('drops the value of a body over a limit and rejects a body that is not JSON with a SyntaxError', async () => {
    const long = worker.begin();
    long.push(Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(101) }] })));
    expect(await long.end(limits)).toEqual({ stats: { chars: 101, images: 0, messages: 1, parts: 0, values: 5 } });
    const broken = worker.begin();
    broken.push(Buffer.from('{"messages": ['));
    await expect(broken.end(limits)).rejects.toBeInstanceOf(SyntaxError);
    // An aborted body is forgotten; the worker goes on with the next.
    const aborted = worker.begin();
    aborted.push(Buffer.from('{"a":'));
    aborted.abort();
    const next = worker.begin();
    next.push(Buffer.from('[1,2]'));
    expect((await next.end(limits)).value).toEqual([1, 2]);
  });
});
