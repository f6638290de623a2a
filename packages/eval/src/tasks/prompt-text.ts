// The question wordings the tasks send, all from @locvlm/prompts (the project's single source of prompt text), plus
// LLaVA's short-answer suffix for the VQA benchmarks.
export {
  createRng,
  hallucinationQuestion,
  locationQuestion,
  type Rng,
  revLocQuestion,
  spatialDirectPrompt,
  spatialIclPrompt,
  spatialQuestion,
} from '@locvlm/prompts';

/** LLaVA's short-answer suffix for VQAv2 and GQA (llava/eval scripts, `--single-pred-prompt`). */
export const SHORT_ANSWER_SUFFIX = 'Answer the question using a single word or phrase.';
