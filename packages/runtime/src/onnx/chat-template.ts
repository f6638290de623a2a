// A model's own Jinja chat template, rendered with @huggingface/jinja exactly as transformers.js's
// `apply_chat_template(messages, { add_generation_prompt: true })` does: same engine, same variables (messages, the
// tokenizer's special tokens), same message shape ({ role, content: string | [{ type: 'text', text } | { type: 'image' }] }).
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { RuntimeError } from '../errors.js';
import { parseJsonObject as parseJson, readOptionalText as readOptional } from '../json-file.js';
import type { ChatMessage, GenerateRequest } from '../model.js';
import type { MediaInput } from './model.js';

/** Where a model's chat template was found, in the order Hugging Face's processors look. */
export type ChatTemplateSource = 'chat_template.jinja' | 'chat_template.json' | 'tokenizer_config.json';

export interface ChatTemplate {
  text: string;
  /**
   * Whether the template reads typed content parts (`content['type']`, `selectattr('type', ...)`). Templates that
   * do not (Qwen2's and LLaMA-2's string templates, which FastVLM and others ship) get each message as one string,
   * with the model's image token where each image was: what their model cards write by hand (`"<image>Describe..."`).
   */
  typedContent: boolean;
  source: ChatTemplateSource;
  /** Absolute path of the file it came from (for error messages). */
  path: string;
  /** bos_token, eos_token, ... from tokenizer_config.json, passed to the template as transformers.js does. */
  specialTokens: Record<string, string>;
}

// transformers.js's SPECIAL_TOKEN_ATTRIBUTES.
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** A template value as tokenizer_config.json may hold it: a string, or a list of { name, template } (use 'default'). */
function templateText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => t && typeof t === 'object' && (t as { name?: unknown }).name === 'default');
    if (named && typeof (named as { template?: unknown }).template === 'string')
      return (named as { template: string }).template;
    throw new RuntimeError('MODEL_CONFIG', `${path}: chat_template is a list without a "default" template`);
  }
  throw new RuntimeError('MODEL_CONFIG', `${path}: chat_template must be a string, got ${typeof value}`);
}

function specialTokens(tokenizerConfig: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const value = tokenizerConfig[key];
    if (typeof value === 'string' && value) out[key] = value;
    else if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
      out[key] = (value as { content: string }).content;
  }
  return out;
}

/**
 * The model's chat template: chat_template.jinja, else chat_template.json's `chat_template`, else
 * tokenizer_config.json's `chat_template`; undefined when it ships none. The template is compiled here, so a broken
 * one fails at load, naming its file.
 */
export async function loadChatTemplate(dir: string): Promise<ChatTemplate | undefined> {
  const tokenizerConfigPath = join(dir, 'tokenizer_config.json');
  const tokenizerConfigText = await readOptional(tokenizerConfigPath);
  const tokenizerConfig = tokenizerConfigText ? parseJson(tokenizerConfigText, tokenizerConfigPath) : {};
  const tokens = specialTokens(tokenizerConfig);
  let found: Omit<ChatTemplate, 'specialTokens' | 'typedContent'> | undefined;
  const jinjaPath = join(dir, 'chat_template.jinja');
  const jsonPath = join(dir, 'chat_template.json');
  const jinja = await readOptional(jinjaPath);
  if (jinja !== undefined) found = { text: jinja, source: 'chat_template.jinja', path: jinjaPath };
  else {
    const json = await readOptional(jsonPath);
    if (json !== undefined)
      found = {
        text: templateText(parseJson(json, jsonPath).chat_template, jsonPath),
        source: 'chat_template.json',
        path: jsonPath,
      };
    else if (tokenizerConfig.chat_template !== undefined && tokenizerConfig.chat_template !== null)
      found = {
        text: templateText(tokenizerConfig.chat_template, tokenizerConfigPath),
        source: 'tokenizer_config.json',
        path: tokenizerConfigPath,
      };
  }
  if (!found) return undefined;
  compile(found.text, found.path);
  return { ...found, typedContent: /\btype\b/.test(found.text), specialTokens: tokens };
}

const compiled = new Map<string, Template>();

function compile(text: string, path: string): Template {
  let template = compiled.get(text);
  if (template) return template;
  try {
    template = new Template(text);
  } catch (cause) {
    throw new RuntimeError('MODEL_CONFIG', `${path}: the chat template does not parse: ${(cause as Error).message}`, {
      cause,
    });
  }
  compiled.set(text, template);
  return template;
}

/**
 * Our messages in the shape Hugging Face templates read; images and videos in the order they appear. With
 * `imageToken`, content parts are flattened into one string per message with that token where each image or video
 * was (for templates that only read string content).
 */
export function templateMessages(
  messages: readonly ChatMessage[],
  imageToken?: string,
): {
  messages: Array<{ role: string; content: unknown }>;
  media: MediaInput[];
} {
  const media: MediaInput[] = [];
  const converted = messages.map((message, i) => {
    if (!message || typeof message !== 'object' || typeof message.role !== 'string')
      throw new RuntimeError('BAD_INPUT', `messages[${i}] needs a role and content`);
    if (typeof message.content === 'string') return { role: message.role, content: message.content };
    if (!Array.isArray(message.content))
      throw new RuntimeError('BAD_INPUT', `messages[${i}].content must be a string or an array of parts`);
    const content = message.content.map((part, k) => {
      switch (part?.type) {
        case 'text':
          return { type: 'text', text: part.text };
        case 'image':
          media.push(part.image);
          return { type: 'image' };
        case 'video':
          media.push({ frames: part.frames });
          return { type: 'video' };
        default:
          throw new RuntimeError(
            'BAD_INPUT',
            `messages[${i}].content[${k}]: unknown part type ${JSON.stringify((part as { type?: unknown })?.type)}`,
          );
      }
    });
    if (imageToken === undefined) return { role: message.role, content };
    const flat = content.map((part) => (part.type === 'text' ? part.text : imageToken)).join('');
    return { role: message.role, content: flat };
  });
  return { messages: converted, media };
}

/** Render a request's messages with the template, ending with the assistant's turn opened. */
export function renderChatTemplate(
  template: ChatTemplate,
  request: GenerateRequest,
  imageToken: string,
): { prompt: string; images: MediaInput[] } {
  const { messages, media } = templateMessages(request.messages, template.typedContent ? undefined : imageToken);
  const render = (list: Array<{ role: string; content: unknown }>) =>
    compile(template.text, template.path).render({
      messages: list,
      add_generation_prompt: true,
      tools: null,
      documents: null,
      ...template.specialTokens,
    });
  let prompt: string;
  try {
    prompt = render(messages);
  } catch (cause) {
    // Templates that only read typed parts (llava-hf's `selectattr('type', ...)`) fail on a plain string, which an
    // OpenAI-style caller sends for text: such a message is retried as one text part. Output is unchanged wherever
    // transformers.js's apply_chat_template renders; this only answers where it would throw.
    const wrapped = messages.map((m) =>
      typeof m.content === 'string' ? { role: m.role, content: [{ type: 'text', text: m.content }] } : m,
    );
    let retried: string | undefined;
    if (template.typedContent && wrapped.some((m, i) => m !== messages[i])) {
      try {
        retried = render(wrapped);
      } catch {
        // The original error says more.
      }
    }
    if (retried === undefined)
      throw new RuntimeError(
        'BAD_INPUT',
        `the chat template of ${template.path} failed on these messages: ${(cause as Error).message}`,
        { cause },
      );
    prompt = retried;
  }
  return { prompt, images: media };
}
