// The model's Jinja chat template: found where Hugging Face looks, and rendered byte-identically to transformers.js's
// apply_chat_template(messages, { add_generation_prompt: true }) (the reference) for text, image and multi-turn chats.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import type { ChatMessage } from '../model.js';
import { fixturesDir, tinyModelDir } from '../testing/fixtures.js';
import { loadChatTemplate, renderChatTemplate, templateMessages } from './chat-template.js';

env.allowRemoteModels = false;
env.localModelPath = fixturesDir;

// llava-hf/llava-1.5-*-hf's template (typed parts, images first, `{% generation %}` around assistant text).
const LLAVA_HF =
  "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";
// ChatML as Qwen-based LLaVAs write it, with a default system turn and string or typed content.
const CHATML =
  "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' }}{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\\n' }}{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// LLaMA-2 style: bos/eos tokens from tokenizer_config.json and raise_exception for bad role order.
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const image = { bytes: new Uint8Array([1, 2, 3]) };
const CHATS: Record<string, ChatMessage[]> = {
  'text only': [{ role: 'user', content: [{ type: 'text', text: 'Is there a cat?' }] }],
  'image and text': [
    {
      role: 'user',
      content: [
        { type: 'image', image },
        { type: 'text', text: 'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?' },
      ],
    },
  ],
  'multi-turn with a system message and two images': [
    { role: 'system', content: [{ type: 'text', text: 'Answer briefly.' }] },
    {
      role: 'user',
      content: [
        { type: 'image', image },
        { type: 'text', text: 'What is this?' },
      ],
    },
    { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'And this?' },
        { type: 'image', image },
      ],
    },
  ],
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'locvlm-chat-template-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function modelWith(name: string, files: Record<string, string>, tokenizerConfig?: object): Promise<string> {
  const dir = join(work, name);
  await cp(tinyModelDir, dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  if (tokenizerConfig) {
    const path = join(dir, 'tokenizer_config.json');
    const current = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...current, ...tokenizerConfig }));
  }
  return dir;
}

describe('finding the chat template', () => {
  it('has none for a model that ships none (LLaVA conversation templates apply)', async () => {
    expect(await loadChatTemplate(tinyModelDir)).toBeUndefined();
  });

  it('prefers chat_template.jinja, then chat_template.json, then tokenizer_config.json', async () => {
    const all = await modelWith(
      'all',
      { 'chat_template.jinja': 'jinja', 'chat_template.json': JSON.stringify({ chat_template: 'json' }) },
      { chat_template: 'tokenizer' },
    );
    expect(await loadChatTemplate(all)).toMatchObject({ text: 'jinja', source: 'chat_template.jinja' });
    await rm(join(all, 'chat_template.jinja'));
    expect(await loadChatTemplate(all)).toMatchObject({ text: 'json', source: 'chat_template.json' });
    await rm(join(all, 'chat_template.json'));
    expect(await loadChatTemplate(all)).toMatchObject({ text: 'tokenizer', source: 'tokenizer_config.json' });
  });

  it("takes the 'default' of a list of named templates, and the special tokens", async () => {
    const dir = await modelWith(
      'named',
      {},
      {
        chat_template: [
          { name: 'tool_use', template: 'tools' },
          { name: 'default', template: 'plain' },
        ],
      },
    );
    const template = await loadChatTemplate(dir);
    expect(template?.text).toBe('plain');
    expect(template?.specialTokens).toMatchObject({ bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' });
  });

  it('names the file of a template that does not parse, at load', async () => {
    const dir = await modelWith('broken', { 'chat_template.jinja': '{% for message in messages %}{{ message' });
    const error = await loadChatTemplate(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).code).toBe('MODEL_CONFIG');
    expect((error as RuntimeError).message).toMatch(/broken\/chat_template\.jinja: the chat template does not parse/);
  });

  it('names a chat_template.json that is not JSON', async () => {
    const dir = await modelWith('bad-json', { 'chat_template.json': '{ "chat_template": ' });
    await expect(loadChatTemplate(dir)).rejects.toThrow(/bad-json\/chat_template\.json is not a valid JSON object/);
  });
});

describe('rendering, identical to transformers.js apply_chat_template', () => {
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  beforeAll(async () => {
    tokenizer = await AutoTokenizer.from_pretrained('tiny-llava');
  });

  for (const [name, text] of Object.entries({ LLAVA_HF, CHATML })) {
    for (const [chat, messages] of Object.entries(CHATS)) {
      it(`${name}: ${chat}`, async () => {
        const dir = await modelWith(`${name}-${chat.replace(/\W+/g, '-')}`, { 'chat_template.jinja': text });
        const template = (await loadChatTemplate(dir))!;
        const ours = renderChatTemplate(template, { messages }, '<image>');
        const { messages: hf } = templateMessages(messages);
        const theirs = tokenizer.apply_chat_template(hf as never, {
          chat_template: text,
          add_generation_prompt: true,
          tokenize: false,
        });
        expect(ours.prompt).toBe(theirs);
        // One placeholder per image, and the images in the order they appear.
        const images = messages
          .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
          .filter((p) => p.type === 'image');
        expect(ours.prompt.split('<image>').length - 1).toBe(images.length);
        expect(ours.images).toHaveLength(images.length);
      });
    }
  }

  it('passes string content and the special tokens as transformers.js does (LLaMA-2 template)', async () => {
    const dir = await modelWith('llama2', { 'chat_template.jinja': LLAMA2 });
    const template = (await loadChatTemplate(dir))!;
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Where is the cat?' },
    ];
    const ours = renderChatTemplate(template, { messages }, '<image>');
    const theirs = tokenizer.apply_chat_template(templateMessages(messages).messages as never, {
      chat_template: LLAMA2,
      add_generation_prompt: true,
      tokenize: false,
    });
    expect(ours.prompt).toBe(theirs);
    expect(ours.prompt).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Where is the cat? [/INST]',
    );
  });

  it('renders string content with a template that reads typed parts only, where transformers.js throws', async () => {
    const dir = await modelWith('llava-hf-string', { 'chat_template.jinja': LLAVA_HF });
    const template = (await loadChatTemplate(dir))!;
    const asString: ChatMessage[] = [{ role: 'user', content: 'Is there a cat?' }];
    expect(() =>
      tokenizer.apply_chat_template(templateMessages(asString).messages as never, {
        chat_template: LLAVA_HF,
        add_generation_prompt: true,
        tokenize: false,
      }),
    ).toThrow(/selectattr/);
    const asPart = renderChatTemplate(
      template,
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'Is there a cat?' }] }] },
      '<image>',
    );
    expect(renderChatTemplate(template, { messages: asString }, '<image>').prompt).toBe(asPart.prompt);
    expect(asPart.prompt).toBe('USER: Is there a cat? ASSISTANT:');
  });

  it('gives string-only templates one string per message with the image token where the image was', async () => {
    // Qwen2's template, as FastVLM ships it in tokenizer_config.json: it reads message['content'] as a string.
    const QWEN2 =
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const dir = await modelWith('qwen2-string', {}, { chat_template: QWEN2 });
    const template = (await loadChatTemplate(dir))!;
    expect(template.typedContent).toBe(false);
    const ours = renderChatTemplate(
      template,
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', image },
              { type: 'text', text: 'Describe it.' },
            ],
          },
        ],
      },
      '<image>',
    );
    // What FastVLM's model card writes by hand for transformers.js.
    const theirs = tokenizer.apply_chat_template([{ role: 'user', content: '<image>Describe it.' }] as never, {
      chat_template: QWEN2,
      add_generation_prompt: true,
      tokenize: false,
    });
    expect(ours.prompt).toBe(theirs);
    expect(ours.images).toHaveLength(1);
  });

  it("turns the template's own exception into a BAD_INPUT error naming the file", async () => {
    const dir = await modelWith('llama2-raise', { 'chat_template.jinja': LLAMA2 });
    const template = (await loadChatTemplate(dir))!;
    const bad = () =>
      renderChatTemplate(
        template,
        {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
          ],
        },
        '<image>',
      );
    expect(bad).toThrow(RuntimeError);
    expect(bad).toThrow(/llama2-raise\/chat_template\.jinja failed on these messages: .*roles must alternate/);
  });
});
