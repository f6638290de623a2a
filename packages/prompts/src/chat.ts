import { PromptError } from './errors.js';
import { pythonLstrip, pythonStrip } from './text.js';

/** One turn of a LLaVA training record (`conversations[i]`). */
export interface ConversationTurn {
  from: 'human' | 'gpt';
  value: string;
}

/** The chat templates rendered here, by their names in LLaVA / Video-ChatGPT `conv_templates`. */
export type ChatTemplateName = 'vicuna_v1' | 'llava_v1' | 'llava_llama_2' | 'video-chatgpt_v1';

/**
 * The facts of one conversation template (copied from LLaVA llava/conversation.py and Video-ChatGPT
 * video_chatgpt/video_conversation.py).
 */
export interface ChatTemplate {
  name: ChatTemplateName;
  system: string;
  /** [user role, assistant role] */
  roles: readonly [string, string];
  /** 'two': SeparatorStyle.TWO (Vicuna v1). 'llama_2': SeparatorStyle.LLAMA_2. */
  style: 'two' | 'llama_2';
  sep: string;
  sep2: string;
  /** The media placeholder this template's data uses. */
  mediaToken: '<image>' | '<video>';
  /**
   * LLaVA moves `<image>` to the front of the turn that holds it, followed by "\n" (train.py preprocess_multimodal;
   * get_prompt does the same for the first turn). Video-ChatGPT leaves `<video>` where the data put it.
   */
  movesMediaToken: boolean;
  /** The text that ends a reply: LLaVA's `conv.sep if conv.sep_style != TWO else conv.sep2`. */
  stop: string;
}

const VICUNA_SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";
const LLAVA_V1_SYSTEM =
  "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.";
const LLAVA_LLAMA_2_SYSTEM =
  'You are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.';
// Verbatim, including the missing space in "language.Follow" (two string literals joined in the original).
const VIDEO_CHATGPT_SYSTEM =
  'You are Video-ChatGPT, a large vision-language assistant. You are able to understand the video content that the user provides, and assist the user with a variety of tasks using natural language.Follow the instructions carefully and explain your answers in detail based on the provided video.';

/** Every template, by name. */
export const CHAT_TEMPLATES: Readonly<Record<ChatTemplateName, ChatTemplate>> = {
  vicuna_v1: {
    name: 'vicuna_v1',
    system: VICUNA_SYSTEM,
    roles: ['USER', 'ASSISTANT'],
    style: 'two',
    sep: ' ',
    sep2: '</s>',
    mediaToken: '<image>',
    movesMediaToken: true,
    stop: '</s>',
  },
  llava_v1: {
    name: 'llava_v1',
    system: LLAVA_V1_SYSTEM,
    roles: ['USER', 'ASSISTANT'],
    style: 'two',
    sep: ' ',
    sep2: '</s>',
    mediaToken: '<image>',
    movesMediaToken: true,
    stop: '</s>',
  },
  llava_llama_2: {
    name: 'llava_llama_2',
    system: LLAVA_LLAMA_2_SYSTEM,
    roles: ['USER', 'ASSISTANT'],
    style: 'llama_2',
    sep: '<s>',
    sep2: '</s>',
    mediaToken: '<image>',
    movesMediaToken: true,
    stop: '<s>',
  },
  'video-chatgpt_v1': {
    name: 'video-chatgpt_v1',
    system: VIDEO_CHATGPT_SYSTEM,
    roles: ['USER', 'ASSISTANT'],
    style: 'two',
    sep: ' ',
    sep2: '</s>',
    mediaToken: '<video>',
    movesMediaToken: false,
    stop: '</s>',
  },
};

/** The template called `name`, or a PromptError listing the known names. */
export function getChatTemplate(name: ChatTemplateName): ChatTemplate {
  if (typeof name === 'string' && Object.hasOwn(CHAT_TEMPLATES, name)) return CHAT_TEMPLATES[name];
  throw new PromptError(
    'UNKNOWN_TEMPLATE',
    `unknown chat template ${JSON.stringify(name)}; known: ${Object.keys(CHAT_TEMPLATES).join(', ')}`,
  );
}

/**
 * `<image>` moved to the front of `value`, followed by "\n": LLaVA's
 * `("<image>\n" + value.replace("<image>", "").strip()).strip()`. Text without `<image>` is returned unchanged.
 */
export function moveImageTokenToFront(value: string, token = '<image>'): string {
  if (!value.includes(token)) return value;
  return pythonStrip(`${token}\n${pythonStrip(value.split(token).join(''))}`);
}

/** Options of `renderConversation`. */
export interface RenderOptions {
  /**
   * Apply LLaVA's `<image>` move to every turn that holds the token (default: the template's `movesMediaToken`,
   * true for the LLaVA templates). Off renders the values exactly as given, like get_prompt with plain strings.
   */
  moveMediaToken?: boolean;
  /** Replace the template's system text (LLaVA's `conv.system = ...`); the layout around it stays the same. */
  system?: string;
}

/**
 * The prompt text LLaVA's `get_prompt()` builds for these turns, byte for byte. Turns must start with `human` and
 * alternate. When the last turn is `human`, or is a `gpt` turn with an empty value, the text ends with the
 * generation prompt ("... ASSISTANT:" for Vicuna-style templates, "... [/INST]" for llava_llama_2): that is the
 * prompt a model continues.
 */
export function renderConversation(
  templateName: ChatTemplateName,
  messages: readonly ConversationTurn[],
  options: RenderOptions = {},
): string {
  const base = getChatTemplate(templateName);
  if (options.system !== undefined && typeof options.system !== 'string') {
    throw new PromptError(
      'BAD_INPUT',
      `renderConversation: options.system must be a string, got ${typeof options.system}`,
    );
  }
  const template = options.system === undefined ? base : { ...base, system: options.system };
  const values = checkTurns(messages);
  const move = options.moveMediaToken ?? template.movesMediaToken;
  const texts = values.map((value) => (move ? moveImageTokenToFront(value, template.mediaToken) : value));
  if (texts.length % 2 === 1) texts.push(''); // the generation prompt: an empty assistant turn
  return template.style === 'two' ? renderTwo(template, texts) : renderLlama2(template, texts);
}

function renderTwo(template: ChatTemplate, texts: readonly string[]): string {
  const seps = [template.sep, template.sep2];
  let out = template.system + template.sep;
  texts.forEach((text, i) => {
    const role = template.roles[i % 2];
    out += text ? `${role}: ${text}${seps[i % 2]}` : `${role}:`;
  });
  return out;
}

function renderLlama2(template: ChatTemplate, texts: readonly string[]): string {
  let out = '';
  texts.forEach((text, i) => {
    if (!text) return;
    if (i % 2 === 0) {
      const message = i === 0 ? `<<SYS>>\n${template.system}\n<</SYS>>\n\n${text}` : text;
      out += `${template.sep}[INST] ${message} [/INST]`;
    } else {
      out += ` ${text} ${template.sep2}`;
    }
  });
  // Python's ret.lstrip("<s>") strips the characters '<', 's', '>' (a set), not the prefix "<s>".
  return pythonLstrip(out, template.sep);
}

function checkTurns(messages: readonly ConversationTurn[]): string[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new PromptError('BAD_INPUT', 'renderConversation: messages must be a non-empty array of { from, value }');
  }
  return messages.map((turn, i) => {
    const expected = i % 2 === 0 ? 'human' : 'gpt';
    if (turn === null || typeof turn !== 'object' || turn.from !== expected) {
      throw new PromptError(
        'BAD_INPUT',
        `renderConversation: messages[${i}].from must be "${expected}" (turns start with human and alternate), got ${JSON.stringify(turn?.from)}`,
      );
    }
    const isLastGpt = i === messages.length - 1 && expected === 'gpt';
    if (typeof turn.value !== 'string' || (!isLastGpt && turn.value === '')) {
      throw new PromptError(
        'BAD_INPUT',
        `renderConversation: messages[${i}].value must be a non-empty string (only a final gpt turn may be empty), got ${JSON.stringify(turn.value)}`,
      );
    }
    return turn.value;
  });
}
