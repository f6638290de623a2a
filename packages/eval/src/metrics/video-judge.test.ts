import { describe, expect, it } from 'vitest';
import { MetricError } from './errors.js';
import { parseJudgeReply, VIDEO_QA_JUDGE_SYSTEM, videoQaJudgeMessages, videoQaJudgeMetrics } from './video-judge.js';

describe('Video-ChatGPT judge protocol', () => {
  it('builds the exact messages', () => {
    const [system, user] = videoQaJudgeMessages('What is the man doing?', 'dancing', 'He is dancing.');
    expect(system.content).toBe(VIDEO_QA_JUDGE_SYSTEM);
    expect(system.content).toContain('accomplish the task:------##INSTRUCTIONS: - Focus');
    expect(
      user.content.startsWith(
        'Please evaluate the following video-based question-answer pair:\n\nQuestion: What is the man doing?\nCorrect Answer: dancing\nPredicted Answer: He is dancing.\n\n',
      ),
    ).toBe(true);
    expect(user.content).toContain("value of 'pred' is  a string of 'yes' or 'no'");
    expect(user.content.endsWith("{'pred': 'yes', 'score': 4.8}.")).toBe(true);
  });

  it.each([
    ["{'pred': 'yes', 'score': 4}", 'yes', 4],
    ['{"pred": "no", "score": 1}', 'no', 1],
    ["```python\n{'pred': 'yes', 'score': 4.8}\n```", 'yes', 4], // int(4.8) = 4
    ["Sure! {'score': 3, 'pred': 'no'}", 'no', 3],
    ["{'pred': 'yes', 'score': '5'}", 'yes', 5],
  ])('parses %j', (reply, pred, score) => {
    expect(parseJudgeReply(reply)).toEqual({ pred, score });
  });

  it('rejects replies without a usable dict', () => {
    expect(() => parseJudgeReply('yes, 4')).toThrowError(MetricError);
    expect(() => parseJudgeReply("{'pred': 'yes'}")).toThrowError(MetricError);
    expect(() => parseJudgeReply("{'pred': 'yes', 'score': 'four'}")).toThrowError(MetricError);
  });

  it('accuracy = yes / (yes + no); mean score over every verdict', () => {
    const m = videoQaJudgeMetrics([
      { pred: 'yes', score: 5 },
      { pred: 'no', score: 1 },
      { pred: 'Yes', score: 4 },
      { pred: 'unsure', score: 2 }, // neither yes nor no: out of the accuracy, in the mean score
    ]);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.averageScore).toBe(3);
  });
});
