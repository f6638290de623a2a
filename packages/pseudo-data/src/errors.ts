/** Stable codes for everything that can go wrong while building data. */
export type PseudoDataErrorCode =
  /** A file's content is not what the format requires (names file, JSON path or line). */
  | 'BAD_INPUT'
  /** An option passed by the caller is invalid. */
  | 'BAD_OPTION'
  /** Reading or writing a file failed. */
  | 'IO'
  /** The model (captioner, detector) failed or answered with something unusable. */
  | 'MODEL'
  /** A resumed job's configuration differs from the one in its run file. */
  | 'RUN_FILE';

/** The one error class of @locvlm/pseudo-data: a stable `code`, a message naming the value and where it came from. */
export class PseudoDataError extends Error {
  readonly code: PseudoDataErrorCode;
  constructor(code: PseudoDataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PseudoDataError';
    this.code = code;
  }
}
