// VQAv2 accuracy with the official answer normalisation (GT-Vision-Lab/VQA vqaEval.py), and GQA exact match after
// LLaVA's post-processing. The normalisation tables are data (data/vqa-normalization.json).
import tables from './data/vqa-normalization.json';
import { MetricError } from './errors.js';

const contractions = new Map(Object.entries(tables.contractions));
const numberWords = new Map(Object.entries(tables.numberWords));
const articles = new Set(tables.articles);
// vqaEval.py's "(?!<=\d)(\.)(?!\d)": a period not followed by a digit (its look-behind is mistyped as a look-ahead).
const periodStrip = /(?!<=\d)(\.)(?!\d)/g;
const commaStrip = /(\d)(,)(\d)/;

/** vqaEval.py processPunctuation: punctuation next to a space, or anywhere when a digit,digit comma occurs, is removed; otherwise replaced by a space; then periods not before a digit are removed. */
export function vqaProcessPunctuation(inText: string): string {
  let outText = inText;
  const digitComma = commaStrip.test(inText);
  for (const p of tables.punctuation) {
    if (inText.includes(`${p} `) || inText.includes(` ${p}`) || digitComma) outText = outText.replaceAll(p, '');
    else outText = outText.replaceAll(p, ' ');
  }
  return outText.replace(periodStrip, '');
}

/** vqaEval.py processDigitArticle: lower-case, number words to digits, articles dropped, contractions restored. */
export function vqaProcessDigitArticle(inText: string): string {
  const out: string[] = [];
  for (const w of inText.toLowerCase().split(/\s+/).filter(Boolean)) {
    const word = numberWords.get(w) ?? w;
    if (!articles.has(word)) out.push(word);
  }
  return out.map((w) => contractions.get(w) ?? w).join(' ');
}

/** The normalised form of a model answer (newlines/tabs to spaces, trim, punctuation, digits/articles). */
export function normalizeVqaAnswer(answer: string): string {
  const a = answer.replaceAll('\n', ' ').replaceAll('\t', ' ').trim();
  return vqaProcessDigitArticle(vqaProcessPunctuation(a));
}

/**
 * VQAv2 accuracy of one answer against the human answers (normally 10): for each human answer, min(1, matches among
 * the others / 3), averaged. As in vqaEval.py, human answers get only punctuation processing and only when they
 * are not all identical.
 */
export function vqaAccuracy(answer: string, humanAnswers: readonly string[]): number {
  if (humanAnswers.length === 0)
    throw new MetricError('BAD_INPUT', `VQA: answer ${JSON.stringify(answer)} has no human answers`);
  const res = normalizeVqaAnswer(answer);
  const gts = new Set(humanAnswers).size > 1 ? humanAnswers.map(vqaProcessPunctuation) : [...humanAnswers];
  let sum = 0;
  for (let i = 0; i < gts.length; i++) {
    let matches = 0;
    for (let j = 0; j < gts.length; j++) if (j !== i && gts[j] === res) matches++;
    sum += Math.min(1, matches / 3);
  }
  return sum / gts.length;
}

/** Mean VQAv2 accuracy over questions, with the per-question values. */
export function vqaAccuracyMean(items: readonly { answer: string; humanAnswers: readonly string[] }[]): {
  accuracy: number;
  perQuestion: number[];
} {
  if (items.length === 0) throw new MetricError('BAD_INPUT', 'VQA: no questions to score');
  const perQuestion = items.map((it) => vqaAccuracy(it.answer, it.humanAnswers));
  return { accuracy: perQuestion.reduce((a, b) => a + b, 0) / perQuestion.length, perQuestion };
}

/** LLaVA's GQA post-processing: Python's text.rstrip('.').lower(). */
export function gqaPostprocess(prediction: string): string {
  return prediction.replace(/\.+$/, '').toLowerCase();
}

/** GQA exact match: the post-processed prediction equals the gold answer. */
export function gqaExactMatch(prediction: string, answer: string): boolean {
  return gqaPostprocess(prediction) === answer;
}
