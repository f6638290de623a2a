// locvlm eval <task> | eval report RUN... | eval rescore RUN | eval tasks: run the paper's benchmarks against a model
// and compare runs. Flags are parsed here; tasks, runs and reports are @locvlm/eval's, loaded only when an eval
// command runs so other commands start fast.
import { join } from 'node:path';
import { FRAME_NAMES } from '@locvlm/coord-codec';
import type { EvalProgress, EvalTask, ReportPictureSummary, TaskFileOptions, WriteReportOptions } from '@locvlm/eval';
import type { VisionLanguageModel } from '@locvlm/runtime';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { CliError, type CliIo } from '../io.js';
import {
  addModelFlags,
  chooseModel,
  concurrencyOf,
  type ModelFlags,
  modelFlagsGiven,
  openModel,
} from '../model-choice.js';
import { createProgress, type Progress } from '../progress.js';
import { parseCodecSpec } from './codec.js';

/** @locvlm/eval's task names (a test keeps this equal to its TASKS). */
export const EVAL_TASK_NAMES = [
  'coco-spatial',
  'coco-spatial-released',
  'hal-coco',
  'hal-ade',
  'hal-act',
  'pope',
  'pope-build',
  'vqav2',
  'gqa',
  'rd',
  'grounding',
  'grounding-coco',
  'video-qa',
] as const;

type EvalModule = typeof import('@locvlm/eval');
const loadEval = (): Promise<EvalModule> => import('@locvlm/eval');

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const temperature = z.coerce.number().min(0).max(2);
const band = z.coerce.number().min(0).lt(1);

function flag<T>(schema: z.ZodType<T>, name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new CliError(`${name} ${JSON.stringify(value)}: ${result.error.issues.map((i) => i.message).join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

interface EvalFlags extends ModelFlags {
  data: string[];
  out: string;
  images?: string;
  frames?: string;
  frameCount?: string;
  split?: string;
  dataset?: string;
  axis?: 'horizontal' | 'vertical';
  prompt?: 'direct' | 'icl';
  centralBand?: string;
  mirrored?: boolean;
  limit?: string;
  seed?: string;
  template?: string;
  codec: string;
  frame: string;
  temperature?: string;
  maxNewTokens?: string;
  progress?: boolean;
}

/** One progress display per stage of a run (generate, then judge), each ending with its summary line. */
function stageProgress(io: CliIo, enabled: boolean): { update(p: EvalProgress): void; finish(): void } {
  let stage: string | undefined;
  let current: Progress | undefined;
  return {
    update(p) {
      if (p.stage !== stage) {
        current?.finish();
        stage = p.stage;
        current = createProgress({ label: `${p.task} ${p.stage}`, enabled, io });
      }
      current!.update(p);
    },
    finish: () => current?.finish(),
  };
}

/** `report: DIR/report.html`, with how its pictures came out when some could not be shown. */
function reportLine(path: string, pictures: ReportPictureSummary): string {
  const shown = [
    pictures.embedded > 0 ? `${pictures.embedded} pictures embedded` : '',
    pictures.linked > 0 ? `${pictures.linked} linked` : '',
  ].filter(Boolean);
  const problems = [
    pictures.missing > 0
      ? `${pictures.missing} not found (${pictures.missingPictures.slice(0, 3).join(', ')}${pictures.missingPictures.length > 3 ? ', ...' : ''})`
      : '',
    pictures.unreadable > 0 ? `${pictures.unreadable} not readable` : '',
    pictures.overBudget > 0 ? `${pictures.overBudget} past the report's picture budget` : '',
  ].filter(Boolean);
  const drawn = problems.length > 0 ? `; ${problems.join(', ')}: drawn as placeholders` : '';
  return `report: ${path}${shown.length + problems.length > 0 ? ` (${shown.join(', ') || 'no pictures shown'}${drawn})` : ''}`;
}

/** Write a report with the pictures' progress shown by the convention; returns what `writeReport` returns. */
async function writeReportWithProgress(
  io: CliIo,
  enabled: boolean,
  outDir: string,
  runs: Awaited<ReturnType<EvalModule['loadReportRuns']>>,
  options: Omit<WriteReportOptions, 'onProgress'> = {},
): ReturnType<EvalModule['writeReport']> {
  const { writeReport } = await loadEval();
  const progress = createProgress({ label: 'report pictures', enabled, io });
  try {
    return await writeReport(outDir, runs, {
      ...options,
      onProgress: ({ done, total }) => progress.update({ done, total }),
    });
  } finally {
    progress.finish();
  }
}

function taskOptions(
  flags: EvalFlags,
  createLocationFormat: EvalModule['createLocationFormat'] | undefined,
): TaskFileOptions {
  const generation = {
    ...(flags.temperature !== undefined ? { temperature: flag(temperature, '--temperature', flags.temperature)! } : {}),
    ...(flags.maxNewTokens !== undefined
      ? { maxNewTokens: flag(positiveInt, '--max-new-tokens', flags.maxNewTokens)! }
      : {}),
  };
  const options: TaskFileOptions = { data: flags.data };
  if (flags.images) options.images = flags.images;
  if (flags.frames) options.frames = flags.frames;
  if (flags.split) options.split = flags.split;
  if (flags.dataset) options.dataset = flags.dataset;
  if (flags.axis) options.axis = flags.axis;
  if (flags.prompt) options.prompt = flags.prompt;
  if (flags.mirrored) options.mirrored = true;
  const numbers: [keyof TaskFileOptions, z.ZodType<number>, string, string | undefined][] = [
    ['frameCount', positiveInt, '--frame-count', flags.frameCount],
    ['centralBand', band, '--central-band', flags.centralBand],
    ['limit', positiveInt, '--limit', flags.limit],
    ['seed', nonNegativeInt, '--seed', flags.seed],
    ['template', nonNegativeInt, '--template', flags.template],
  ];
  for (const [key, schema, name, value] of numbers) {
    const parsed = flag(schema, name, value);
    if (parsed !== undefined) (options as unknown as Record<string, unknown>)[key] = parsed;
  }
  if (Object.keys(generation).length > 0) options.generation = generation;
  if (createLocationFormat) {
    try {
      options.format = createLocationFormat({ codec: parseCodecSpec(flags.codec, '--codec'), frame: flags.frame });
    } catch (cause) {
      throw new CliError((cause as Error).message, { cause });
    }
  }
  return options;
}

async function runTask(name: string, flags: EvalFlags, io: CliIo): Promise<void> {
  const { createLocationFormat, createTaskFromFiles, EvaluationError, loadReportRuns, runEval } = await loadEval();
  // Bad model flags fail before any data is read or model loaded.
  chooseModel(flags);
  const hasJudge = modelFlagsGiven(flags, 'judge');
  if (hasJudge) chooseModel(flags, { prefix: 'judge' });
  const concurrency = concurrencyOf(flags) ?? 1;
  let task: EvalTask;
  try {
    const needsFormat = name === 'rd' || name.startsWith('grounding');
    task = createTaskFromFiles(name, taskOptions(flags, needsFormat ? createLocationFormat : undefined));
  } catch (cause) {
    if (cause instanceof EvaluationError && (cause.code === 'BAD_INPUT' || cause.code === 'DATA')) {
      throw new CliError(cause.message, { cause });
    }
    throw cause;
  }
  io.err(`${task.name}: ${task.samples.length} samples -> ${flags.out}`);
  const model: VisionLanguageModel = await openModel(flags);
  let judge: VisionLanguageModel | undefined;
  try {
    judge = hasJudge ? await openModel(flags, { prefix: 'judge' }) : undefined;
  } catch (error) {
    await model.close();
    throw error;
  }
  const progress = stageProgress(io, flags.progress !== false);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  let done = 0;
  try {
    let result: Awaited<ReturnType<typeof runEval>>;
    try {
      result = await runEval({
        task,
        model,
        outDir: flags.out,
        concurrency,
        ...(judge ? { judge } : {}),
        signal: controller.signal,
        onProgress: (p) => {
          done = p.done;
          progress.update(p);
        },
      });
    } catch (error) {
      // Ctrl-C: what was answered is in the run file; the same command picks up from there.
      if (controller.signal.aborted) {
        throw new Error(
          `interrupted after ${done} of ${task.samples.length} answers; run the same command again to resume`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    progress.finish();
    io.out(
      JSON.stringify(
        { task: result.task.name, model: result.model, ...result.score.metrics, ...result.score.counts },
        null,
        2,
      ),
    );
    const { html, pictures } = await writeReportWithProgress(
      io,
      flags.progress !== false,
      flags.out,
      await loadReportRuns([flags.out]),
    );
    io.err(reportLine(html, pictures));
  } finally {
    progress.finish();
    process.off('SIGINT', onSignal);
    await model.close();
    await judge?.close();
  }
}

/** The flags every task run takes. */
function addRunOptions(command: Command): Command {
  addModelFlags(command, { role: 'the model to evaluate', locations: false, concurrency: 1 });
  addModelFlags(command, { prefix: 'judge', role: 'video-qa judge (Video-ChatGPT protocol; exact match without)' });
  return command
    .requiredOption('--data <files...>', 'annotation files the task reads (see `locvlm eval tasks`)')
    .requiredOption('--out <dir>', 'run folder: answers are cached there and an interrupted run resumes')
    .option('--images <dir>', 'folder the annotations name images in')
    .option('--frames <dir>', 'folder of extracted video frames, one sub-folder per video')
    .option('--frame-count <n>', 'frames per video (default 8)')
    .option('--split <name>', 'split: refs split (val, testA, testB, test), POPE split, VQA image split')
    .option(
      '--dataset <name>',
      'refcoco | refcoco+ | refcocog (rd, grounding); activitynet | msrvtt | msvd | tgif (video-qa)',
    )
    .addOption(new Option('--axis <axis>', 'COCO-Spatial axis').choices(['horizontal', 'vertical']))
    .addOption(new Option('--prompt <kind>', 'COCO-Spatial prompt').choices(['direct', 'icl']))
    .option('--central-band <fraction>', 'COCO-Spatial excluded central band (default 0.2)')
    .option('--mirrored', 'COCO-Spatial released: also ask on the mirrored image')
    .option('--limit <n>', 'at most this many samples')
    .option('--seed <n>', 'seed for sampled objects and templates')
    .option('--template <i>', 'prompt template index (grounding: 0-4, rd: 0-2)')
    .option('--codec <spec>', 'location codec for rd / grounding, e.g. ivb:bins=224, nfp, shikra', 'ivb:bins=224')
    .option('--frame <name>', `model input frame for locations: ${FRAME_NAMES.join(', ')}`, 'none')
    .option('--temperature <t>', "sampling temperature (the task's default otherwise)")
    .option('--max-new-tokens <n>', "generation budget (the task's default otherwise)")
    .option('--no-progress', 'no progress output');
}

export function registerEvalCommands(program: Command, io: CliIo): void {
  const evalCommand = program
    .command('eval')
    .description(
      'evaluate a model on the paper benchmarks and compare runs: `locvlm eval <task> [--model DIR | --endpoint URL --model-name NAME] ...`',
    );

  // One sub-command per task, so `locvlm eval <task> --help` shows the flags and the files it reads.
  for (const name of EVAL_TASK_NAMES) {
    addRunOptions(evalCommand.command(name).description(`run the ${name} task (files: \`locvlm eval tasks\`)`)).action(
      async (flags: EvalFlags) => {
        await runTask(name, flags, io);
      },
    );
  }

  evalCommand
    .command('tasks')
    .description('list the tasks and the files each reads')
    .action(async () => {
      const { TASKS } = await loadEval();
      for (const t of TASKS) io.out(`${t.name.padEnd(24)} ${t.summary}\n${''.padEnd(24)} --data ${t.data}`);
    });

  evalCommand
    .command('report')
    .description('compare run folders side by side with the paper numbers: report.json and report.html')
    .argument('<runs...>', 'run folders (label with NAME=DIR)')
    .requiredOption('--out <dir>', 'folder for report.json and report.html')
    .addOption(new Option('--images <mode>', 'images in the HTML').choices(['embed', 'link', 'none']).default('embed'))
    .option('--max-samples <n>', 'samples shown per task in the browser (default 300)')
    .option('--no-progress', 'no progress output')
    .action(
      async (
        runs: string[],
        flags: { out: string; images: 'embed' | 'link' | 'none'; maxSamples?: string; progress: boolean },
      ) => {
        const refs = runs.map((r) => {
          const eq = r.indexOf('=');
          return eq > 0 ? { label: r.slice(0, eq), dir: r.slice(eq + 1) } : { dir: r };
        });
        const { loadReportRuns } = await loadEval();
        const maxSamples = flag(positiveInt, '--max-samples', flags.maxSamples);
        const loaded = await loadReportRuns(refs);
        const { report, html, json, pictures } = await writeReportWithProgress(io, flags.progress, flags.out, loaded, {
          images: flags.images,
          ...(maxSamples ? { maxSamplesPerTask: maxSamples } : {}),
        });
        for (const table of report.tables)
          io.out(`${table.title}: ${table.rows.filter((r) => r.source === 'run').length} run row(s)`);
        io.out(`wrote ${json}\nwrote ${html}`);
        io.err(reportLine(html, pictures));
      },
    );

  evalCommand
    .command('rescore')
    .description("score a run folder again from its files (no model) and render the run's report.html again")
    .argument('<run>', 'run folder')
    .option('--no-progress', 'no progress output')
    .action(async (run: string, flags: { progress: boolean }) => {
      const { loadReportRuns, rescoreRun } = await loadEval();
      const result = await rescoreRun(run);
      io.out(
        JSON.stringify(
          { task: result.task.name, model: result.model, ...result.score.metrics, ...result.score.counts },
          null,
          2,
        ),
      );
      io.err(`wrote ${join(run, 'score.json')}`);
      const { html, pictures } = await writeReportWithProgress(io, flags.progress, run, await loadReportRuns([run]));
      io.err(reportLine(html, pictures));
    });
}
