// Chat messages -> the prompt text LLaVA's conversation templates build (@locvlm/prompts), with the model's image
// token where each image or video goes, and the media in placeholder order.
import { type ChatTemplateName, type ConversationTurn, renderConversation } from '@locvlm/prompts';
import { RuntimeError } from '../errors.js';
import type { ChatMessage, GenerateRequest } from '../model.js';
import type { ModelConfig } from './config.js';
import type { MediaInput, PromptRenderer } from './model.js';

/** LLaVA's conversation template used when a model names none and ships no Jinja template. */
export const DEFAULT_CONVERSATION_TEMPLATE: ChatTemplateName = 'llava_v1';

/**
 * A renderer for `template` (default: config.json's `locvlm.conversation_template`, else llava_v1). A system
 * message replaces the template's system text. With one image per turn, LLaVA moves `<image>` to the front of its
 * turn followed by "\n"; when a turn holds several images or videos they stay where they are, each followed by "\n".
 */
export function conversationRenderer(template?: string): PromptRenderer {
  return (request: GenerateRequest, config: ModelConfig) => {
    const name = (template ?? config.conversationTemplate ?? DEFAULT_CONVERSATION_TEMPLATE) as ChatTemplateName;
    return renderMessages(request.messages, name, config.imageToken);
  };
}

function renderMessages(
  messages: ChatMessage[],
  template: ChatTemplateName,
  imageToken: string,
): { prompt: string; images: MediaInput[] } {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new RuntimeError('BAD_INPUT', 'messages must be a non-empty array');
  let system: string | undefined;
  const rest = [...messages];
  if (rest[0]?.role === 'system') {
    const first = rest.shift()!;
    system = textOf(first, 0);
  }
  const images: MediaInput[] = [];
  let severalInOneTurn = false;
  const turns: ConversationTurn[] = rest.map((m, i) => {
    const index = i + (system === undefined ? 0 : 1);
    if (m.role === 'system')
      throw new RuntimeError('BAD_INPUT', `messages[${index}]: only the first message may be system`);
    const expected = i % 2 === 0 ? 'user' : 'assistant';
    if (m.role !== expected)
      throw new RuntimeError(
        'BAD_INPUT',
        `messages[${index}].role must be ${expected} (after an optional system message, turns start with user and alternate)`,
      );
    if (typeof m.content === 'string') return { from: i % 2 === 0 ? 'human' : 'gpt', value: m.content };
    if (!Array.isArray(m.content))
      throw new RuntimeError('BAD_INPUT', `messages[${index}].content must be a string or parts`);
    let value = '';
    let media = 0;
    for (const part of m.content) {
      if (part.type === 'text') value += part.text;
      else if (part.type === 'image' || part.type === 'video') {
        if (m.role !== 'user')
          throw new RuntimeError('BAD_INPUT', `messages[${index}]: only user messages can hold images`);
        images.push(part.type === 'image' ? part.image : { frames: part.frames });
        value += `${imageToken}\n`;
        media++;
      } else throw new RuntimeError('BAD_INPUT', `messages[${index}] has a part of unknown type`);
    }
    if (media > 1) severalInOneTurn = true;
    return { from: i % 2 === 0 ? 'human' : 'gpt', value: value.trim() };
  });
  if (turns.length === 0 || turns[turns.length - 1]!.from !== 'human')
    throw new RuntimeError('BAD_INPUT', 'the last message must be from the user');
  try {
    const prompt = renderConversation(template, turns, {
      ...(system !== undefined ? { system } : {}),
      ...(severalInOneTurn ? { moveMediaToken: false } : {}),
    });
    return { prompt, images };
  } catch (cause) {
    throw new RuntimeError('BAD_INPUT', `cannot render the conversation: ${(cause as Error).message}`, { cause });
  }
}

function textOf(message: ChatMessage, index: number): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((p) => {
      if (p.type !== 'text')
        throw new RuntimeError('BAD_INPUT', `messages[${index}]: a system message holds text only`);
      return p.text;
    })
    .join('');
}
