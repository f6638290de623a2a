// Reads an OpenAI chat-completions event stream (`data: {...}` lines, then `data: [DONE]`) into text deltas.

/** The content deltas of one chunk of SSE text; `buffer` keeps an unfinished line between calls. */
export function parseSseLines(buffer: string): { events: string[]; rest: string } {
  const lines = buffer.split('\n');
  const rest = lines.pop() ?? '';
  const events: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('data:')) events.push(line.slice(5).trim());
  }
  return { events, rest };
}

/** One event's payload as a delta, the end of the stream, or a server error. */
export function readEvent(data: string): { delta?: string; done?: true; error?: string } {
  if (data === '[DONE]') return { done: true };
  const event = JSON.parse(data) as {
    choices?: Array<{ delta?: { content?: string } }>;
    error?: { message?: string };
  };
  if (event.error) return { error: event.error.message ?? 'server error' };
  const delta = event.choices?.[0]?.delta?.content;
  return delta ? { delta } : {};
}

/** Yield the text deltas of a streamed chat completion; throws on a server error event. */
export async function* streamDeltas(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const { events, rest } = parseSseLines(buffer);
    buffer = rest;
    for (const data of events) {
      const event = readEvent(data);
      if (event.error) throw new Error(event.error);
      if (event.done) return;
      if (event.delta) yield event.delta;
    }
  }
}
