/** Stable error codes of @locvlm/prompts. */
export type PromptErrorCode = 'BAD_INPUT' | 'UNKNOWN_TEMPLATE';

/** The one error class of this package: a stable `code` and a message naming the bad value and where it came from. */
export class PromptError extends Error {
  override readonly name = 'PromptError';
  readonly code: PromptErrorCode;
  constructor(code: PromptErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
