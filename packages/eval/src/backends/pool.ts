// Several models (typically several OpenAI-compatible endpoints serving the same weights) used as one: each request
// goes to the least busy member, at most `maxInFlightPerModel` at a time per member, and a failed request is
// retried on another member after a back-off. The pool is itself a VisionLanguageModel, so eval never knows.
import type { GenerateRequest, GenerateResult, VisionLanguageModel } from '@locvlm/runtime';
import { EvaluationError } from '../errors.js';

export interface ModelPoolOptions {
  /** Name for run files and reports (default: the members' ids joined by `+`). */
  id?: string;
  /** Requests in flight per member (default 1). */
  maxInFlightPerModel?: number;
  /** Further attempts after a failure (default 2). */
  retries?: number;
  /** First back-off in ms, doubled per attempt (default 500). */
  retryDelayMs?: number;
  /** Whether an error is worth another attempt (default: anything but an abort). */
  isRetryable?: (error: unknown) => boolean;
}

interface Member {
  model: VisionLanguageModel;
  inFlight: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createModelPool(
  models: readonly VisionLanguageModel[],
  options: ModelPoolOptions = {},
): VisionLanguageModel {
  if (models.length === 0) throw new EvaluationError('BAD_INPUT', 'a model pool needs at least one model');
  const perModel = options.maxInFlightPerModel ?? 1;
  if (!Number.isInteger(perModel) || perModel < 1) {
    throw new EvaluationError('BAD_INPUT', `maxInFlightPerModel must be a positive integer, got ${perModel}`);
  }
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const isRetryable = options.isRetryable ?? (() => true);
  const members: Member[] = models.map((model) => ({ model, inFlight: 0 }));
  const waiting: (() => void)[] = [];
  let turn = 0;

  /** The least busy member with room, preferring one other than `avoid` (the member that just failed). */
  const pick = (avoid?: Member): Member | undefined => {
    let best: Member | undefined;
    for (let i = 0; i < members.length; i++) {
      const m = members[(turn + i) % members.length]!;
      if (m.inFlight >= perModel) continue;
      if (!best || m.inFlight < best.inFlight || (best === avoid && m !== avoid)) best = m;
    }
    turn = (turn + 1) % members.length;
    return best;
  };

  const acquire = async (signal: AbortSignal | undefined, avoid?: Member): Promise<Member> => {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const member = pick(avoid);
      if (member) {
        member.inFlight++;
        return member;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const release = (member: Member) => {
    member.inFlight--;
    waiting.shift()?.();
  };

  const pool: VisionLanguageModel = {
    id: options.id ?? models.map((m) => m.id).join('+'),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      let lastError: unknown;
      let failed: Member | undefined;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) await sleep(retryDelayMs * 2 ** (attempt - 1), request.signal);
        const member = await acquire(request.signal, failed);
        try {
          return await member.model.generate(request);
        } catch (error) {
          lastError = error;
          failed = member;
          if (request.signal?.aborted || !isRetryable(error)) throw error;
        } finally {
          release(member);
        }
      }
      throw new EvaluationError(
        'BACKEND',
        `all ${retries + 1} attempts failed (last on ${failed?.model.id}): ${(lastError as Error)?.message ?? String(lastError)}`,
        { cause: lastError },
      );
    },
    async *stream(request: GenerateRequest): AsyncIterable<string> {
      const member = await acquire(request.signal);
      try {
        yield* member.model.stream(request);
      } finally {
        release(member);
      }
    },
    async close() {
      await Promise.all(models.map((m) => m.close()));
    },
  };
  return pool;
}

/** What `--backend` names: an ONNX model folder, or one or more OpenAI-compatible base URLs. */
export type BackendSpec = { kind: 'onnx'; dir: string } | { kind: 'openai'; urls: string[]; model?: string };

/**
 * Parse `onnx:DIR` or `openai:URL[,URL...]` (optionally `#MODEL` after the URLs to name the served model), e.g.
 * `openai:http://gpu1:8000/v1,http://gpu2:8000/v1#llava-v1.5-7b`.
 */
export function parseBackendSpec(spec: string): BackendSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'onnx') {
    if (rest === '') throw new EvaluationError('BAD_INPUT', `backend ${JSON.stringify(spec)}: expected onnx:DIR`);
    return { kind: 'onnx', dir: rest };
  }
  if (kind === 'openai') {
    const hash = rest.lastIndexOf('#');
    const urlsText = hash < 0 ? rest : rest.slice(0, hash);
    const model = hash < 0 ? undefined : rest.slice(hash + 1);
    const urls = urlsText
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (urls.length === 0) {
      throw new EvaluationError('BAD_INPUT', `backend ${JSON.stringify(spec)}: expected openai:URL[,URL...][#MODEL]`);
    }
    for (const url of urls) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new EvaluationError('BAD_INPUT', `backend ${JSON.stringify(spec)}: ${JSON.stringify(url)} is not a URL`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new EvaluationError('BAD_INPUT', `backend ${JSON.stringify(spec)}: ${url} must be http(s)`);
      }
    }
    return { kind: 'openai', urls, ...(model ? { model } : {}) };
  }
  throw new EvaluationError(
    'BAD_INPUT',
    `backend ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)}; expected onnx:DIR or openai:URL[,URL...]`,
  );
}
