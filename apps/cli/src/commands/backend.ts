// --backend / --judge: build a model from `onnx:DIR` or `openai:URL[,URL...][#MODEL]`.
import { EvaluationError, parseBackendSpec } from '@locvlm/eval';
import { createOpenAIModel, loadOnnxModel, type VisionLanguageModel } from '@locvlm/runtime';
// (this module is itself loaded lazily by the eval commands)
import { CliError } from '../io.js';

export async function createBackendModel(spec: string, options: { concurrency: number }): Promise<VisionLanguageModel> {
  let parsed: ReturnType<typeof parseBackendSpec>;
  try {
    parsed = parseBackendSpec(spec);
  } catch (cause) {
    if (cause instanceof EvaluationError) throw new CliError(cause.message, { cause });
    throw cause;
  }
  if (parsed.kind === 'onnx') return loadOnnxModel(parsed.dir);
  const apiKey = process.env.LOCVLM_API_KEY ?? process.env.OPENAI_API_KEY;
  return createOpenAIModel({
    endpoints: parsed.urls,
    model: parsed.model ?? 'default',
    // Enough room per endpoint for the requested concurrency, spread over the endpoints.
    maxConcurrencyPerEndpoint: Math.max(1, Math.ceil(options.concurrency / parsed.urls.length)),
    ...(apiKey ? { apiKey } : {}),
  });
}
