// The one way the rest of LocVLM-TS talks to a vision-language model: images plus chat messages in, text out.
// Implementations: the local ONNX model (./onnx) and any OpenAI-compatible chat-completions server (./openai).
// pseudo-data and eval take a `VisionLanguageModel` as an argument and never construct one.

/** An image given to a model: a file path, encoded bytes (PNG/JPEG/...), or a `data:` / `http(s):` URL. */
export type ImageSource = { path: string } | { bytes: Uint8Array } | { url: string };

/** One part of a user message: text, an image, or a video given as its sampled frames (in time order). */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: ImageSource }
  | { type: 'video'; frames: ImageSource[] };

/** One chat turn: a role and its text, or text, image and video parts in order. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** Plain text, or parts in order (images where they appear in the conversation). */
  content: string | ContentPart[];
}

/** How to generate: token budget, sampling, stop strings, details, abort. */
export interface GenerateOptions {
  /** Upper bound on generated tokens (LLaVA's eval default is 128). */
  maxNewTokens?: number;
  /** 0 (the default) is greedy decoding; the paper evaluates at 0.2. */
  temperature?: number;
  topP?: number;
  /** Seed for sampling, so a sampled answer can be reproduced. */
  seed?: number;
  /** Generation ends before any of these strings; they are not part of the text. */
  stop?: string[];
  /** Ask for generated token ids and timings in the result (where the model can give them). */
  details?: boolean;
  signal?: AbortSignal;
}

/** Chat messages plus generation options: what every model's `generate` and `stream` take. */
export interface GenerateRequest extends GenerateOptions {
  messages: ChatMessage[];
}

/** Generated text, why it ended, and (when asked) token ids and timings. */
export interface GenerateResult {
  text: string;
  finishReason: 'stop' | 'length';
  /** Present when `details` was asked for and the model exposes them. */
  tokenIds?: number[];
  timing?: { promptMs: number; firstTokenMs: number; totalMs: number; newTokens: number };
}

/**
 * The one model interface of LocVLM-TS: images and chat messages in, text out. Local ONNX models, transformers.js
 * families and OpenAI-compatible servers all implement it; pseudo-data and eval take it as an argument.
 */
export interface VisionLanguageModel {
  /** A name for reports and run files, e.g. the model directory or `endpoint#model`. */
  readonly id: string;
  /** The whole answer at once. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Text deltas as they are generated. The iterator's last result (`{ done: true, value }`, seen when iterating
   * with `next()`) carries the finished answer's `GenerateResult` (why it stopped: `finishReason`) where the model
   * knows it; `for await` loops see only the deltas.
   */
  stream(request: GenerateRequest): AsyncIterable<string, GenerateResult | undefined>;
  /** Free sessions, sockets and workers. */
  close(): Promise<void>;
}
