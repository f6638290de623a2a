/** Stable error codes of @locvlm/eval. */
export type EvaluationErrorCode = 'BAD_INPUT' | 'DATA' | 'RESOURCE' | 'RUN_FILE' | 'BACKEND' | 'NOT_SCORABLE';

/** The one error class of this package: a stable `code` and a message naming the bad value and where it came from. */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  readonly code: EvaluationErrorCode;
  constructor(code: EvaluationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
