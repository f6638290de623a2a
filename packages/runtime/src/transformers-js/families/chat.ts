// Chat messages in the shapes transformers.js's processors and chat templates take.
import { RuntimeError } from '../../errors.js';
import type { ChatMessage } from '../../model.js';
import type { TransformersJsFamily } from '../family.js';

/** Typed parts ({ type: 'text', text } / { type: 'image' }), as Hugging Face chat templates read them. */
export function hfMessages(messages: readonly ChatMessage[]): Array<{ role: string; content: unknown }> {
  return messages.map((m) => ({
    role: m.role,
    content:
      typeof m.content === 'string'
        ? [{ type: 'text', text: m.content }]
        : m.content.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image' })),
  }));
}

/** The text of the last user message: what prompt-only families (PaliGemma, Florence-2) take. */
export function lastUserText(messages: readonly ChatMessage[], family: string): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) throw new RuntimeError('BAD_INPUT', `${family} needs a user message`);
  const text =
    typeof last.content === 'string'
      ? last.content
      : last.content
          .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
          .map((p) => p.text)
          .join(' ');
  if (text.trim() === '') throw new RuntimeError('BAD_INPUT', `${family}: the user message has no text`);
  return text;
}

/** Exactly `count` images, or an error saying what the family takes. */
export function expectImages<T>(images: T[], count: number, family: string): T[] {
  if (images.length !== count)
    throw new RuntimeError('BAD_INPUT', `${family} takes ${count} image(s) per request, got ${images.length}`);
  return images;
}

/**
 * The way in of families whose processor renders a chat template with typed image parts and then takes
 * (text, images): Qwen-VL, SmolVLM / Idefics3, Gemma 3.
 */
export const prepareFromChatTemplate: TransformersJsFamily['prepare'] = async ({ processor }, messages, images) => {
  const prompt = processor.apply_chat_template(hfMessages(messages) as never, {
    add_generation_prompt: true,
  }) as string;
  const inputs = await (processor as unknown as (t: string, i: unknown) => Promise<Record<string, unknown>>)(
    prompt,
    images.length > 0 ? images : null,
  );
  return { prompt, inputs };
};
