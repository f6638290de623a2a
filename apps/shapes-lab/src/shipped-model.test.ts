// The CI check of issue 7: the committed model, run through @locvlm/runtime on fixed held-out scenes (test split,
// seed 0, never seen in training), must meet the goals. No training here.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnxModel, type OnnxVisionLanguageModel } from '@locvlm/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instructionData, readWorldSplit } from './dataset.js';
import { evaluateModel, GOALS, missedGoals, type ShapesMetrics } from './evaluate.js';
import { buildWorld } from './world.js';

const MODEL_DIR = process.env.SHAPES_LAB_MODEL ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'model');
// SHAPES_LAB_MODEL=<dir> runs the same checks on any export (e.g. a new training run in .tmp/).
// The model is committed: a missing one fails every check below (with this message), it is never skipped.
const HAVE_MODEL = existsSync(join(MODEL_DIR, 'config.json'));
const MISSING = `no model at ${MODEL_DIR} (config.json missing): the shipped model belongs in apps/shapes-lab/model`;
const SCENES = 60;
const PER_KIND = 60;

describe('shipped model on held-out scenes', () => {
  let world = '';
  let metrics: ShapesMetrics;
  let model: OnnxVisionLanguageModel;

  beforeAll(async () => {
    if (!HAVE_MODEL) return;
    world = await mkdtemp(join(tmpdir(), 'shapes-heldout-'));
    await buildWorld({ out: world, splits: { test: SCENES }, seed: 0 });
    const { items } = instructionData(await readWorldSplit(world, 'test'), {
      bins: 32,
      objectives: ['locpred', 'negpred', 'revloc'],
    });
    model = await loadOnnxModel(MODEL_DIR);
    ({ metrics } = await evaluateModel(model, items, {
      world,
      bins: 32,
      size: 64,
      kinds: ['locpred', 'negpred', 'presence', 'side'],
      limit: PER_KIND,
    }));
  }, 180_000);

  afterAll(async () => {
    await model?.close();
    if (world) await rm(world, { recursive: true, force: true });
  });

  it('is committed in the runtime layout', () => {
    expect(HAVE_MODEL, MISSING).toBe(true);
    for (const f of ['config.json', 'tokenizer.json', 'onnx/vision_encoder.onnx', 'onnx/decoder_model_merged.onnx'])
      expect(existsSync(join(MODEL_DIR, f))).toBe(true);
  });

  it('answers as the PyTorch model did before export (same pixels, tokens and weights)', async () => {
    expect(HAVE_MODEL, MISSING).toBe(true);
    const reference = JSON.parse(await readFile(join(MODEL_DIR, 'reference.json'), 'utf8')) as {
      pytorch_answers: { image: string; question: string; answer: string }[];
    };
    expect(reference.pytorch_answers.length).toBeGreaterThan(0);
    let same = 0;
    for (const r of reference.pytorch_answers) {
      const result = await model.generate({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', image: { path: join(world, 'images', r.image) } },
              { type: 'text', text: r.question },
            ],
          },
        ],
        maxNewTokens: 32, // the PyTorch reference answers were generated with the same limit
      });
      if (result.text.trim() === r.answer) same++;
    }
    // fp32 ONNX vs PyTorch can flip a near-tie argmax; all but one must match exactly.
    expect(same).toBeGreaterThanOrEqual(reference.pytorch_answers.length - 1);
  });

  it(`meets the goals: LocPred >= ${GOALS.locpredAccuracy}%, left/right >= ${GOALS.leftRightAccuracy}%, hallucination >= ${GOALS.hallucinationAccuracy}%`, () => {
    expect(HAVE_MODEL, MISSING).toBe(true);
    expect(metrics.counts.locpred).toBe(PER_KIND);
    expect(metrics.counts.side).toBeGreaterThanOrEqual(30);
    expect(missedGoals(metrics), JSON.stringify(metrics)).toEqual([]);
  });
});
