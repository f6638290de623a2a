// The scorers that call the metrics: VQAv2, GQA, region description, video QA (exact match and judge).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMeteorScorer } from '../metrics/index.js';
import { runEval } from '../runs/run-eval.js';
import { fakeModel, lastUserText } from '../testing/fake-model.js';
import { cocoFixture } from '../testing/fixtures.js';
import { createLocationFormat } from './locations.js';
import { buildRegionDescription, scoreRegionDescription } from './region-description.js';
import { buildVideoQa, scoreVideoQa } from './video-qa.js';
import { buildGqa, buildVqav2, scoreGqa, scoreVqav2 } from './vqa.js';

describe('VQAv2 and GQA scoring', () => {
  it('uses the official accuracy (3 of 10 humans agree -> 1, 2 -> 0.6 over leave-one-out) and answer types', () => {
    // VQAv2's human answers are already normalised (digits): '2' three times, '3' seven times.
    const answers = (n: number) => Array.from({ length: 10 }, (_, i) => (i < n ? '2' : '3'));
    const task = buildVqav2(
      {
        data_subtype: 'val2014',
        questions: [
          { image_id: 1, question: 'How many?', question_id: 1 },
          { image_id: 1, question: 'How many now?', question_id: 2 },
        ],
      },
      {
        annotations: [
          { question_id: 1, image_id: 1, answers: answers(3).map((answer) => ({ answer })), answer_type: 'number' },
          { question_id: 2, image_id: 1, answers: answers(2).map((answer) => ({ answer })), answer_type: 'number' },
        ],
      },
    );
    // "Two." normalises to "2". With 3 matching humans, leaving out one of the 7 others keeps 3 matches (1), leaving
    // out one of the 3 keeps 2 (2/3); with 2 matching: 8 x 2/3 and 2 x 1/3.
    const score = scoreVqav2(
      task,
      new Map([
        ['1', 'Two.'],
        ['2', '2'],
      ]),
    );
    expect(score.samples[0]!.score).toBeCloseTo((7 * 1 + 3 * (2 / 3)) / 10, 10);
    expect(score.samples[1]!.score).toBeCloseTo((8 * (2 / 3) + 2 * (1 / 3)) / 10, 10);
    expect(score.metrics['accuracy.number']).toBeCloseTo(score.metrics.accuracy!, 10);
    expect(() =>
      scoreVqav2(
        buildVqav2(
          { data_subtype: 'test2015', questions: [{ image_id: 1, question: 'q', question_id: 9 }] },
          undefined,
        ),
        new Map(),
      ),
    ).toThrow(/no human answers/);
  });

  it("GQA: exact match after LLaVA's rstrip('.').lower()", () => {
    const task = buildGqa({
      a: { imageId: 'x', question: 'Is it red?', answer: 'yes' },
      b: { imageId: 'y', question: 'What?', answer: 'table' },
    });
    const score = scoreGqa(
      task,
      new Map([
        ['a', 'Yes.'],
        ['b', 'The table'],
      ]),
    );
    expect(score.metrics.accuracy).toBe(0.5);
    expect(score.samples.map((s) => s.correct)).toEqual([true, false]);
  });
});

describe('region description scoring', { timeout: 30_000 }, () => {
  it('METEOR, BLEU-4 and CIDEr over PTB-tokenised text; a perfect description beats a wrong one', () => {
    const refs = [
      {
        ref_id: 1,
        ann_id: 100,
        image_id: 1,
        split: 'test',
        sentences: [{ sent: 'the brown dog on the left' }, { sent: 'a dog' }],
      },
      { ref_id: 2, ann_id: 101, image_id: 1, split: 'test', sentences: [{ sent: 'white cat sitting up top' }] },
    ];
    const format = createLocationFormat({ codec: { kind: 'ivb', bins: 224 }, frame: 'none' });
    const task = buildRegionDescription(refs, cocoFixture(), { format, dataset: 'refcocog', split: 'test' });
    expect(task.samples[0]!.view.prompt).toBe('Describe the object located at (28, 102, 42, 121)?');
    const meteor = createMeteorScorer({ modules: ['exact'] });
    const good = scoreRegionDescription(
      task,
      new Map([
        ['1', 'The brown dog on the left.'],
        ['2', 'White cat sitting up top'],
      ]),
      { meteor },
    );
    const bad = scoreRegionDescription(
      task,
      new Map([
        ['1', 'a red car'],
        ['2', 'nothing at all'],
      ]),
      { meteor },
    );
    expect(good.metrics.meteor).toBeGreaterThan(0.9);
    expect(good.sources).toEqual({ wordnet: 'none (no synonym module)', functionWords: 'stand-in' });
    expect(good.metrics.bleu4).toBeGreaterThan(0.9);
    expect(bad.metrics.meteor).toBeLessThan(0.2);
    expect(bad.metrics.bleu4).toBeLessThan(0.01);
    expect(good.metrics.cider).toBeGreaterThan(bad.metrics.cider!);
    const missing = scoreRegionDescription(task, new Map([['1', 'The brown dog on the left.']]), { meteor });
    expect(missing.counts).toEqual({ samples: 2, answered: 1, missing: 1 });
  });
});

describe('video QA scoring', { timeout: 30_000 }, () => {
  function videoTask() {
    const root = mkdtempSync(join(tmpdir(), 'vqa-frames-'));
    for (const v of ['v1', 'v2', 'v3']) {
      mkdirSync(join(root, v));
      writeFileSync(join(root, v, '0001.jpg'), '');
    }
    return {
      root,
      task: buildVideoQa(
        [
          { id: 'a', video: 'v1', question: 'what is the man doing', answer: 'dancing' },
          { id: 'b', video: 'v2', question: 'what color is the car', answer: 'red' },
          { id: 'c', video: 'v3', question: 'is it indoors', answer: 'yes' },
        ],
        { dataset: 'activitynet', framesRoot: root },
      ),
    };
  }

  it('offline: exact match after lower-casing and removing punctuation', () => {
    const { task } = videoTask();
    const score = scoreVideoQa(
      task,
      new Map([
        ['a', 'Dancing.'],
        ['b', 'dark red'],
        ['c', 'YES!'],
      ]),
    );
    expect(score.metrics).toEqual({ accuracy: 2 / 3 });
  });

  it("with a judge model: Video-ChatGPT's messages, replies cached, accuracy yes/(yes+no) and mean score", async () => {
    const { task, root } = videoTask();
    const model = fakeModel('video-model', (r) => (lastUserText(r).includes('man') ? 'He is dancing.' : 'blue'));
    const judge = fakeModel('judge', (r) => {
      const text = lastUserText(r);
      if (text.includes('Predicted Answer: He is dancing.')) return "{'pred': 'yes', 'score': 5}";
      if (text.includes('Predicted Answer: blue') && text.includes('Correct Answer: red'))
        return "{'pred': 'no', 'score': 1}";
      return 'I cannot judge this.';
    });
    const out = join(root, 'run');
    const result = await runEval({ task, model, judge, outDir: out });
    expect(judge.calls).toHaveLength(3);
    expect(judge.calls[0]!.messages[0]).toMatchObject({ role: 'system' });
    expect(result.score.metrics).toEqual({ accuracy: 0.5, 'score(0-5)': 3, judgeUnreadable: 1 });
    expect(readFileSync(join(out, 'judgments.jsonl'), 'utf8').split('\n')[0]).toContain('"judge":"judge"');
    // Again: neither model is asked anything.
    const again = await runEval({
      task,
      model: fakeModel('video-model', () => 'x'),
      judge: fakeModel('judge', () => 'x'),
      outDir: out,
    });
    expect(again.score.metrics).toEqual(result.score.metrics);
  });
});
