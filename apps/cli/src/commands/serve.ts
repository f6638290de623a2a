// locvlm serve | studio: the OpenAI-compatible server in front of a model, and the same server with the Studio page.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VisionLanguageModel } from '@locvlm/runtime';
import type { Command } from 'commander';
import { z } from 'zod';
import { defaultScenesDir } from '../demo-run.js';
import { CliError, type CliIo } from '../io.js';
import { addModelFlags, type ModelFlags, openModel, resolveCodec, resolveFrame } from '../model-choice.js';
import {
  type ChatServerOptions,
  createChatCompletionServer,
  DEFAULT_REQUEST_LIMITS,
  servedModelName,
} from '../server/chat-server.js';
import { networkExposureWarning } from '../server/host-check.js';
import { studioPageDir, studioRoutes } from '../server/studio-routes.js';

interface ServeFlags extends ModelFlags {
  host: string;
  port: string;
  servedName?: string;
  allowRoot?: string;
  maxConcurrent: string;
  maxQueue: string;
  maxBodyMb: string;
  maxImageMb: string;
  maxTextChars: string;
  maxImages: string;
  maxMegapixels: string;
  allowedHosts?: string;
  timeout: string;
  quiet?: boolean;
}

function parseFlag<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`${name} ${JSON.stringify(value)}: ${result.error.issues[0]?.message}`);
  return result.data;
}

function existingDir(name: string, value: string): string {
  const dir = resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${name} ${value}: not a directory`);
  return dir;
}

function addServerFlags(command: Command, defaultPort: string, locations: boolean): Command {
  return addModelFlags(command, { locations })
    .option(
      '--host <host>',
      'interface to listen on (0.0.0.0 exposes the server to the network, without authentication)',
      '127.0.0.1',
    )
    .option(
      '--allowed-hosts <names>',
      'more names the Host header may carry, comma-separated (.example.org: a domain and its subdomains; *: any); ' +
        'always accepted: localhost, 127.0.0.1, [::1], the --host address',
    )
    .option('--port <port>', 'port (0 picks a free one)', defaultPort)
    .option(
      '--served-name <name>',
      'model name in /v1/models that requests must use (default: the model folder name, locvlm-shapes-tiny for the bundled model; "default" is always accepted too)',
    )
    .option('--allow-root <dir>', 'allow image_url to name local files (file: URL or absolute path) under this folder')
    .option('--max-concurrent <n>', 'generations at once', '1')
    .option('--max-queue <n>', 'requests waiting for a slot; beyond it 429 with Retry-After', '32')
    .option('--max-body-mb <n>', 'largest request body in MiB (413 beyond)', '24')
    .option('--max-image-mb <n>', 'largest image in MiB (413 beyond)', '16')
    .option(
      '--max-text-chars <n>',
      'characters of text in one request, all messages together (400 beyond, before it is tokenized)',
      String(DEFAULT_REQUEST_LIMITS.maxTextChars),
    )
    .option('--max-images <n>', 'images in one request (400 beyond)', String(DEFAULT_REQUEST_LIMITS.maxImages))
    .option(
      '--max-megapixels <n>',
      "decoded pixels of one request's images together, in millions, read from the headers before decoding " +
        `(413 beyond; each image also at most ${DEFAULT_REQUEST_LIMITS.maxImagePixels / 1e6})`,
      String(DEFAULT_REQUEST_LIMITS.maxRequestPixels / 1e6),
    )
    .option('--timeout <seconds>', 'longest one generation may run', '300')
    .option('--quiet', 'do not log requests');
}

function serverOptions(flags: ServeFlags): ChatServerOptions {
  const positive = z.coerce.number().int().positive();
  const options: ChatServerOptions = {
    host: flags.host,
    port: parseFlag(z.coerce.number().int().min(0).max(65535), '--port', flags.port),
    maxConcurrent: parseFlag(positive, '--max-concurrent', flags.maxConcurrent),
    maxQueue: parseFlag(z.coerce.number().int().min(0), '--max-queue', flags.maxQueue),
    maxBodyBytes: parseFlag(z.coerce.number().positive(), '--max-body-mb', flags.maxBodyMb) * 1024 * 1024,
    maxImageBytes: parseFlag(z.coerce.number().positive(), '--max-image-mb', flags.maxImageMb) * 1024 * 1024,
    generationTimeoutMs: parseFlag(z.coerce.number().positive(), '--timeout', flags.timeout) * 1000,
    maxTextChars: parseFlag(positive, '--max-text-chars', flags.maxTextChars),
    maxImages: parseFlag(z.coerce.number().int().min(0), '--max-images', flags.maxImages),
    maxRequestPixels: Math.round(
      parseFlag(z.coerce.number().positive(), '--max-megapixels', flags.maxMegapixels) * 1_000_000,
    ),
  };
  if (flags.allowedHosts !== undefined) {
    const names = flags.allowedHosts
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    if (names.length === 0) throw new CliError(`--allowed-hosts ${JSON.stringify(flags.allowedHosts)}: no names`);
    options.allowedHosts = names;
  }
  if (flags.servedName) options.modelName = flags.servedName;
  if (flags.allowRoot) options.allowRoot = existingDir('--allow-root', flags.allowRoot);
  return options;
}

/** A local model's family and engine for the Studio page (nothing for a server endpoint). */
function familyOf(model: VisionLanguageModel): { family?: { family: string; engine: string } } {
  const local = model as { engine?: string; describe?: () => { family?: string } };
  const family = local.describe?.().family;
  return family && local.engine ? { family: { family, engine: local.engine } } : {};
}

/** Start the server, print where it listens, and run until SIGINT / SIGTERM; then shut down gracefully. */
async function runServer(
  io: CliIo,
  flags: ServeFlags,
  extra: (modelName: string, model: VisionLanguageModel) => Promise<Partial<ChatServerOptions>>,
  what: string,
): Promise<void> {
  const options = serverOptions(flags);
  const warning = networkExposureWarning(flags.host, options.allowRoot);
  if (warning) io.err(warning);
  // The model's sessions run on a worker thread: a forward pass never holds the event loop that answers /health.
  const model = await openModel(flags, { thread: 'worker' });
  try {
    const modelName = options.modelName ?? servedModelName(model.id);
    const server = createChatCompletionServer(model, {
      ...options,
      modelName,
      ...(await extra(modelName, model)),
      ...(flags.quiet
        ? {}
        : {
            onRequest: ({ method, path, status, ms }) =>
              io.err(`${new Date().toISOString()} ${method} ${path} ${status} ${Math.round(ms)} ms`),
          }),
    });
    let url: string;
    try {
      url = await server.listen();
    } catch (error) {
      throw new CliError(`cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
    }
    io.out(`${what} at ${url}  (model ${JSON.stringify(modelName)}; Ctrl-C stops)`);
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.err('shutting down: finishing running requests, refusing queued ones');
        server.close().then(resolveStop, resolveStop);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    await model.close();
  }
}

const LIMITS_HELP =
  'Every request is bounded before any work starts: body (--max-body-mb), characters of text (--max-text-chars),\n' +
  'images (--max-images), each image (--max-image-mb, 40 megapixels) and all its images together\n' +
  '(--max-megapixels), read from the image headers before decoding. The Host header must be localhost,\n' +
  '127.0.0.1, [::1], the --host address or one of --allowed-hosts (403 otherwise).\n';

/** Registers `locvlm serve` and `locvlm studio`. */
export function registerServeCommands(program: Command, io: CliIo): void {
  addServerFlags(
    program.command('serve').description('serve a model as an OpenAI-compatible /v1/chat/completions endpoint'),
    '8080',
    false,
  )
    .addHelpText(
      'after',
      '\nRoutes: POST /v1/chat/completions (stream or not), GET /v1/models, GET /health.\n' +
        LIMITS_HELP +
        'Example:\n  locvlm serve --model ./my-llava-onnx --port 8080\n' +
        '  then: locvlm ask --endpoint http://127.0.0.1:8080 --model-name my-llava-onnx --image a.png "What is this?"',
    )
    .action(async (flags: ServeFlags) => {
      await runServer(io, flags, async () => ({}), 'serving');
    });

  addServerFlags(
    program
      .command('studio')
      .description(
        'open the Studio web page: draw a box to describe it, locate objects, ask questions, read eval reports',
      ),
    '8090',
    true,
  )
    .option(
      '--reports <dir>',
      'a folder of eval HTML reports to list in the Studio (served under /reports/: regular, non-hidden files inside it)',
    )
    .addHelpText(
      'after',
      `\n${LIMITS_HELP}Example:\n  locvlm studio --model ./my-llava-onnx --reports ./eval-out\n  then open the printed URL`,
    )
    .action(async (flags: ServeFlags & { reports?: string }) => {
      const staticDir = studioPageDir();
      const reportsDir = flags.reports ? existingDir('--reports', flags.reports) : undefined;
      const frame = resolveFrame(flags);
      let demoScenesDir: string | undefined;
      try {
        demoScenesDir = defaultScenesDir();
      } catch {
        demoScenesDir = undefined; // no sample scenes installed: the page opens empty
      }
      await runServer(
        io,
        flags,
        async (modelName, model) => ({
          staticDir,
          ...(reportsDir ? { staticMounts: { '/reports': reportsDir } } : {}),
          routes: studioRoutes({
            codec: await resolveCodec(flags, { model }),
            modelName,
            ...familyOf(model),
            ...(frame ? { frame } : {}),
            ...(reportsDir ? { reportsDir } : {}),
            ...(demoScenesDir ? { demoScenesDir } : {}),
          }),
        }),
        'Studio',
      );
    });
}
