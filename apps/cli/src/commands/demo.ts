// locvlm demo: the main job. Until a bundled model ships, it walks the paper's worked example through the whole
// location pipeline (codecs, training record, chat prompt, parsing an answer, mapping it back to image pixels).
import {
  CODEC_KINDS,
  type CodecKind,
  createCodec,
  type ImageSize,
  type Location,
  llavaFrame,
  parseLocations,
} from '@locvlm/coord-codec';
import { localizeInstructRecords, renderConversation } from '@locvlm/prompts';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

// The paper's worked example (Appendix A): a cat at (10, 120, 30, 145) in a 512x512 image.
const catBox: Location = { box: [10, 120, 30, 145] };
const square: ImageSize = { width: 512, height: 512 };
const codecOptions: Record<CodecKind, object> = {
  nfp: {},
  ivb: { bins: 224 },
  diga: { bins: 224 },
  shikra: {},
  qwen: {},
  florence: {},
  paligemma: {},
  kosmos: {},
  ferret: {},
};

export interface DemoReport {
  encodings: Array<{ kind: CodecKind; text: string; decoded: Location[] }>;
  record: unknown;
  prompt: string;
  mappedBack: { answer: string; modelFrame: Location[]; originalPixels: Location[] };
}

/** Everything the demo shows, as plain data (the command prints it as text or JSON). */
export function buildDemoReport(): DemoReport {
  const encodings = CODEC_KINDS.map((kind) => {
    const codec = createCodec({ kind, ...codecOptions[kind] } as Parameters<typeof createCodec>[0]);
    const text = codec.encode(catBox, square);
    return { kind, text, decoded: codec.decode(text, square) };
  });

  const ivb = createCodec({ kind: 'ivb', bins: 224 });
  const [record] = localizeInstructRecords({
    key: 'demo-cat',
    image: 'images/cat.jpg',
    imageSize: square,
    objects: [{ description: { category: 'cat' }, location: catBox }],
    negatives: ['zebra'],
    codec: ivb,
    seed: 0,
  });
  const prompt = renderConversation('llava_v1', record?.conversations ?? []);

  // A LLaVA-1.5-style model sees a 640x480 photo padded to a square and resized to 336 px; its IVB answer lives in
  // that frame. The same transform that preprocesses the pixels maps the answer back to photo pixels.
  const photo: ImageSize = { width: 640, height: 480 };
  const frame = llavaFrame(336);
  const modelFrame = frame.outputSize(photo);
  const answer = 'It is located at (4, 52, 13, 63)';
  const inModelFrame = parseLocations(answer, createCodec({ kind: 'ivb', bins: 336 }), modelFrame).locations.map(
    (found) => found.location,
  );
  const originalPixels = inModelFrame.map((location) => frame.inverse(location, photo));
  return { encodings, record, prompt, mappedBack: { answer, modelFrame: inModelFrame, originalPixels } };
}

export function registerDemoCommands(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('the main job: show the location pipeline end to end on the paper worked example')
    .option('--json', 'print the report as JSON')
    .action((options: { json?: boolean }) => {
      const report = buildDemoReport();
      if (options.json) {
        io.out(JSON.stringify(report, null, 2));
        return;
      }
      const round = (location: Location) =>
        JSON.stringify('box' in location ? location.box.map((v) => Math.round(v * 10) / 10) : location.point);
      io.out('The paper worked example: a cat at (10, 120, 30, 145) in a 512x512 image.\n');
      io.out(`${'codec'.padEnd(10)} ${'location text'.padEnd(52)} decoded (px)`);
      for (const { kind, text, decoded } of report.encodings) {
        io.out(`${kind.padEnd(10)} ${text.padEnd(52)} ${decoded.map(round).join(' ')}`);
      }
      io.out('\nA Localize-Instruct training record (IVB, 224 bins), as LLaVA trainer reads it:');
      io.out(JSON.stringify(report.record, null, 2));
      io.out('\nThe same conversation rendered with the llava_v1 chat template:');
      io.out(report.prompt);
      const { answer, modelFrame, originalPixels } = report.mappedBack;
      io.out(`\nAn answer "${answer}" from a LLaVA-1.5 model (640x480 photo, padded to a square, 336 px input):`);
      io.out(`  in the model input frame: ${modelFrame.map(round).join(' ')}`);
      io.out(`  in photo pixels:          ${originalPixels.map(round).join(' ')}`);
    });
}
