/** Stable error codes of @locvlm/runtime. */
export type RuntimeErrorCode =
  | 'BAD_INPUT'
  | 'MODEL_FILES'
  | 'MODEL_CONFIG'
  | 'IMAGE'
  | 'CONTEXT_LENGTH'
  | 'BACKEND'
  | 'ABORTED';

/** The one error class of this package: a stable `code` and a message naming the bad value and where it came from. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
