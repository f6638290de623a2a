// tokenizer.json + tokenizer_config.json through @huggingface/tokenizers (the library transformers.js uses), offline.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { RuntimeError } from '../errors.js';

export interface TextTokenizer {
  /** Ids of `text`, with the special tokens the tokenizer's post-processor adds (BOS for LLaMA). */
  encode(text: string, addSpecialTokens?: boolean): number[];
  decode(ids: readonly number[], skipSpecialTokens?: boolean): string;
  tokenToId(token: string): number | undefined;
}

async function readJsonFile(path: string): Promise<object> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `cannot read tokenizer file ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
    return value;
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `${path} is not a valid JSON object: ${(cause as Error).message}`, {
      cause,
    });
  }
}

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  const configPath = join(dir, 'tokenizer_config.json');
  const json = await readJsonFile(tokenizerPath);
  const config = await readJsonFile(configPath);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `${tokenizerPath} cannot be loaded: ${(cause as Error).message}`, { cause });
  }
  return {
    encode: (text, addSpecialTokens = true) => tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    decode: (ids, skipSpecialTokens = true) =>
      tokenizer.decode(ids as number[], { skip_special_tokens: skipSpecialTokens }),
    tokenToId: (token) => tokenizer.token_to_id(token),
  };
}
