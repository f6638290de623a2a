// locvlm codec encode | decode | convert: location text in any representation, in any image frame.
import {
  type Box,
  CODEC_KINDS,
  type Codec,
  type CodecOptions,
  convertDetailed,
  createCodec,
  FRAME_NAMES,
  type FrameTransform,
  type ImageSize,
  type Location,
  namedFrame,
  type ParseIssue,
  type Point,
} from '@locvlm/coord-codec';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { CliError, type CliIo } from '../io.js';

const sizeSchema = z
  .string()
  .regex(/^\s*\d+(?:\.\d+)?\s*[xX]\s*\d+(?:\.\d+)?\s*$/, 'must be WIDTHxHEIGHT in pixels, e.g. 512x512')
  .transform((s) => {
    const [w, h] = s.toLowerCase().split('x').map(Number) as [number, number];
    return { width: w, height: h };
  })
  .refine((s) => s.width > 0 && s.height > 0, 'width and height must be positive');

const numberList = (count: number, example: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v))))
    .refine(
      (v) => v.length === count && v.every(Number.isFinite),
      `must be ${count} comma-separated numbers, e.g. ${example}`,
    );

const boxSchema = numberList(4, '10,120,30,145');
const pointSchema = numberList(2, '20,132.5');

/** Parses a flag value with a zod schema; the error names the flag and the value. */
function flag<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const why = result.error.issues.map((i) => i.message).join('; ');
    throw new CliError(`${name} ${JSON.stringify(value)} ${why}`, { cause: result.error });
  }
  return result.data;
}

/**
 * A codec spec from the command line: `kind` or `kind:key=value,key=value`, e.g. `ivb:bins=336`,
 * `kosmos:dequantize=transformers`, `nfp:decimals=3,clamp=true`. Values that look like numbers or booleans become them.
 */
export function parseCodecSpec(spec: string, name = '--kind'): CodecOptions {
  const [kind, rest] = spec.split(/:(.*)/s) as [string, string | undefined];
  if (!(CODEC_KINDS as readonly string[]).includes(kind)) {
    throw new CliError(
      `${name} ${JSON.stringify(spec)}: unknown codec kind; expected one of ${CODEC_KINDS.join(', ')}`,
    );
  }
  const options: Record<string, unknown> = { kind };
  for (const part of rest ? rest.split(',') : []) {
    const [key, value] = part.split('=') as [string, string | undefined];
    if (!key || value === undefined) {
      throw new CliError(`${name} ${JSON.stringify(spec)}: options must be key=value, got ${JSON.stringify(part)}`);
    }
    options[key.trim()] =
      value === 'true' ? true : value === 'false' ? false : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return options as unknown as CodecOptions;
}

interface CodecFlags {
  kind: string;
  bins?: string;
  decimals?: string;
  cell?: string;
  grid?: string;
  dequantize?: string;
  clamp?: boolean;
  fenced?: boolean;
  size: string;
  frame: string;
  json?: boolean;
}

const integerFlag = z.coerce.number().int().positive();

function codecFromFlags(flags: CodecFlags): Codec {
  const options = parseCodecSpec(flags.kind) as unknown as Record<string, unknown>;
  if (flags.bins !== undefined) options.bins = flag(integerFlag, '--bins', flags.bins);
  if (flags.decimals !== undefined) options.decimals = flag(integerFlag, '--decimals', flags.decimals);
  if (flags.cell !== undefined) options.cell = flag(integerFlag, '--cell', flags.cell);
  if (flags.grid !== undefined) options.grid = flag(integerFlag, '--grid', flags.grid);
  if (flags.dequantize !== undefined) options.dequantize = flags.dequantize;
  if (flags.clamp) options.clamp = true;
  if (flags.fenced) options.fenced = true;
  return createCodec(options as unknown as CodecOptions);
}

function frameFromFlag(name: string, value: string): FrameTransform {
  if (!(FRAME_NAMES as readonly string[]).includes(value)) {
    throw new CliError(`${name} ${JSON.stringify(value)}: unknown frame; expected one of ${FRAME_NAMES.join(', ')}`);
  }
  return namedFrame(value);
}

function round(v: number): number {
  return Number(v.toFixed(4));
}

function describeLocation(l: Location): string {
  const values = 'box' in l ? ['box', ...l.box.map(round)] : ['point', ...l.point.map(round)];
  return l.label === undefined ? values.join(' ') : `${values.join(' ')} ${JSON.stringify(l.label)}`;
}

function warnIssues(io: CliIo, issues: readonly ParseIssue[]): void {
  for (const i of issues)
    io.err(`warning: ${i.code}: ${i.message} (at ${i.start}..${i.end}: ${JSON.stringify(i.text)})`);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function addCodecFlags(command: Command): Command {
  return command
    .requiredOption('-k, --kind <kind>', `representation: ${CODEC_KINDS.join(', ')} (or kind:key=value,...)`)
    .option('--bins <n>', 'n_b for ivb / diga (default 224)')
    .option('--decimals <n>', 'decimals for nfp (default 4) / shikra (default 3)')
    .option('--cell <n>', 'DIGA anchor cell side in bins (default 14)')
    .option('--grid <n>', 'Kosmos-2 grid cells per side (default 32)')
    .addOption(
      new Option('--dequantize <how>', 'kosmos: centre | transformers; ferret: centre | edge').choices([
        'centre',
        'transformers',
        'edge',
      ]),
    )
    .option('--clamp', 'clamp locations / values outside the image instead of refusing them')
    .option('--fenced', 'qwen: wrap several objects in a ```json fence')
    .requiredOption('-s, --size <WxH>', 'the original image size in pixels, e.g. 512x512')
    .option('--frame <name>', `the frame the text lives in, from the original image: ${FRAME_NAMES.join(', ')}`, 'none')
    .option('--json', 'print JSON');
}

/** Registers `locvlm codec encode|decode|convert`. */
export function registerCodecCommands(program: Command, io: CliIo): void {
  const codec = program
    .command('codec')
    .description('turn locations into text and back in any representation (NFP, IVB, DIGA, Shikra, Qwen2.5-VL, ...)');

  addCodecFlags(
    codec
      .command('encode')
      .description('write boxes / points (pixels of the original image) as location text')
      .option('-b, --box <x1,y1,x2,y2>', 'a box in pixels (repeatable)', collect)
      .option('-p, --point <x,y>', 'a point in pixels (repeatable)', collect)
      .option('-l, --label <text>', 'label written with each location (qwen, florence, paligemma, kosmos)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  locvlm codec encode --kind ivb --bins 224 --size 512x512 --box 10,120,30,145\n  (4, 52, 13, 63)',
    )
    .action((flags: CodecFlags & { box?: string[]; point?: string[]; label?: string }) => {
      const c = codecFromFlags(flags);
      const image = flag(sizeSchema, '--size', flags.size);
      const frame = frameFromFlag('--frame', flags.frame);
      const label = flags.label === undefined ? {} : { label: flags.label };
      const locations: Location[] = [
        ...(flags.box ?? []).map((b): Location => ({ box: flag(boxSchema, '--box', b) as Box, ...label })),
        ...(flags.point ?? []).map((p): Location => ({ point: flag(pointSchema, '--point', p) as Point, ...label })),
      ];
      if (locations.length === 0) throw new CliError('give at least one --box x1,y1,x2,y2 or --point x,y');
      const frameSize = frame.outputSize(image);
      const inFrame = locations.map((l) => frame.forward(l, image));
      const text = inFrame.length === 1 ? c.encode(inFrame[0] as Location, frameSize) : c.encodeAll(inFrame, frameSize);
      if (flags.json) {
        io.out(
          JSON.stringify({ codec: c.options, image, frame: frame.name, frameSize, locations, inFrame, text }, null, 2),
        );
      } else io.out(text);
    });

  addCodecFlags(
    codec
      .command('decode')
      .description('find every location in text; print them in pixels of the original image')
      .argument('<text>', 'the text to read, e.g. a model answer'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  locvlm codec decode --kind ivb --size 512x512 "It is located at (4, 52, 13, 63)"',
    )
    .action((text: string, flags: CodecFlags) => {
      const c = codecFromFlags(flags);
      const image = flag(sizeSchema, '--size', flags.size);
      const frame = frameFromFlag('--frame', flags.frame);
      const frameSize = frame.outputSize(image);
      const parsed = c.parse(text, frameSize);
      const locations = parsed.locations.map((p) => ({
        ...p,
        inFrame: p.location,
        location: frame.inverse(p.location, image),
      }));
      if (flags.json) {
        io.out(
          JSON.stringify(
            { codec: c.options, image, frame: frame.name, frameSize, locations, issues: parsed.issues },
            null,
            2,
          ),
        );
        return;
      }
      for (const l of locations) io.out(describeLocation(l.location));
      warnIssues(io, parsed.issues);
    });

  codec
    .command('convert')
    .description('re-write every location of a text in another representation (and frame)')
    .argument('<text>', 'the text to convert')
    .requiredOption('--from <spec>', 'representation of the text: kind or kind:key=value,...')
    .requiredOption('--to <spec>', 'representation to write: kind or kind:key=value,... (e.g. ivb:bins=336)')
    .requiredOption('-s, --size <WxH>', 'the original image size in pixels')
    .option('--frame <name>', `frame of both texts (e.g. pad-square for LLaVA-1.5 / Shikra): ${FRAME_NAMES.join(', ')}`)
    .option('--from-frame <name>', 'frame of the input text (overrides --frame)')
    .option('--to-frame <name>', 'frame of the output text (overrides --frame)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExample:\n  locvlm codec convert --from shikra --to ivb --size 640x480 --frame pad-square "[0.100,0.200,0.300,0.400]"\n  (22, 44, 67, 89)',
    )
    .action(
      (
        text: string,
        flags: {
          from: string;
          to: string;
          size: string;
          frame?: string;
          fromFrame?: string;
          toFrame?: string;
          json?: boolean;
        },
      ) => {
        const from = createCodec(parseCodecSpec(flags.from, '--from'));
        const to = createCodec(parseCodecSpec(flags.to, '--to'));
        const image: ImageSize = flag(sizeSchema, '--size', flags.size);
        const fromFrame = frameFromFlag('--from-frame', flags.fromFrame ?? flags.frame ?? 'none');
        const toFrame = frameFromFlag('--to-frame', flags.toFrame ?? flags.frame ?? 'none');
        const result = convertDetailed(text, { from, to, image, fromFrame, toFrame });
        if (flags.json) {
          io.out(
            JSON.stringify(
              {
                from: from.options,
                to: to.options,
                image,
                fromFrame: fromFrame.name,
                toFrame: toFrame.name,
                ...result,
              },
              null,
              2,
            ),
          );
          return;
        }
        if (result.text !== '') io.out(result.text);
        warnIssues(io, result.issues);
      },
    );
}
