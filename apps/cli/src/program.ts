import { readFileSync } from 'node:fs';
import { CodecError } from '@locvlm/coord-codec';
import { Command, CommanderError } from 'commander';
import { registerCodecCommands } from './commands/codec.js';
import { registerDataCommands } from './commands/data.js';
import { registerDemoCommands } from './commands/demo.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerInferenceCommands } from './commands/inference.js';
import { registerServeCommands } from './commands/serve.js';
import { CliError, type CliIo, processIo } from './io.js';

/**
 * Every command group of `locvlm`. Add a group by writing `src/commands/<group>.ts` exporting
 * `register<Group>Commands(program, io)` and adding one line here.
 */
const COMMAND_GROUPS: Array<(program: Command, io: CliIo) => void> = [
  registerCodecCommands,
  registerDemoCommands,
  registerInferenceCommands,
  registerServeCommands,
  registerDataCommands,
  registerEvalCommands,
];

/**
 * This package's version, from its package.json (one folder above both dist/bin.js and src/program.ts), for
 * `locvlm --version`.
 */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** The commander program with every command group registered. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('locvlm')
    .description('LocVLM: location text for vision-language models, data building, inference and evaluation.')
    .version(cliVersion(), '-V, --version', 'print the version of locvlm')
    .option('--verbose', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  for (const register of COMMAND_GROUPS) register(program, io);
  // Sub-commands inherit the output and exit behaviour of the program.
  const configure = (command: Command) => {
    for (const sub of command.commands) {
      sub.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }).exitOverride();
      sub.showHelpAfterError('(run with --help for usage)');
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/** Exit codes: 0 success, 1 unexpected failure, 2 bad input (flags, arguments, values). */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/**
 * Runs `locvlm` with user arguments (no node/script prefix) and returns the exit code. Errors are printed as one
 * line without a stack; `--verbose` anywhere on the command line adds the stack.
 */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help / version text).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message}`);
    if (verbose && error instanceof Error && error.stack) io.err(error.stack);
    return error instanceof CliError || error instanceof CodecError ? EXIT.badInput : EXIT.failure;
  }
}
