import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVideoQa, readVideoQaPair, readVideoQaRaw } from './video-qa.js';
import {
  buildGqa,
  buildVqav2,
  cocoImageFileName,
  readGqaQuestions,
  readVqaAnnotations,
  readVqaQuestions,
} from './vqa.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vqa-'));
const write = (dir: string, name: string, value: unknown) => {
  writeFileSync(join(dir, name), JSON.stringify(value));
  return join(dir, name);
};

describe('VQAv2', () => {
  it('reads questions and annotations and asks with LLaVA short-answer suffix', () => {
    const dir = tmp();
    const questions = readVqaQuestions(
      write(dir, 'q.json', {
        data_subtype: 'val2014',
        questions: [{ image_id: 42, question: 'What color is the cat?', question_id: 420 }],
      }),
    );
    const annotations = readVqaAnnotations(
      write(dir, 'a.json', {
        annotations: [
          {
            question_id: 420,
            image_id: 42,
            answer_type: 'other',
            multiple_choice_answer: 'black',
            answers: Array.from({ length: 10 }, (_, i) => ({ answer: i < 7 ? 'black' : 'gray', answer_id: i + 1 })),
          },
        ],
      }),
    );
    const task = buildVqav2(questions, annotations, { imageRoot: '/coco/val2014' });
    const sample = task.samples[0]!;
    expect(sample.id).toBe('420');
    expect(sample.target.answers).toHaveLength(10);
    expect(sample.group).toBe('other');
    expect(sample.messages[0]!.content).toEqual([
      { type: 'image', image: { path: '/coco/val2014/COCO_val2014_000000000042.jpg' } },
      { type: 'text', text: 'What color is the cat?\nAnswer the question using a single word or phrase.' },
    ]);
    expect(task.config).toEqual({ split: 'val2014' });
    expect(cocoImageFileName('test2015', 1)).toBe('COCO_test2015_000000000001.jpg');
  });

  it('refuses a question without annotation and a missing field with its JSON path', () => {
    const dir = tmp();
    const questions = { questions: [{ image_id: 1, question: 'q', question_id: 7 }] };
    expect(() => buildVqav2(questions, { annotations: [] }, { split: 'val2014' })).toThrow(
      /question 7 has no annotation/,
    );
    expect(() => readVqaQuestions(write(dir, 'bad.json', { questions: [{ image_id: 1 }] }))).toThrow(
      /bad\.json: \$\.questions\[0\]\.question:/,
    );
  });
});

describe('GQA', () => {
  it('reads the questions object keyed by question id', () => {
    const dir = tmp();
    const questions = readGqaQuestions(
      write(dir, 'testdev_balanced_questions.json', {
        '201307251': {
          imageId: 'n15740',
          question: 'Is the sky blue?',
          answer: 'yes',
          types: { structural: 'verify' },
        },
      }),
    );
    const task = buildGqa(questions, { imageRoot: '/gqa/images' });
    expect(task.samples[0]).toMatchObject({
      id: '201307251',
      target: { answer: 'yes' },
      group: 'verify',
      view: { image: '/gqa/images/n15740.jpg' },
    });
  });
});

describe('video QA', () => {
  it('reads Video-ChatGPT style q/a pairs and the raw MSRVTT-QA format, with frames per video', () => {
    const dir = tmp();
    const frames = join(dir, 'frames');
    for (const video of ['v_abc', 'video7010']) {
      mkdirSync(join(frames, video), { recursive: true });
      for (let i = 0; i < 10; i++) writeFileSync(join(frames, video, `${String(i).padStart(3, '0')}.jpg`), '');
    }
    const pairs = readVideoQaPair(
      write(dir, 'test_q.json', [{ video_name: 'abc', question_id: 'q1', question: 'what is he doing' }]),
      write(dir, 'test_a.json', [{ question_id: 'q1', answer: 'dancing', type: 2 }]),
    );
    const anet = buildVideoQa(pairs, { dataset: 'activitynet', framesRoot: frames });
    expect(anet.name).toBe('activitynet-qa');
    expect(anet.samples[0]!.view.frames).toHaveLength(8);
    expect(anet.samples[0]!.view.frames![0]).toBe(join(frames, 'v_abc', '000.jpg'));
    expect(anet.samples[0]!.target).toEqual({ question: 'what is he doing', answer: 'dancing' });
    const raw = readVideoQaRaw(
      write(dir, 'test_qa.json', [{ id: 3, video_id: 7010, question: 'what is in the room', answer: 'table' }]),
      'msrvtt',
    );
    expect(raw[0]!.video).toBe('video7010');
    expect(
      buildVideoQa(raw, { dataset: 'msrvtt', framesRoot: frames, frameCount: 4 }).samples[0]!.view.frames,
    ).toHaveLength(4);
    expect(() =>
      readVideoQaPair(
        write(dir, 'q2.json', [{ video_name: 'x', question_id: 9, question: 'q' }]),
        join(dir, 'test_a.json'),
      ),
    ).toThrow(/no answer for question_id 9/);
  });
});
