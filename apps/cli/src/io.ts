/** Where commands write. The real binary uses the process streams; tests capture both. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** The CLI's error for bad flags or arguments: printed without a stack, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'BAD_INPUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
