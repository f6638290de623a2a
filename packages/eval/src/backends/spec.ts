// What `--backend` names and how to read it. The models themselves come from @locvlm/runtime (loadOnnxModel, and
// createOpenAIModel, which already spreads requests over several endpoints with bounded concurrency and retries).
import { EvaluationError } from '../errors.js';

/** What `--backend` names: an ONNX model folder, or one or more OpenAI-compatible base URLs. */
export type BackendSpec = { kind: 'onnx'; dir: string } | { kind: 'openai'; urls: string[]; model?: string };

/**
 * Parse `onnx:DIR` or `openai:URL[,URL...]` (optionally `#MODEL` after the URLs to name the served model), e.g.
 * `openai:http://gpu1:8000,http://gpu2:8000#llava-v1.5-7b` (base URLs; a trailing /v1 is accepted).
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
    // The runtime appends /v1/chat/completions, so a base URL given with its /v1 is trimmed.
    const urls = urlsText
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, '').replace(/\/v1$/, ''))
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
