#!/usr/bin/env node
// shapes-lab CLI: only parses flags, calls the library and prints progress.
import { Command, InvalidArgumentError } from 'commander';
import { ShapesLabError } from './errors.js';
import { buildWorld } from './world.js';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

const program = new Command('shapes-lab').option('--verbose', 'print stacks on error');

program
  .command('world')
  .description('render the synthetic shapes world with COCO-format annotations')
  .requiredOption('--out <dir>', 'output folder')
  .option('--train <n>', 'training scenes', count, 0)
  .option('--val <n>', 'validation scenes', count, 0)
  .option('--test <n>', 'test scenes', count, 0)
  .option('--seed <n>', 'world seed', count, 0)
  .option('--size <px>', 'image side in pixels', count, 64)
  .option('--min-objects <n>', 'fewest objects per scene', count, 2)
  .option('--max-objects <n>', 'most objects per scene', count, 5)
  .action(async (o) => {
    const summary = await buildWorld({
      out: o.out,
      seed: o.seed,
      splits: { train: o.train, val: o.val, test: o.test },
      scene: { size: o.size, minObjects: o.minObjects, maxObjects: o.maxObjects },
      onProgress: ({ split, done, total }) => process.stderr.write(`\r${split}: ${done}/${total}`),
    });
    process.stderr.write('\n');
    console.log(JSON.stringify(summary));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ShapesLabError && !program.opts().verbose) console.error(`shapes-lab: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
