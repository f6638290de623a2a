// COCOEvalCap-style caption scoring in one call: PTB-tokenise hypotheses and references as pycocoevalcap does, then
// BLEU-1..4, METEOR and CIDEr-D on the tokenised text.
import { corpusBleu } from './bleu.js';
import { ciderD } from './cider.js';
import { MetricError } from './errors.js';
import type { MeteorScorer } from './meteor/scorer.js';
import { ptbTokenizeToString } from './ptb-tokenize.js';

/** One caption to score: a stable id, the model's caption and the human references. */
export interface CaptionItem {
  id: string;
  hypothesis: string;
  references: readonly string[];
}

/** Corpus scores under pycocoevalcap's names, and per-item METEOR and CIDEr-D. */
export interface CaptionMetrics {
  Bleu_1: number;
  Bleu_2: number;
  Bleu_3: number;
  Bleu_4: number;
  METEOR: number;
  CIDEr: number;
  perItem: { id: string; METEOR: number; CIDEr: number }[];
}

/** Score captions like COCOEvalCap (tokenise, then BLEU, METEOR with the given scorer, CIDEr-D). */
export function evaluateCaptions(items: readonly CaptionItem[], meteor: MeteorScorer): CaptionMetrics {
  if (items.length === 0) throw new MetricError('BAD_INPUT', 'caption metrics: no captions to score');
  const seen = new Set<string>();
  const tokenised = items.map((it) => {
    if (seen.has(it.id)) throw new MetricError('BAD_INPUT', `caption metrics: duplicate id ${JSON.stringify(it.id)}`);
    seen.add(it.id);
    if (it.references.length === 0) {
      throw new MetricError('BAD_INPUT', `caption metrics: item ${JSON.stringify(it.id)} has no references`);
    }
    return { hypothesis: ptbTokenizeToString(it.hypothesis), references: it.references.map(ptbTokenizeToString) };
  });
  const bleu = corpusBleu(tokenised).bleu;
  const m = meteor.corpus(tokenised);
  const cider = ciderD(tokenised);
  return {
    Bleu_1: bleu[0],
    Bleu_2: bleu[1],
    Bleu_3: bleu[2],
    Bleu_4: bleu[3],
    METEOR: m.score,
    CIDEr: cider.score,
    perItem: items.map((it, i) => ({ id: it.id, METEOR: m.segmentScores[i]!, CIDEr: cider.scores[i]! })),
  };
}
