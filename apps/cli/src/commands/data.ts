// locvlm data localize-instruct | prefcoco | pseudo-boxes | blur-faces | video: build LocVLM instruction data in LLaVA's format.
// Logic lives in @locvlm/pseudo-data; this file parses flags, builds the objects, draws progress and prints summaries.
import { resolve } from 'node:path';
import { CODEC_KINDS, type CodecOptions, createCodec, FRAME_NAMES, namedFrame } from '@locvlm/coord-codec';
import {
  blurFacesInFolder,
  buildPrefcoco,
  buildVideoData,
  captionsFromRefs,
  cocoImages,
  createDetector,
  detectPseudoBoxes,
  type LocalizeSource,
  type LocalizeStats,
  OBJECTIVES,
  type Objective,
  PseudoDataError,
  panopticImages,
  readCocoInstances,
  readPanopticJson,
  readRefcoco,
  writeCocoInstances,
  writeLocalizeInstruct,
} from '@locvlm/pseudo-data';
import { extractFrames } from '@locvlm/video-pool';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { CliError, type CliIo } from '../io.js';
import { addModelFlags, chooseModel, concurrencyOf, openModel } from '../model-choice.js';
import { createProgress } from '../progress.js';

/** Parse a flag value with a zod schema; the error names the flag and the value. */
function flag<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const why = result.error.issues.map((i) => i.message).join('; ');
    throw new CliError(`${name} ${JSON.stringify(value)}: ${why}`, { cause: result.error });
  }
  return result.data;
}

const intFlag = (min: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .refine((n) => n >= min, `must be >= ${min}`);
const scoreFlag = z
  .string()
  .transform(Number)
  .refine((n) => Number.isFinite(n) && n >= 0 && n <= 1, 'must be a number in [0, 1]');

/** Bad files and options are the user's to fix: report them like bad flags (exit code 2, no stack). */
function userErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof PseudoDataError && ['BAD_INPUT', 'BAD_OPTION', 'RUN_FILE'].includes(error.code)) {
        throw new CliError(error.message, { cause: error });
      }
      throw error;
    }
  };
}

interface BuildFlags {
  out: string;
  seed: string;
  format: 'json' | 'jsonl';
  codec: string;
  bins: string;
  repr: 'box' | 'point';
  negatives: string;
  objectives: string;
  imagesDir?: string;
  imagesRoot?: string;
  frame?: string;
}

function addBuildOptions(command: Command): Command {
  return command
    .requiredOption('--out <dir>', 'output folder (data file and stats.json are written there)')
    .option('--seed <n>', 'random seed: the same seed gives the same records', '0')
    .addOption(new Option('--format <format>', 'LLaVA JSON array or JSONL').choices(['json', 'jsonl']).default('json'))
    .addOption(new Option('--codec <kind>', 'location text representation').choices([...CODEC_KINDS]).default('ivb'))
    .option('--bins <n>', 'bins for ivb/diga (224 for LocVLM-B, 336 for LocVLM-L)', '224')
    .addOption(
      new Option('--repr <repr>', 'locations as boxes or centre points').choices(['box', 'point']).default('box'),
    )
    .option('--negatives <n>', 'NegPred questions per image (absent categories)', '1')
    .option('--objectives <list>', `comma-separated subset of ${OBJECTIVES.join(',')}`, OBJECTIVES.join(','))
    .addOption(
      new Option('--frame <name>', "write locations in a model's input frame (e.g. pad-square for LLaVA-1.5)")
        .choices([...FRAME_NAMES])
        .default('none'),
    )
    .option('--images-dir <dir>', 'folder holding the image files (file_name is relative to it)')
    .option('--images-root <dir>', 'record image paths are written relative to this folder (default: --images-dir)');
}

function buildOptions(flags: BuildFlags) {
  const bins = flag(intFlag(1), '--bins', flags.bins);
  const kind = flags.codec as CodecOptions['kind'];
  const codecOptions = (kind === 'ivb' || kind === 'diga' ? { kind, bins } : { kind }) as CodecOptions;
  const objectives = flags.objectives.split(',').map((s) => s.trim());
  for (const objective of objectives) {
    if (!(OBJECTIVES as readonly string[]).includes(objective)) {
      throw new CliError(`--objectives: unknown objective ${JSON.stringify(objective)} (use ${OBJECTIVES.join(', ')})`);
    }
  }
  const seedText = flags.seed;
  const seed = /^-?\d+$/.test(seedText) ? Number(seedText) : seedText;
  return {
    codec: createCodec(codecOptions),
    seed,
    repr: flags.repr,
    format: flags.format,
    outDir: resolve(flags.out),
    objectives: objectives as Objective[],
    negativesPerImage: flag(intFlag(0), '--negatives', flags.negatives),
    ...(flags.frame && flags.frame !== 'none' ? { frame: namedFrame(flags.frame) } : {}),
    ...(flags.imagesDir ? { imagesDir: resolve(flags.imagesDir) } : {}),
    ...(flags.imagesRoot ? { imagesRoot: resolve(flags.imagesRoot) } : {}),
  };
}

function printSummary(io: CliIo, dataFile: string, statsFile: string, stats: LocalizeStats, seconds: number): void {
  const q = stats.questions;
  const top = Object.entries(stats.categories)
    .map(([name, c]) => [name, c.locpred + c.negpred + c.revloc] as const)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 10);
  io.out(
    [
      `wrote ${dataFile}`,
      `      ${statsFile}`,
      `images: ${stats.images} (${stats.imagesUsed} used)   records: ${stats.records}   in ${seconds.toFixed(1)} s`,
      `questions: LocPred ${q.locpred}, NegPred ${q.negpred}, RevLoc ${q.revloc}`,
      `objects skipped: ${Object.entries(stats.skipped)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `categories (top ${top.length} of ${Object.keys(stats.categories).length}): ${top.map(([n, c]) => `${n} ${c}`).join(', ')}`,
    ].join('\n'),
  );
}

async function loadSource(
  flags: { coco?: string; panoptic?: string; panopticPng?: string; refs?: string; refSplits?: string },
  onProgress: (done: number, total: number) => void,
): Promise<{ source: LocalizeSource; captions?: Map<number, string> }> {
  if (flags.panoptic) {
    if (!flags.panopticPng) throw new CliError('--panoptic needs --panoptic-png <dir> (the folder of the PNGs)');
    const dataset = await readPanopticJson(resolve(flags.panoptic));
    const images = await panopticImages(dataset, {
      pngDir: resolve(flags.panopticPng),
      thingsOnly: true,
      onProgress: ({ done, total }) => onProgress(done, total),
    });
    return { source: { images, categories: dataset.categories } };
  }
  if (!flags.coco) throw new CliError('give --coco <instances.json> (or --panoptic <panoptic.json>)');
  if (flags.refs) {
    const { instances, refs } = await readRefcoco(resolve(flags.refs), resolve(flags.coco));
    const splits = flags.refSplits?.split(',').map((s) => s.trim());
    return {
      source: { images: cocoImages(instances), categories: instances.categories },
      captions: captionsFromRefs(refs, splits),
    };
  }
  const coco = await readCocoInstances(resolve(flags.coco));
  return { source: { images: cocoImages(coco), categories: coco.categories } };
}

export function registerDataCommands(program: Command, io: CliIo): void {
  const data = program.command('data').description('build LocVLM instruction data (LLaVA training format)');
  // Progress by the CLI's convention (a bar on a terminal, sparse lines in a pipe, a summary); --no-progress: none.
  let showProgress = true;
  data.hook('preAction', (_data, command) => {
    showProgress = command.opts().progress !== false;
  });
  const progressBar = (label: string) => {
    const progress = createProgress({ label, enabled: showProgress, io });
    return { update: (done: number, total: number) => progress.update({ done, total }), stop: () => progress.finish() };
  };

  addBuildOptions(
    data
      .command('localize-instruct')
      .description('LocPred, NegPred and RevLoc conversations from COCO instances, panoptic output or RefCOCO refs')
      .option('--coco <file>', 'COCO instances JSON (e.g. instances_train2017.json)')
      .option('--panoptic <file>', 'COCO panoptic JSON instead of --coco (boxes from segments, exhaustive negatives)')
      .option('--panoptic-png <dir>', 'folder of the panoptic PNGs')
      .option('--refs <file>', 'refer-style refs JSON: referring expressions replace category names')
      .option('--ref-splits <list>', 'only refs of these splits, e.g. train'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  locvlm data localize-instruct --coco instances_train2017.json --images-dir train2017 --out data/li --seed 1',
    )
    .action(
      userErrors(async (flags) => {
        const started = performance.now();
        const bar = progressBar('images');
        try {
          const { source, captions } = await loadSource(flags, (d, t) => bar.update(d, t));
          const options = buildOptions(flags);
          const result = await writeLocalizeInstruct(source, {
            ...options,
            ...(captions ? { captions } : {}),
            onProgress: ({ done, total }) => bar.update(done, total),
          });
          bar.stop();
          printSummary(io, result.dataFile, result.statsFile, result.stats, (performance.now() - started) / 1000);
        } finally {
          bar.stop();
        }
      }),
    );

  addBuildOptions(
    addModelFlags(data.command('prefcoco'), { role: 'the captioner', locations: false, concurrency: 8 })
      .description('self-training: a model describes every unique object (Appendix C prompt), then Localize-Instruct')
      .requiredOption('--coco <file>', 'COCO instances JSON')
      .option('--max-new-tokens <n>', 'tokens per description', '64')
      .option('--run-file <file>', 'resumable run file (default: <out>/prefcoco.run.jsonl)'),
  )
    .addHelpText(
      'after',
      '\nKilled and restarted with the same command, it asks only what is missing and writes the same data.\n' +
        'Example:\n  locvlm data prefcoco --coco instances_train2017.json --images-dir train2017 --out data/prefcoco \\\n' +
        '    --endpoint http://gpu1:8000 --endpoint http://gpu2:8000 --model-name llava-v1.5-7b --concurrency 16',
    )
    .action(
      userErrors(async (flags) => {
        if (!flags.imagesDir) throw new CliError('prefcoco needs --images-dir <dir> (the model is sent the images)');
        const started = performance.now();
        const options = buildOptions(flags);
        const choice = chooseModel(flags);
        const concurrency = concurrencyOf(flags) ?? 1;
        const coco = await readCocoInstances(resolve(flags.coco));
        const model = await openModel(flags);
        const bar = progressBar('objects');
        try {
          const result = await buildPrefcoco(
            { images: cocoImages(coco), categories: coco.categories },
            {
              ...options,
              imagesDir: resolve(flags.imagesDir),
              model,
              concurrency,
              maxNewTokens: flag(intFlag(1), '--max-new-tokens', flags.maxNewTokens),
              // The served model name, not the endpoint list (which may change between runs), or the model directory.
              jobConfig: {
                instances: resolve(flags.coco),
                model: choice.kind === 'openai' ? choice.modelName : resolve(choice.dir),
              },
              ...(flags.runFile ? { runFile: resolve(flags.runFile) } : {}),
              onProgress: ({ done, total }) => bar.update(done, total),
            },
          );
          bar.stop();
          io.out(
            `described ${result.described} objects (${result.unusable} answers unusable); run file ${result.runFile}`,
          );
          printSummary(io, result.dataFile, result.statsFile, result.stats, (performance.now() - started) / 1000);
        } finally {
          bar.stop();
          await model.close();
        }
      }),
    );

  data
    .command('pseudo-boxes')
    .description(
      'detect COCO objects in a folder of images with the embedded CenterNet detector -> COCO instances JSON',
    )
    .requiredOption('--images <dir>', 'folder of images')
    .requiredOption('--out <file>', 'COCO instances JSON to write (feed it to localize-instruct --coco)')
    .option('--score <s>', 'keep detections with at least this score', '0.3')
    .option('--max-detections <n>', 'most detections per image (per tile with --min-object-size)', '50')
    .option('--min-object-size <px>', 'also look tile by tile for objects down to this size (slower; default: off)')
    .option('--run-file <file>', 'resumable run file (default: <out>.run.jsonl)')
    .action(
      userErrors(async (flags) => {
        const started = performance.now();
        const score = flag(scoreFlag, '--score', flags.score);
        const maxDetections = flag(intFlag(1), '--max-detections', flags.maxDetections);
        const minObjectSize =
          flags.minObjectSize === undefined ? undefined : flag(intFlag(1), '--min-object-size', flags.minObjectSize);
        const out = resolve(flags.out);
        const detector = await createDetector({
          scoreThreshold: score,
          maxDetections,
          faces: false,
          ...(minObjectSize === undefined ? {} : { minObjectSize }),
        });
        const bar = progressBar('images');
        try {
          const dataset = await detectPseudoBoxes({
            detector,
            imagesDir: resolve(flags.images),
            runFile: flags.runFile ? resolve(flags.runFile) : `${out}.run.jsonl`,
            detectorConfig: { score, maxDetections, ...(minObjectSize === undefined ? {} : { minObjectSize }) },
            onProgress: ({ done, total }) => bar.update(done, total),
          });
          await writeCocoInstances(out, dataset);
          bar.stop();
          io.out(
            `wrote ${out}\nimages: ${dataset.images.length}   boxes: ${dataset.annotations.length}   in ${((performance.now() - started) / 1000).toFixed(1)} s`,
          );
        } finally {
          bar.stop();
          await detector.close();
        }
      }),
    );

  data
    .command('blur-faces')
    .description('the privacy step alone: copy a folder of images with every face blurred (tiled BlazeFace)')
    .requiredOption('--images <dir>', 'folder of images')
    .requiredOption('--out <dir>', 'output folder: same file names, faces blurred; stats.json counts them per image')
    .option('--score <s>', 'face score threshold (low finds more faces, and blurs more that are not)', '0.4')
    .option('--min-face <px>', 'smallest face to look for, in pixels', '12')
    .option('--max-tiles <n>', 'most detector runs per image (larger images then miss the smallest faces)', '64')
    .option('--margin <f>', 'grow each face box by this fraction of its size on every side', '0.25')
    .option('--run-file <file>', 'resumable run file (default: <out>/blur-faces.run.jsonl)')
    .addHelpText('after', '\nExample:\n  locvlm data blur-faces --images frames --out frames-blurred')
    .action(
      userErrors(async (flags) => {
        const started = performance.now();
        const faceScoreThreshold = flag(scoreFlag, '--score', flags.score);
        const minFaceSize = flag(intFlag(1), '--min-face', flags.minFace);
        const maxFaceTiles = flag(intFlag(1), '--max-tiles', flags.maxTiles);
        const margin = flag(
          z
            .string()
            .transform(Number)
            .refine((n) => Number.isFinite(n) && n >= 0, 'must be a number >= 0'),
          '--margin',
          flags.margin,
        );
        const detector = await createDetector({ objects: false, faceScoreThreshold, minFaceSize, maxFaceTiles });
        const bar = progressBar('images');
        try {
          const { stats, statsFile } = await blurFacesInFolder({
            detector,
            imagesDir: resolve(flags.images),
            outDir: resolve(flags.out),
            margin,
            detectorConfig: { score: faceScoreThreshold, minFaceSize, maxFaceTiles },
            ...(flags.runFile ? { runFile: resolve(flags.runFile) } : {}),
            onProgress: ({ done, total }) => bar.update(done, total),
          });
          bar.stop();
          io.out(
            [
              `wrote ${stats.images} images to ${resolve(flags.out)}`,
              `      ${statsFile}`,
              `faces blurred: ${stats.faces} in ${stats.imagesWithFaces} of ${stats.images} images   in ${((performance.now() - started) / 1000).toFixed(1)} s`,
            ].join('\n'),
          );
        } finally {
          bar.stop();
          await detector.close();
        }
      }),
    );

  addBuildOptions(
    data
      .command('video')
      .description('Localize-ActivityNet: 8 frames per video, pseudo boxes, static objects, video instruction records')
      .argument('<videos...>', 'video files')
      .option('--videos-root <dir>', 'record video paths are relative to this folder', '.')
      .option('--frames <n>', 'frames sampled per video', '8')
      .option('--score <s>', 'detector score threshold', '0.3')
      .option('--no-blur-faces', 'write frames without blurring faces (on by default)')
      .option('--no-write-frames', 'do not write the sampled frames')
      .option('--run-file <file>', 'resumable run file (default: <out>/video.run.jsonl)'),
  )
    .addHelpText('after', '\nExample:\n  locvlm data video --out data/actnet --videos-root videos videos/*.mp4')
    .action(
      userErrors(async (videos: string[], flags) => {
        const started = performance.now();
        const options = buildOptions(flags);
        const score = flag(scoreFlag, '--score', flags.score);
        const detector = await createDetector({ scoreThreshold: score, faces: flags.blurFaces });
        const bar = progressBar('videos');
        try {
          const result = await buildVideoData({
            videos: videos.map((v) => resolve(v)),
            videosRoot: resolve(flags.videosRoot),
            extractFrames: (file, { count, signal }) => extractFrames(file, { count, ...(signal ? { signal } : {}) }),
            detector,
            outDir: options.outDir,
            codec: options.codec,
            seed: options.seed,
            repr: options.repr,
            ...(options.frame ? { frame: options.frame } : {}),
            format: options.format,
            frames: flag(intFlag(1), '--frames', flags.frames),
            writeFrames: flags.writeFrames,
            blurFaces: flags.blurFaces,
            negativesPerVideo: options.negativesPerImage,
            ...(flags.runFile ? { runFile: resolve(flags.runFile) } : {}),
            onProgress: ({ done, total }) => bar.update(done, total),
          });
          bar.stop();
          const s = result.stats;
          io.out(
            [
              `wrote ${result.dataFile}`,
              `      ${result.statsFile}`,
              `videos: ${s.videos}   records: ${s.records}   objects: ${s.objects}   negatives: ${s.negatives}   in ${((performance.now() - started) / 1000).toFixed(1)} s`,
              `objects dropped: moving ${s.dropped.moving}, repeated category ${s.dropped['repeated-category']}`,
              `faces blurred: ${s.blurredFaces.faces} in ${s.blurredFaces.imagesWithFaces} of ${s.blurredFaces.images} frames written`,
            ].join('\n'),
          );
        } finally {
          bar.stop();
          await detector.close();
        }
      }),
    );

  for (const command of data.commands) command.option('--no-progress', 'no progress output');
}
