/** Stable error codes of @locvlm/coord-codec. */
export type CodecErrorCode = 'BAD_INPUT' | 'OUT_OF_RANGE' | 'UNKNOWN_CODEC';

/** The one error class of this package: a stable `code` and a message naming the bad value and where it came from. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
