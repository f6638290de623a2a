export type ShapesLabErrorCode = 'BAD_INPUT' | 'BAD_FILE' | 'RENDER';

/** The one error class of @locvlm/shapes-lab: a stable `code`, a message naming the bad value and where it came from. */
export class ShapesLabError extends Error {
  readonly code: ShapesLabErrorCode;
  constructor(code: ShapesLabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShapesLabError';
    this.code = code;
  }
}
