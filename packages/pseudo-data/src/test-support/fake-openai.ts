// Test support: a local OpenAI-compatible chat-completions server that describes objects deterministically, and
// a minimal HTTP client for it that implements VisionLanguageModel.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GenerateRequest, GenerateResult, VisionLanguageModel } from '@locvlm/runtime';

interface ChatBody {
  model?: string;
  messages?: Array<{
    role: string;
    content: string | Array<{ type: string; text?: string; image_url?: { url: string } }>;
  }>;
}

/**
 * Start the fake server on 127.0.0.1 (random port). The answer names the category from the caption prompt and a
 * digest of the image it was sent, in two sentences, after `delayMs`.
 */
export async function startFakeOpenAi(
  options: { delayMs?: number } = {},
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
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
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A minimal chat-completions client (no retries): images are sent as data URLs. */
export function fakeOpenAiModel(baseUrl: string): VisionLanguageModel {
  const generate = async (request: GenerateRequest): Promise<GenerateResult> => {
    const messages = await Promise.all(
      request.messages.map(async (m) => ({
        role: m.role,
        content:
          typeof m.content === 'string'
            ? m.content
            : await Promise.all(
                m.content.map(async (part) => {
                  if (part.type === 'text') return { type: 'text', text: part.text };
                  if (part.type === 'image' && 'path' in part.image) {
                    const bytes = await readFile(part.image.path);
                    return {
                      type: 'image_url',
                      image_url: { url: `data:image/png;base64,${bytes.toString('base64')}` },
                    };
                  }
                  throw new Error(`unsupported content part ${part.type}`);
                }),
              ),
      })),
    );
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fake',
        messages,
        max_tokens: request.maxNewTokens,
        temperature: request.temperature,
      }),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const json = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    return { text: json.choices[0]?.message.content ?? '', finishReason: 'stop' };
  };
  return {
    id: `${baseUrl}#fake`,
    generate,
    async *stream(request) {
      yield (await generate(request)).text;
    },
    async close() {},
  };
}
