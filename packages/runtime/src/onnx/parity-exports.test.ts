// LLaVA-family exports as transformers.js / Optimum publish them (here: random-weight fixtures in their exact
// layouts), run by transformers.js (the reference) and by this runtime on the same directory: the prompt rendered
// from the model's own chat template, the pixels and the greedy tokens must all be identical.
import { readFile } from 'node:fs/promises';
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  AutoTokenizer,
  env,
  RawImage,
  type Tensor,
} from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../model.js';
import { fixturesDir, noisePng } from '../testing/fixtures.js';
import { loadOnnxModel, type OnnxVisionLanguageModel } from './model.js';
import type { Dtype } from './model-files.js';

env.allowRemoteModels = false;
env.localModelPath = fixturesDir;

type Processor = Awaited<ReturnType<typeof AutoProcessor.from_pretrained>>;
type Tokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
type Reference = Awaited<ReturnType<typeof AutoModelForImageTextToText.from_pretrained>>;

/**
 * How a transformers.js 4.3 user runs each family:
 * - 'llava': LlavaProcessor renders the chat (typed parts), expands `<image>` and preprocesses;
 * - 'fastvlm': the same, but its Qwen2 template takes string content with `<image>` written in (the model card's way),
 *   called with add_special_tokens: false;
 * - 'onevision': no processor expands `<image>` in 4.3, so the user repeats it num_image_tokens times, tokenizes,
 *   and preprocesses the image separately; the chat is rendered with the model's chat_template.json.
 * - 'raw': no template; LLaVA-1.5's prompt text through LlavaProcessor.
 */
type Flow = 'llava' | 'fastvlm' | 'onevision' | 'raw';

/**
 * Fixture directories and the dtypes they ship. `template: false` models ship no chat template: the prompt is given
 * as text (LLaVA-1.5's format) to both. Our LLaMA fixture's pad-to-square hint is turned off for both, since
 * transformers.js never pads.
 */
const EXPORTS: Array<{ dir: string; what: string; dtypes: Dtype[]; flow: Flow; reference?: string }> = [
  {
    dir: 'tiny-llava',
    what: 'llava, LLaMA decoder, CLIP shortest-edge resize and centre crop',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    flow: 'raw',
  },
  {
    dir: 'tiny-llava-qwen2',
    what: 'llava, Qwen2 decoder, ChatML chat_template.jinja, SigLIP-style resize',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    flow: 'llava',
  },
  {
    dir: 'tiny-llava-qwen2-fp16io',
    what: 'fp16 graphs that take and give float16 (pixels, embeddings, KV cache, logits), fp16 by config.json',
    dtypes: ['fp16'],
    flow: 'llava',
    // transformers.js 4.3 cannot run float16 inputs and outputs in Node (its greedy tokens are all 0, and float32
    // pixels are refused), so the reference is the same weights with float32 boundaries: the casts at the edge are
    // exact, so the tokens must be identical.
    reference: 'tiny-llava-qwen2',
  },
  {
    dir: 'tiny-llava-qwen2-external',
    what: 'the same with every graph in two external data chunks',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    flow: 'llava',
  },
];
EXPORTS.push(
  {
    dir: 'tiny-fastvlm',
    what: 'llava_qwen2 (FastVLM): flat config, Qwen2 string template in tokenizer_config.json, 64x tower',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    flow: 'fastvlm',
  },
  {
    dir: 'tiny-llava-onevision',
    what: 'llava_onevision: chat_template.json, num_image_tokens, one resized crop per image',
    dtypes: ['fp32', 'fp16', 'q8', 'q4'],
    flow: 'onevision',
  },
);
const RAW_PROMPT =
  'USER: <image>\nWhere is the object described cat located in image in terms of (x1,y1,x2,y2) bbox? ASSISTANT:';

// Sizes include one far from square: the processor resizes without keeping the aspect ratio.
const IMAGES: Array<[number, number, number]> = [
  [64, 64, 21],
  [97, 61, 22],
  [40, 160, 23],
];
const NEW_TOKENS = 20;

const loaded: Array<{ close(): Promise<void> } | { dispose(): Promise<unknown> }> = [];
afterAll(async () => {
  for (const m of loaded) await ('close' in m ? m.close() : m.dispose());
});

function chat(png: Uint8Array): ChatMessage[] {
  return [
    { role: 'system', content: [{ type: 'text', text: 'Answer with a box.' }] },
    {
      role: 'user',
      content: [
        { type: 'image', image: { bytes: png } },
        { type: 'text', text: 'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?' },
      ],
    },
  ];
}

/**
 * The same chat as a transformers.js user writes it: typed parts without data, or (string templates) one string
 * per message with `<image>` written where the image goes.
 */
function hfChat(flat = false): unknown[] {
  return chat(new Uint8Array()).map((m) => {
    const parts = (m.content as Array<{ type: string; text?: string }>).map((p) =>
      p.type === 'image' ? { type: 'image' } : { type: 'text', text: p.text! },
    );
    return {
      role: m.role,
      content: flat ? parts.map((p) => ('text' in p ? p.text : '<image>')).join('') : parts,
    };
  });
}

/** What the transformers.js user feeds generate(), and the prompt text before image expansion. */
async function referenceInputs(
  flow: Flow,
  dir: string,
  processor: Processor,
  tokenizer: Tokenizer,
  png: Uint8Array,
): Promise<{ text: string; inputs: Record<string, unknown> }> {
  const image = await RawImage.fromBlob(new Blob([png]));
  if (flow === 'raw') return { text: RAW_PROMPT, inputs: await processor(image, RAW_PROMPT) };
  if (flow === 'llava') {
    const text = processor.apply_chat_template(hfChat() as never, { add_generation_prompt: true }) as string;
    return { text, inputs: await processor(image, text) };
  }
  if (flow === 'fastvlm') {
    const text = processor.apply_chat_template(hfChat(true) as never, { add_generation_prompt: true }) as string;
    return { text, inputs: await processor(image, text, { add_special_tokens: false }) };
  }
  const template = JSON.parse(await readFile(`${fixturesDir}${dir}/chat_template.json`, 'utf8')).chat_template;
  const processorConfig = JSON.parse(await readFile(`${fixturesDir}${dir}/processor_config.json`, 'utf8'));
  const text = tokenizer.apply_chat_template(hfChat() as never, {
    chat_template: template,
    add_generation_prompt: true,
    tokenize: false,
  }) as string;
  const expanded = text.replace('<image>', '<image>'.repeat(processorConfig.num_image_tokens));
  return { text, inputs: { ...tokenizer(expanded), ...(await processor(image)) } };
}

for (const fixture of EXPORTS) {
  describe(`${fixture.dir} (${fixture.what})`, () => {
    let processor: Processor;
    let tokenizer: Tokenizer;

    for (const dtype of fixture.dtypes) {
      describe(`dtype ${dtype}`, () => {
        let reference: Reference;
        let ours: OnnxVisionLanguageModel;

        it('loads in both', async () => {
          processor ??= await AutoProcessor.from_pretrained(fixture.dir);
          tokenizer ??= await AutoTokenizer.from_pretrained(fixture.dir);
          reference = await AutoModelForImageTextToText.from_pretrained(fixture.reference ?? fixture.dir, {
            dtype,
            device: 'cpu',
          });
          loaded.push(reference);
          ours = await loadOnnxModel(`${fixturesDir}${fixture.dir}`, {
            device: 'cpu',
            dtype,
            imageAspectRatio: 'none',
          });
          loaded.push(ours);
          const components = ours.describe().components;
          expect(Object.values(components).map((c) => c.dtype)).toEqual([dtype, dtype, dtype]);
          // The external-data fixture's decoder reads both of its chunks; the others hold their weights inline.
          const chunks = components.decoder_model_merged!.externalData.map((f) => f.slice(f.lastIndexOf('/') + 1));
          const suffix = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4' }[dtype as 'fp32'];
          expect(chunks).toEqual(
            fixture.dir.endsWith('-external')
              ? [`decoder_model_merged${suffix}.onnx_data`, `decoder_model_merged${suffix}.onnx_data_1`]
              : [],
          );
        }, 60_000);

        if (fixture.flow !== 'raw')
          it('renders the prompt from the chat template as transformers.js does', async () => {
            const { text } = await referenceInputs(
              fixture.flow,
              fixture.dir,
              processor,
              tokenizer,
              await noisePng(8, 8),
            );
            const mine = ours.renderPrompt({ messages: chat(new Uint8Array([1])) });
            expect(mine.prompt).toBe(text);
            expect(mine.images).toHaveLength(1);
          });

        for (const [w, h, seed] of IMAGES) {
          it(`gives the same pixels, prompt ids and greedy tokens on a ${w}x${h} image`, async () => {
            const png = await noisePng(w, h, seed);
            const { inputs } = await referenceInputs(fixture.flow, fixture.dir, processor, tokenizer, png);
            const ids = Array.from((inputs.input_ids as Tensor).data as BigInt64Array, Number);
            const prompt = fixture.flow === 'raw' ? RAW_PROMPT : ours.renderPrompt({ messages: chat(png) }).prompt;
            expect(ours.tokenizePrompt(prompt, 1)).toEqual(ids);
            const pixels = await ours.preprocessImage({ bytes: png });
            expect(Array.from(pixels.pixelValues)).toEqual(
              Array.from((inputs.pixel_values as Tensor).data as Float32Array),
            );
            const out = (await reference.generate({
              ...inputs,
              max_new_tokens: NEW_TOKENS,
              do_sample: false,
            })) as Tensor;
            const expected = (out.tolist() as bigint[][])[0]!.slice(ids.length).map(Number);
            const result =
              fixture.flow !== 'raw'
                ? await ours.generate({ messages: chat(png), maxNewTokens: NEW_TOKENS, details: true })
                : await ours.complete({ prompt, images: [{ bytes: png }], maxNewTokens: NEW_TOKENS, details: true });
            expect(result.tokenIds).toEqual(expected);
            expect(result.tokenIds!.length).toBeGreaterThan(0);
          }, 60_000);
        }
      });
    }
  });
}
