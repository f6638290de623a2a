// A deterministic stand-in for a vision-language model: answers from a function of the request, records calls.
import type { GenerateRequest, GenerateResult, VisionLanguageModel } from '@locvlm/runtime';

export interface FakeModel extends VisionLanguageModel {
  readonly calls: GenerateRequest[];
}

/** The text of the last user message (parts joined). */
export function lastUserText(request: GenerateRequest): string {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  return typeof user.content === 'string'
    ? user.content
    : user.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
}

export function fakeModel(
  id: string,
  answer: (request: GenerateRequest, call: number) => string | Promise<string>,
): FakeModel {
  const calls: GenerateRequest[] = [];
  return {
    id,
    calls,
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      calls.push(request);
      if (request.signal?.aborted) throw request.signal.reason ?? new Error('aborted');
      return { text: await answer(request, calls.length - 1), finishReason: 'stop' };
    },
    async *stream(request: GenerateRequest): AsyncIterable<string> {
      yield (await this.generate(request)).text;
    },
    async close() {},
  };
}
