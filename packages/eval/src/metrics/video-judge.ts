// Video-ChatGPT's quantitative QA judge (quantitative_evaluation/evaluate_activitynet_qa.py): the exact messages it
// sends to the judge model, parsing of the judge's Python-dict reply, and its accuracy / average score.
import { MetricError } from './errors.js';

/** The judge's system message, verbatim (including the missing spaces around "------"). */
export const VIDEO_QA_JUDGE_SYSTEM =
  'You are an intelligent chatbot designed for evaluating the correctness of generative outputs for question-answer pairs. ' +
  "Your task is to compare the predicted answer with the correct answer and determine if they match meaningfully. Here's how you can accomplish the task:" +
  '------' +
  '##INSTRUCTIONS: ' +
  '- Focus on the meaningful match between the predicted answer and the correct answer.\n' +
  '- Consider synonyms or paraphrases as valid matches.\n' +
  '- Evaluate the correctness of the prediction compared to the answer.';

/** The judge's user message for one question, verbatim. */
export function videoQaJudgeUserMessage(question: string, answer: string, prediction: string): string {
  return (
    'Please evaluate the following video-based question-answer pair:\n\n' +
    `Question: ${question}\n` +
    `Correct Answer: ${answer}\n` +
    `Predicted Answer: ${prediction}\n\n` +
    'Provide your evaluation only as a yes/no and score where the score is an integer value between 0 and 5, with 5 indicating the highest meaningful match. ' +
    "Please generate the response in the form of a Python dictionary string with keys 'pred' and 'score', where value of 'pred' is  a string of 'yes' or 'no' and value of 'score' is in INTEGER, not STRING." +
    'DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. Only provide the Python dictionary string. ' +
    "For example, your response should look like this: {'pred': 'yes', 'score': 4.8}."
  );
}

/** Chat messages (system, user) for one judged question. */
export function videoQaJudgeMessages(
  question: string,
  answer: string,
  prediction: string,
): [{ role: 'system'; content: string }, { role: 'user'; content: string }] {
  return [
    { role: 'system', content: VIDEO_QA_JUDGE_SYSTEM },
    { role: 'user', content: videoQaJudgeUserMessage(question, answer, prediction) },
  ];
}

/** A parsed judge verdict: `pred` as the judge wrote it, `score` as Python's int() makes it. */
export interface JudgeVerdict {
  pred: string;
  score: number;
}

/**
 * Parse a judge reply such as `{'pred': 'yes', 'score': 4}`. Accepts single or double quotes, text or a code fence
 * around the dict, and numeric or quoted-integer scores; a float score is truncated like Python's int().
 */
export function parseJudgeReply(reply: string): JudgeVerdict {
  const start = reply.indexOf('{');
  const end = reply.lastIndexOf('}');
  if (start === -1 || end < start) {
    throw new MetricError('BAD_INPUT', `video QA judge reply has no {...} dict: ${JSON.stringify(reply)}`);
  }
  const body = reply.slice(start, end + 1);
  const field = (key: string) =>
    new RegExp(`['"]${key}['"]\\s*:\\s*(?:'([^']*)'|"([^"]*)"|(-?\\d+(?:\\.\\d+)?))`).exec(body);
  const pred = field('pred');
  const score = field('score');
  if (!pred || pred[3] !== undefined || !score) {
    throw new MetricError(
      'BAD_INPUT',
      `video QA judge reply lacks a string 'pred' and a 'score': ${JSON.stringify(reply)}`,
    );
  }
  const rawScore = score[3] ?? score[1] ?? score[2] ?? '';
  // Python int(): numbers truncate toward zero; strings must be integer literals.
  const numeric =
    score[3] !== undefined
      ? Math.trunc(Number(rawScore))
      : /^\s*-?\d+\s*$/.test(rawScore)
        ? Number(rawScore)
        : Number.NaN;
  if (!Number.isFinite(numeric)) {
    throw new MetricError(
      'BAD_INPUT',
      `video QA judge reply has a non-integer score ${JSON.stringify(rawScore)}: ${JSON.stringify(reply)}`,
    );
  }
  return { pred: pred[1] ?? pred[2] ?? '', score: numeric };
}

/** Video-ChatGPT's summary: accuracy = yes / (yes + no) ("yes" checked first, as substrings), mean score over all. */
export function videoQaJudgeMetrics(verdicts: readonly JudgeVerdict[]): {
  accuracy: number;
  averageScore: number;
  yes: number;
  no: number;
  count: number;
} {
  if (verdicts.length === 0) throw new MetricError('BAD_INPUT', 'video QA judge: no verdicts to summarise');
  let yes = 0;
  let no = 0;
  let scoreSum = 0;
  for (const v of verdicts) {
    scoreSum += v.score;
    const p = v.pred.toLowerCase();
    if (p.includes('yes')) yes++;
    else if (p.includes('no')) no++;
  }
  return { accuracy: yes / (yes + no), averageScore: scoreSum / verdicts.length, yes, no, count: verdicts.length };
}
