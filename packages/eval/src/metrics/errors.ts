/** Stable codes for metric failures: bad inputs, missing resources, and the reference-jar backend. */
export type MetricErrorCode = 'BAD_INPUT' | 'RESOURCE' | 'BACKEND';

/** The one error class of @locvlm/eval's metrics: a stable `code`, a message naming the bad value and where it came from. */
export class MetricError extends Error {
  readonly code: MetricErrorCode;
  constructor(code: MetricErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetricError';
    this.code = code;
  }
}
