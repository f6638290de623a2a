// locvlm ask | locate | describe: one image, one question, on a local model directory or an OpenAI-compatible server.
import { readFile, writeFile } from 'node:fs/promises';
import type { Location } from '@locvlm/coord-codec';
import { type GenerateOptions, RuntimeError, type VisionLanguageModel } from '@locvlm/runtime';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError, type CliIo, processIo } from '../io.js';
import {
  describeRegion,
  drawLocations,
  imageSize,
  type LocatedAnswer,
  locateObject,
  locationsInAnswer,
} from '../location-tasks.js';
import { addModelFlags, asCliError, type ModelFlags, openModel, resolveCodec, resolveFrame } from '../model-choice.js';

interface CommonFlags extends ModelFlags {
  image: string;
  maxTokens: string;
  temperature: string;
  seed?: string;
  json?: boolean;
}

function parseFlag<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`${name} ${JSON.stringify(value)}: ${result.error.issues[0]?.message}`);
  return result.data;
}

function generateOptions(flags: CommonFlags): GenerateOptions {
  const options: GenerateOptions = {
    maxNewTokens: parseFlag(z.coerce.number().int().positive().max(4096), '--max-tokens', flags.maxTokens),
    temperature: parseFlag(z.coerce.number().min(0).max(2), '--temperature', flags.temperature),
  };
  if (flags.seed !== undefined) options.seed = parseFlag(z.coerce.number().int(), '--seed', flags.seed);
  return options;
}

/** Parse `x1,y1,x2,y2` (pixels of the original image). */
export function parseBox(value: string): [number, number, number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n)))
    throw new CliError(`--box ${JSON.stringify(value)}: expected x1,y1,x2,y2 in image pixels, e.g. 10,120,30,145`);
  return parts as [number, number, number, number];
}

async function readImage(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new CliError(`--image ${path}: ${(cause as Error).message}`, { cause });
  }
}

function addCommonFlags(command: Command): Command {
  return addModelFlags(
    command
      .requiredOption('--image <file>', 'the image (PNG, JPEG, WebP, GIF)')
      .option('--max-tokens <n>', 'most tokens to generate', '128')
      .option('--temperature <t>', '0 is greedy decoding', '0')
      .option('--seed <n>', 'sampling seed (with --temperature > 0)')
      .option('--json', 'print one JSON object for scripts'),
  );
}

const round = (v: number) => Math.round(v * 10) / 10;

function describeLocation(l: Location): string {
  return 'box' in l ? `box ${l.box.map(round).join(',')}` : `point ${l.point.map(round).join(',')}`;
}

/**
 * The model's errors about the image name it by its size (`image bytes (1812 B) cannot be decoded`); the command
 * knows which file it was, so the message starts with it.
 */
function nameImageFile(error: unknown, imagePath: string): unknown {
  if (error instanceof RuntimeError && error.code === 'IMAGE' && !error.message.includes(imagePath))
    return new CliError(`--image ${imagePath}: ${error.message}`, { cause: error });
  return error;
}

/**
 * Open the model, run `task` on the image at `imagePath`, always close the model; user-caused runtime errors become
 * exit code 2, and image errors name the file.
 */
async function withModel<T>(
  flags: ModelFlags,
  imagePath: string,
  task: (model: VisionLanguageModel) => Promise<T>,
): Promise<T> {
  const model = await openModel(flags);
  try {
    return await task(model);
  } catch (error) {
    throw asCliError(nameImageFile(error, imagePath));
  } finally {
    await model.close();
  }
}

function printLocated(io: CliIo, result: LocatedAnswer, json: boolean | undefined, extra: Record<string, unknown>) {
  if (json) {
    io.out(
      JSON.stringify(
        {
          ...extra,
          question: result.question,
          answer: result.answer,
          finishReason: result.finishReason,
          imageSize: result.imageSize,
          locations: result.locations.map((l) => ({ ...l.location, text: l.text })),
          issues: result.issues,
        },
        null,
        2,
      ),
    );
    return;
  }
  io.out(result.answer);
  for (const l of result.locations) io.out(`${describeLocation(l.location)}  (from "${l.text}")`);
  for (const issue of result.issues) io.err(`warning: ${issue.message}`);
}

/** Registers `locvlm ask`, `locvlm locate` and `locvlm describe`. */
export function registerInferenceCommands(program: Command, io: CliIo): void {
  addCommonFlags(
    program
      .command('ask')
      .description('ask a free question about an image; the answer streams to the terminal')
      .argument('<question>', 'the question'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  locvlm ask --image scene.png "Is the red circle left of the blue square?"\n' +
        '  locvlm ask --endpoint http://127.0.0.1:8000 --model-name llava --image photo.jpg "What is on the table?"',
    )
    .action(async (question: string, flags: CommonFlags) => {
      if (question.trim() === '') throw new CliError('the question is empty');
      const image = await readImage(flags.image);
      const size = await imageSize(image, `--image ${flags.image}`);
      const frame = resolveFrame(flags);
      const options = generateOptions(flags);
      await withModel(flags, flags.image, async (model) => {
        const codec = await resolveCodec(flags, { model });
        const messages = [
          {
            role: 'user' as const,
            content: [
              { type: 'image' as const, image: { bytes: image } },
              { type: 'text' as const, text: question },
            ],
          },
        ];
        let answer = '';
        if (flags.json) {
          answer = (await model.generate({ ...options, messages })).text;
        } else {
          // Deltas go straight to stdout as they arrive (the process stream; tests get whole lines).
          const write = io === processIo ? (s: string) => process.stdout.write(s) : undefined;
          for await (const delta of model.stream({ ...options, messages })) {
            answer += delta;
            write?.(delta);
          }
          if (write) write('\n');
          else io.out(answer);
        }
        const { locations, issues } = locationsInAnswer(answer, model, size, codec, frame);
        if (flags.json) {
          io.out(JSON.stringify({ model: model.id, question, answer, imageSize: size, locations, issues }, null, 2));
        } else {
          for (const l of locations) io.out(describeLocation(l));
        }
      });
    });

  addCommonFlags(
    program
      .command('locate')
      .description("find an object: asks the paper's LocPred question and prints the box in image pixels")
      .argument('<object>', 'what to find, e.g. "red circle"'),
  )
    .option('--point', 'ask for a (cx,cy) point instead of a box')
    .option('--draw <out.png>', 'write a PNG of the image with the predicted locations drawn')
    .addHelpText('after', '\nExample:\n  locvlm locate --image scene.png "blue square" --draw boxes.png')
    .action(async (object: string, flags: CommonFlags & { point?: boolean; draw?: string }) => {
      const image = await readImage(flags.image);
      await imageSize(image, `--image ${flags.image}`);
      const frame = resolveFrame(flags);
      const options = generateOptions(flags);
      const result = await withModel(flags, flags.image, async (model) => {
        const codec = await resolveCodec(flags, { model });
        const located = await locateObject(model, {
          ...options,
          image,
          object,
          codec,
          shape: flags.point ? 'point' : 'box',
          ...(frame ? { frame } : {}),
        });
        return { located, id: model.id, codec };
      });
      if (flags.draw) {
        const png = await drawLocations(
          image,
          result.located.locations.map((l) => l.location),
          result.located.locations.map(() => object),
        );
        await writeFile(flags.draw, png);
      }
      printLocated(io, result.located, flags.json, {
        model: result.id,
        codec: result.codec.options,
        object,
        ...(flags.draw ? { drawn: flags.draw } : {}),
      });
      if (!flags.json && result.located.locations.length === 0) io.err('no location found in the answer');
      if (!flags.json && flags.draw) io.err(`wrote ${flags.draw}`);
    });

  addCommonFlags(
    program
      .command('describe')
      .description("describe the region in a box: asks the paper's RevLoc question with the box in the model's codec")
      .requiredOption('--box <x1,y1,x2,y2>', 'the region, in pixels of the image'),
  )
    .addHelpText('after', '\nExample:\n  locvlm describe --image scene.png --box 10,120,30,145')
    .action(async (flags: CommonFlags & { box: string }) => {
      const box = parseBox(flags.box);
      const image = await readImage(flags.image);
      await imageSize(image, `--image ${flags.image}`);
      const frame = resolveFrame(flags);
      const options = generateOptions(flags);
      const result = await withModel(flags, flags.image, async (model) => {
        const codec = await resolveCodec(flags, { model });
        return {
          described: await describeRegion(model, { ...options, image, box, codec, ...(frame ? { frame } : {}) }),
          id: model.id,
          codec,
        };
      });
      printLocated(io, result.described, flags.json, {
        model: result.id,
        codec: result.codec.options,
        box,
        locationText: result.described.locationText,
      });
    });
}
