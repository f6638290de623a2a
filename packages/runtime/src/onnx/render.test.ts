import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import type { GenerateRequest } from '../model.js';
import { noisePng, tinyModelDir } from '../testing/fixtures.js';
import { loadModelConfig, type ModelConfig } from './config.js';
import { loadOnnxModel, type OnnxVisionLanguageModel } from './model.js';
import { conversationRenderer } from './render.js';

const LLAVA_V1_SYSTEM =
  "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.";
let config: ModelConfig;
let model: OnnxVisionLanguageModel;
let png: Uint8Array;
beforeAll(async () => {
  config = await loadModelConfig(tinyModelDir);
  model = await loadOnnxModel(tinyModelDir, { device: 'cpu' });
  png = await noisePng(50, 40, 2);
});
afterAll(async () => {
  await model?.close();
});

const render = (request: Omit<GenerateRequest, 'maxNewTokens'>, template?: string) =>
  conversationRenderer(template)(request as GenerateRequest, config);

describe('chat messages to prompts', () => {
  it('renders llava_v1 with the image moved to the front of its turn', () => {
    const image = { bytes: new Uint8Array([1]) };
    const out = render({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Where is the cat?' },
            { type: 'image', image },
          ],
        },
      ],
    });
    expect(out.prompt).toBe(`${LLAVA_V1_SYSTEM} USER: <image>\nWhere is the cat? ASSISTANT:`);
    expect(out.images).toEqual([image]);
  });

  it('takes a system message and earlier turns', () => {
    const out = render({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Where?' },
      ],
    });
    expect(out.prompt).toBe('Be brief. USER: Hi ASSISTANT: Hello.</s>USER: Where? ASSISTANT:');
    expect(render({ messages: [{ role: 'user', content: 'Hi' }] }, 'llava_llama_2').prompt).toMatch(/\[INST\] <<SYS>>/);
  });

  it('leaves several images of one turn where they are, and a video takes one placeholder', () => {
    const a = { bytes: new Uint8Array([1]) };
    const b = { bytes: new Uint8Array([2]) };
    const out = render({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', image: a },
            { type: 'text', text: 'or' },
            { type: 'video', frames: [a, b] },
          ],
        },
      ],
    });
    expect(out.prompt).toBe(`${LLAVA_V1_SYSTEM} USER: <image>\nor<image> ASSISTANT:`);
    expect(out.images).toEqual([a, { frames: [a, b] }]);
  });

  it('refuses conversations that do not end with the user or do not alternate', () => {
    expect(() => render({ messages: [{ role: 'assistant', content: 'x' }] })).toThrow(RuntimeError);
    expect(() =>
      render({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      }),
    ).toThrow(/last message must be from the user/);
    expect(() => render({ messages: [{ role: 'user', content: 'a' }] }, 'nope')).toThrow(/unknown chat template/);
  });

  it('generate() on the local model is complete() on the rendered prompt', async () => {
    const messages = [
      {
        role: 'user' as const,
        content: [
          { type: 'image' as const, image: { bytes: png } },
          { type: 'text' as const, text: 'Where is the cat?' },
        ],
      },
    ];
    const viaChat = await model.generate({ messages, maxNewTokens: 10, details: true });
    const viaPrompt = await model.complete({
      prompt: `${LLAVA_V1_SYSTEM} USER: <image>\nWhere is the cat? ASSISTANT:`,
      images: [{ bytes: png }],
      maxNewTokens: 10,
      details: true,
    });
    expect(viaChat.tokenIds).toEqual(viaPrompt.tokenIds);
    const streamed: string[] = [];
    for await (const d of model.stream({ messages, maxNewTokens: 10 })) streamed.push(d);
    expect(streamed.join('')).toBe(viaChat.text);
  });
});
