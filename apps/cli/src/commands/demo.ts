// locvlm demo: the main job. Offline, on the bundled model and sample scenes (or --model / --endpoint): locate every
// single-instance object, describe a region, answer left/right and presence questions, score them with @locvlm/eval,
// draw the predicted boxes next to the ground truth and print a small results table.
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Codec } from '@locvlm/coord-codec';
import { type VisionLanguageModel, writeFileAtomic } from '@locvlm/runtime';
import type { Command } from 'commander';
import { drawDemoSheet } from '../demo-picture.js';
import { type DemoAnswer, type DemoTaskScore, defaultScenesDir, loadDemoScenes, runDemo } from '../demo-run.js';
import { CliError, type CliIo } from '../io.js';
import {
  addModelFlags,
  asCliError,
  BUNDLED_MODEL_NAME,
  chooseModel,
  type ModelFlags,
  openModel,
  resolveCodec,
  resolveFrame,
} from '../model-choice.js';

/** The codec when the model's config.json names none: the shapes-lab model writes IVB with 32 bins. */
export const DEMO_CODEC_FALLBACK = 'ivb:bins=32';

interface DemoFlags extends ModelFlags {
  out: string;
  scenes?: string;
  json?: boolean;
}

export interface DemoOutput {
  model: string;
  codec: Codec['options'];
  scenes: string;
  seconds: number;
  tasks: DemoTaskScore[];
  answers: DemoAnswer[];
  picture: string;
  results: string;
}

/** `kind:key=value,...`, the form --codec takes. */
export function codecSpec(options: Codec['options']): string {
  const { kind, ...rest } = options as { kind: string } & Record<string, unknown>;
  const pairs = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? `${kind}:${pairs.join(',')}` : kind;
}

/** The results table: per task, questions asked, answers right and accuracy. */
export function formatDemoTable(tasks: readonly DemoTaskScore[]): string {
  const width = Math.max(4, ...tasks.map((t) => t.label.length));
  const header = `${'task'.padEnd(width)}  ${'n'.padStart(3)}  ${'correct'.padStart(7)}  ${'accuracy'.padStart(8)}`;
  const rows = tasks.map(
    (t) =>
      `${t.label.padEnd(width)}  ${String(t.n).padStart(3)}  ${String(t.correct).padStart(7)}  ${(t.accuracy === null ? '-' : `${(t.accuracy * 100).toFixed(1)}%`).padStart(8)}`,
  );
  return [header, ...rows].join('\n');
}

/** How the table and picture name the model: the bundled one by that name, a directory as given, else its id. */
function describeModel(model: VisionLanguageModel): string {
  return model.id.split('#')[0] === BUNDLED_MODEL_NAME ? `the bundled model ${model.id}` : model.id;
}

/** Open the chosen model; a model that cannot load is one clear line (exit code 2). */
async function loadModel(flags: ModelFlags): Promise<VisionLanguageModel> {
  const choice = chooseModel(flags);
  const where = choice.kind === 'onnx' ? choice.dir : choice.endpoints.join(', ');
  try {
    return await openModel(flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`cannot load the model at ${where}: ${message}`, { cause: error });
  }
}

export function registerDemoCommands(program: Command, io: CliIo): void {
  addModelFlags(
    program
      .command('demo')
      .description(
        'the main job, offline: locate objects, describe a region and answer left/right and presence questions on ' +
          'the sample scenes with the bundled model; prints a results table and writes a picture',
      )
      .option('--out <dir>', 'where to write demo.png and results.json', 'locvlm-demo')
      .option('--scenes <dir>', 'a folder with scenes.json (COCO-style) and its PNGs (default: the bundled samples)')
      .option('--json', 'print the results as JSON'),
    { codecFallback: DEMO_CODEC_FALLBACK },
  )
    .addHelpText(
      'after',
      '\nExamples:\n  locvlm demo\n  locvlm demo --out /tmp/demo --json\n' +
        '  locvlm demo --endpoint http://127.0.0.1:8000 --model-name shapes --codec ivb:bins=32',
    )
    .action(async (flags: DemoFlags) => {
      const started = performance.now();
      const scenesDir = resolve(flags.scenes ?? defaultScenesDir());
      const scenes = await loadDemoScenes(scenesDir);
      const codec = await resolveCodec(flags, { fallback: DEMO_CODEC_FALLBACK });
      const frame = resolveFrame(flags);
      io.err(`loading the model...`);
      const model = await loadModel(flags);
      let results: Awaited<ReturnType<typeof runDemo>>;
      try {
        io.err(`${model.id}: ${scenes.length} scenes from ${scenesDir}, codec ${codecSpec(codec.options)}`);
        results = await runDemo(model, scenes, {
          codec,
          ...(frame ? { frame } : {}),
          onProgress: ({ done, total, scene, asked }) =>
            io.err(`[${done}/${total}] scene ${scene.imageId}: ${asked} questions answered`),
        });
      } catch (error) {
        throw asCliError(error);
      } finally {
        await model.close();
      }

      const modelName = describeModel(model);
      const out = resolve(flags.out);
      await mkdir(out, { recursive: true });
      const picture = join(out, 'demo.png');
      const resultsFile = join(out, 'results.json');
      const png = await drawDemoSheet(
        scenes,
        results.answers,
        `locvlm demo: ${modelName} (codec ${codecSpec(codec.options)})`,
      );
      await writeFileAtomic(picture, png);
      const output: DemoOutput = {
        model: model.id,
        codec: codec.options,
        scenes: scenesDir,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        tasks: results.tasks,
        answers: results.answers,
        picture,
        results: resultsFile,
      };
      await writeFileAtomic(resultsFile, `${JSON.stringify(output, null, 2)}\n`);
      if (flags.json) {
        io.out(JSON.stringify(output, null, 2));
        return;
      }
      const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : relative('.', path));
      io.out(`locvlm demo: ${modelName}, ${scenes.length} held-out scenes, ${output.seconds} s`);
      io.out('');
      io.out(formatDemoTable(results.tasks));
      io.out('');
      io.out(`picture: ${shown(picture)} (ground truth green and dashed, predicted boxes red)`);
      io.out(`answers: ${shown(resultsFile)}`);
    });
}
