import { describe, expect, it } from 'vitest';
import { CHAT_TEMPLATES, type ConversationTurn, moveImageTokenToFront, renderConversation } from './chat.js';
import { PromptError } from './errors.js';
import { pythonLstrip, pythonStrip } from './text.js';

// Expected strings below are written out by hand from get_prompt() in haotian-liu/LLaVA llava/conversation.py and
// mbzuai-oryx/Video-ChatGPT video_chatgpt/video_conversation.py.
const VICUNA_SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";
const LLAVA_SYSTEM =
  "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.";
const LLAMA_2_SYSTEM =
  'You are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.';

const human = (value: string): ConversationTurn => ({ from: 'human', value });
const gpt = (value: string): ConversationTurn => ({ from: 'gpt', value });

describe('renderConversation: vicuna_v1 and llava_v1 (SeparatorStyle.TWO)', () => {
  it('renders the generation prompt when the last turn is human', () => {
    expect(renderConversation('vicuna_v1', [human('<image>\nWhat is in the image?')])).toBe(
      "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. USER: <image>\nWhat is in the image? ASSISTANT:",
    );
  });

  it('renders an empty final gpt turn exactly like an absent one', () => {
    const absent = renderConversation('llava_v1', [human('<image>\nQ?')]);
    expect(renderConversation('llava_v1', [human('<image>\nQ?'), gpt('')])).toBe(absent);
    expect(absent).toBe(`${LLAVA_SYSTEM} USER: <image>\nQ? ASSISTANT:`);
  });

  it('renders a two-round training conversation with " " after user turns and "</s>" after assistant turns', () => {
    const text = renderConversation('llava_v1', [
      human('What is this?\n<image>'),
      gpt('A cat.'),
      human('Where is it?'),
      gpt('It is located at (4, 52, 13, 63)'),
    ]);
    expect(text).toBe(
      "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: <image>\nWhat is this? ASSISTANT: A cat.</s>USER: Where is it? ASSISTANT: It is located at (4, 52, 13, 63)</s>",
    );
  });

  it('asks for the next reply after a finished round', () => {
    expect(renderConversation('vicuna_v1', [human('<image>\nA?'), gpt('B.'), human('C?')])).toBe(
      `${VICUNA_SYSTEM} USER: <image>\nA? ASSISTANT: B.</s>USER: C? ASSISTANT:`,
    );
  });

  it('moves <image> to the front of the turn followed by "\\n" (LLaVA preprocess_multimodal)', () => {
    expect(renderConversation('vicuna_v1', [human('Describe <image> this.  ')])).toBe(
      `${VICUNA_SYSTEM} USER: <image>\nDescribe  this. ASSISTANT:`,
    );
    expect(renderConversation('vicuna_v1', [human('Describe <image> this.  ')], { moveMediaToken: false })).toBe(
      `${VICUNA_SYSTEM} USER: Describe <image> this.   ASSISTANT:`,
    );
  });
});

describe('renderConversation: llava_llama_2 (SeparatorStyle.LLAMA_2)', () => {
  it('wraps the system prompt into the first [INST] and strips the leading "<s>"', () => {
    expect(renderConversation('llava_llama_2', [human('<image>\nWhat is this?')])).toBe(
      '[INST] <<SYS>>\nYou are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.\n<</SYS>>\n\n<image>\nWhat is this? [/INST]',
    );
  });

  it('keeps "<s>" before later rounds and " answer </s>" after each reply', () => {
    const text = renderConversation('llava_llama_2', [
      human('<image>\nWhat is this?'),
      gpt('A cat.'),
      human('Where?'),
      gpt('Left.'),
    ]);
    expect(text).toBe(
      `[INST] <<SYS>>\n${LLAMA_2_SYSTEM}\n<</SYS>>\n\n<image>\nWhat is this? [/INST] A cat. </s><s>[INST] Where? [/INST] Left. </s>`,
    );
    expect(renderConversation('llava_llama_2', [human('<image>\nWhat is this?'), gpt('A cat.'), human('Where?')])).toBe(
      `[INST] <<SYS>>\n${LLAMA_2_SYSTEM}\n<</SYS>>\n\n<image>\nWhat is this? [/INST] A cat. </s><s>[INST] Where? [/INST]`,
    );
  });

  it("lstrip('<s>') strips a character set, not a prefix (Python semantics)", () => {
    expect(pythonLstrip('<s>s<>><s[INST] x', '<s>')).toBe('[INST] x');
    expect(pythonLstrip('sss', '<s>')).toBe('');
    expect(pythonLstrip('[INST]<s>', '<s>')).toBe('[INST]<s>');
  });
});

describe('renderConversation: video-chatgpt_v1', () => {
  it('uses the Video-ChatGPT system text verbatim (no space in "language.Follow") and leaves <video> in place', () => {
    expect(renderConversation('video-chatgpt_v1', [human('Where is the dog?\n<video>')])).toBe(
      'You are Video-ChatGPT, a large vision-language assistant. You are able to understand the video content that the user provides, and assist the user with a variety of tasks using natural language.Follow the instructions carefully and explain your answers in detail based on the provided video. USER: Where is the dog?\n<video> ASSISTANT:',
    );
  });

  it('renders a finished round with the Vicuna separators', () => {
    expect(renderConversation('video-chatgpt_v1', [human('<video>\nQ?'), gpt('A.')])).toBe(
      `${CHAT_TEMPLATES['video-chatgpt_v1'].system} USER: <video>\nQ? ASSISTANT: A.</s>`,
    );
  });
});

describe('moveImageTokenToFront and Python strip', () => {
  it('matches ("<image>\\n" + v.replace("<image>", "").strip()).strip()', () => {
    expect(moveImageTokenToFront('<image>\nQ?')).toBe('<image>\nQ?');
    expect(moveImageTokenToFront('Q?\n<image>')).toBe('<image>\nQ?');
    expect(moveImageTokenToFront('<image>A<image>B')).toBe('<image>\nAB');
    expect(moveImageTokenToFront('<image>')).toBe('<image>');
    expect(moveImageTokenToFront('no token ')).toBe('no token ');
  });

  it("strips Python's whitespace set, not JavaScript's", () => {
    expect(pythonStrip('\x1c\x1f\x85 a \u3000')).toBe('a');
    expect(pythonStrip('\ufeffa')).toBe('\ufeffa');
    expect(moveImageTokenToFront('\x1cQ<image>')).toBe('<image>\nQ');
  });
});

describe('renderConversation: options.system', () => {
  it('replaces the system text and keeps the layout', () => {
    expect(renderConversation('vicuna_v1', [human('Q')], { system: 'Be brief.' })).toBe('Be brief. USER: Q ASSISTANT:');
    expect(renderConversation('llava_llama_2', [human('Q')], { system: '' })).toBe(
      '[INST] <<SYS>>\n\n<</SYS>>\n\nQ [/INST]',
    );
    expect(() => renderConversation('vicuna_v1', [human('Q')], { system: 3 as never })).toThrow(
      /options\.system must be a string/,
    );
  });
});

describe('renderConversation: input checks', () => {
  it('rejects an unknown template with the known names', () => {
    expect(() => renderConversation('llava_v2' as never, [human('Q')])).toThrow(
      /unknown chat template "llava_v2"; known: vicuna_v1/,
    );
    expect(() => renderConversation('nope' as never, [human('Q')])).toThrow(
      expect.objectContaining({ name: 'PromptError', code: 'UNKNOWN_TEMPLATE' }),
    );
    expect(() => renderConversation('vicuna_v1', [gpt('A')])).toThrow(PromptError);
  });

  it('rejects turns that do not start with human and alternate', () => {
    expect(() => renderConversation('vicuna_v1', [gpt('A')])).toThrow(/messages\[0\]\.from must be "human"/);
    expect(() => renderConversation('vicuna_v1', [human('Q'), human('Q2')])).toThrow(
      /messages\[1\]\.from must be "gpt"/,
    );
    expect(() => renderConversation('vicuna_v1', [])).toThrow(/non-empty array/);
  });

  it('allows an empty value only in a final gpt turn', () => {
    expect(() => renderConversation('vicuna_v1', [human('')])).toThrow(/messages\[0\]\.value/);
    expect(() => renderConversation('vicuna_v1', [human('Q'), gpt(''), human('Q')])).toThrow(/messages\[1\]\.value/);
  });
});
