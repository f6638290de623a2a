// tokenizer.json + tokenizer_config.json through @huggingface/tokenizers (the library transformers.js uses), offline.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Tokenizer } from '@huggingface/tokenizers';
import { RuntimeError } from '../errors.js';

export interface TextTokenizer {
  /** Ids of `text`, with the special tokens the tokenizer's post-processor adds (BOS for LLaMA). */
  encode(text: string, addSpecialTokens?: boolean): number[];
  decode(ids: readonly number[], skipSpecialTokens?: boolean): string;
  tokenToId(token: string): number | undefined;
  /**
   * Ids of `text` without holding the event loop: texts longer than a few thousand characters are encoded on a
   * worker thread (the same tokenizer.json), so a server stays responsive while a long prompt is tokenized.
   */
  encodeAsync(text: string, addSpecialTokens?: boolean): Promise<number[]>;
  /** The most characters one token stands for (the longest token text in tokenizer.json): a cheap bound. */
  maxTokenChars: number;
  /** Stop the worker thread, if one was started. */
  dispose(): Promise<void>;
}

// Below this many characters encoding takes well under a millisecond or two: not worth a message round trip.
const WORKER_MIN_CHARS = 4096;

// The worker is plain CommonJS run with eval, so it needs no file of its own in the published package.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Tokenizer } = require(workerData.modulePath);
const tokenizer = new Tokenizer(workerData.json, workerData.config);
parentPort.on('message', ({ id, text, addSpecialTokens }) => {
  try {
    parentPort.postMessage({ id, ids: tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

/** A tokenizer on a worker thread, started on first use; requests are answered in order. */
class TokenizerWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (ids: number[]) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly json: object,
    private readonly config: object,
    private readonly path: string,
  ) {}

  encode(text: string, addSpecialTokens: boolean): Promise<number[]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, text, addSpecialTokens });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath: req.resolve('@huggingface/tokenizers'), json: this.json, config: this.config },
    });
    // An idle tokenizer must not keep a script alive.
    worker.unref();
    worker.on('message', (m: { id: number; ids?: number[]; error?: string }) => {
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (!waiter) return;
      if (m.ids) waiter.resolve(m.ids);
      else waiter.reject(new RuntimeError('BAD_INPUT', `tokenizing ${this.path} failed: ${m.error}`));
    });
    const fail = (error: Error) => {
      for (const w of this.waiting.values())
        w.reject(new RuntimeError('BACKEND', `the tokenizer worker for ${this.path} stopped: ${error.message}`));
      this.waiting.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.waiting.size > 0) fail(new Error(`exit code ${code}`));
      this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/** The longest token text in tokenizer.json (vocabulary and added tokens), in UTF-16 code units. */
export function longestTokenChars(json: object): number {
  let longest = 1;
  const model = (json as { model?: { vocab?: unknown } }).model;
  const vocab = model?.vocab;
  // BPE / WordPiece: { token: id }; Unigram: [[token, score], ...].
  const tokens = Array.isArray(vocab)
    ? vocab.map((entry) => (Array.isArray(entry) ? String(entry[0]) : ''))
    : Object.keys((vocab ?? {}) as object);
  for (const t of tokens) if (t.length > longest) longest = t.length;
  const added = (json as { added_tokens?: Array<{ content?: unknown }> }).added_tokens ?? [];
  for (const t of added) if (typeof t.content === 'string' && t.content.length > longest) longest = t.content.length;
  return longest;
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
  const worker = new TokenizerWorker(json, config, tokenizerPath);
  const encode = (text: string, addSpecialTokens = true) =>
    tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  return {
    encode,
    encodeAsync: async (text, addSpecialTokens = true) =>
      text.length < WORKER_MIN_CHARS ? encode(text, addSpecialTokens) : worker.encode(text, addSpecialTokens),
    maxTokenChars: longestTokenChars(json),
    dispose: () => worker.stop(),
    decode: (ids, skipSpecialTokens = true) =>
      tokenizer.decode(ids as number[], { skip_special_tokens: skipSpecialTokens }),
    tokenToId: (token) => tokenizer.token_to_id(token),
  };
}
