// Test support: a local OpenAI-compatible chat-completions server that describes objects deterministically.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ChatBody {
  model?: string;
  messages?: Array<{
    role: string;
    content: string | Array<{ type: string; text?: string; image_url?: { url: string } }>;
  }>;
}

/**
 * Start the fake server on 127.0.0.1 (random port). The answer names the category from the caption prompt and a
 * digest of the image it was sent, in two sentences, after `delayMs`. `url` is the base URL (no `/v1`).
 */
export async function startFakeOpenAi(
  options: { delayMs?: number; failEvery?: number } = {},
): Promise<{ url: string; requests: () => number; failures: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let received = 0;
  let failures = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received++;
      // Like a busy server: every `failEvery`-th request gets a 503, which clients retry.
      if (options.failEvery && received % options.failEvery === 0) {
        failures++;
        response.statusCode = 503;
        response.end(JSON.stringify({ error: { message: 'busy, try again' } }));
        return;
      }
      requests++;
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        response.statusCode = 404;
        response.end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      const parts =
        body.messages?.flatMap((m) =>
          typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content,
        ) ?? [];
      const text = parts.find((p) => p.type === 'text')?.text ?? '';
      const image = parts.find((p) => p.type === 'image_url')?.image_url?.url;
      const category = /^Describe the (.+) in this image using one short sentence/.exec(text)?.[1];
      if (!category || !image) {
        response.statusCode = 400;
        response.end(JSON.stringify({ error: { message: 'expected the caption prompt and an image' } }));
        return;
      }
      const digest = createHash('sha256').update(image).digest('hex').slice(0, 6);
      const content = `  A ${category} with mark ${digest}, left of the other shapes.  It looks flat. `;
      setTimeout(() => {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: `chatcmpl-${requests}`,
            object: 'chat.completion',
            model: body.model ?? 'fake',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          }),
        );
      }, options.delayMs ?? 10);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Requests answered with a caption. */
    requests: () => requests,
    failures: () => failures,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
