// Held-out evaluation of a model through the one model interface (@locvlm/runtime), scored with @locvlm/eval:
// LocPred accuracy at IoU >= 0.5, NegPred "no such object", presence (hallucination) accuracy with POPE's parsing,
// left/right and above/below (COCO-Spatial's keyword rule), region-description METEOR when a scorer is given.

import { join } from 'node:path';
import { decodeLocations } from '@locvlm/coord-codec';
import { type Box, groundingMetrics, keywordAccuracy, popeMetrics } from '@locvlm/eval';
import type { VisionLanguageModel } from '@locvlm/runtime';
import type { EvalItem } from './dataset.js';

export interface EvaluateOptions {
  /** The world folder the items' images are under (`<world>/images/<item.image>`). */
  world: string;
  /** IVB bins the model writes boxes in. */
  bins: number;
  /** Image side in pixels (scenes are square). */
  size: number;
  /** Kinds to ask (default: locpred, negpred, presence, side, vertical). */
  kinds?: readonly string[];
  /** Items per kind, the first ones in file order (default: all). */
  limit?: number;
  maxNewTokens?: number;
  /** Region-description METEOR over RevLoc items, e.g. @locvlm/eval's createMeteorScorer(...).corpus. */
  meteor?: (pairs: { candidate: string; references: string[] }[]) => Promise<number> | number;
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface EvaluatedItem extends EvalItem {
  output: string;
}

export interface ShapesMetrics {
  /** Percentages, 0-100; undefined when the kind was not asked. */
  locpredAccuracy?: number;
  meanIou?: number;
  negpredAccuracy?: number;
  hallucinationAccuracy?: number;
  leftRightAccuracy?: number;
  aboveBelowAccuracy?: number;
  regionMeteor?: number;
  counts: Record<string, number>;
}

export const DEFAULT_KINDS = ['locpred', 'negpred', 'presence', 'side', 'vertical'] as const;

/** The shipped model's goals on held-out scenes (issue 7). */
export const GOALS = { locpredAccuracy: 80, leftRightAccuracy: 90, hallucinationAccuracy: 90 } as const;

export function selectItems(items: readonly EvalItem[], kinds: readonly string[], limit?: number): EvalItem[] {
  const out: EvalItem[] = [];
  for (const kind of kinds) {
    const ofKind = items.filter((i) => i.kind === kind);
    out.push(...(limit === undefined ? ofKind : ofKind.slice(0, limit)));
  }
  return out;
}

/** Ask every selected item of a single-turn question about its image, greedy, and collect the answers. */
export async function answerItems(
  model: VisionLanguageModel,
  items: readonly EvalItem[],
  options: Pick<EvaluateOptions, 'world' | 'maxNewTokens' | 'onProgress'>,
): Promise<EvaluatedItem[]> {
  const out: EvaluatedItem[] = [];
  for (const item of items) {
    const result = await model.generate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', image: { path: join(options.world, 'images', item.image) } },
            { type: 'text', text: item.question },
          ],
        },
      ],
      maxNewTokens: options.maxNewTokens ?? 48,
      temperature: 0,
    });
    out.push({ ...item, output: result.text.trim() });
    options.onProgress?.({ done: out.length, total: items.length });
  }
  return out;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

/** Score answered items (any mix of kinds). */
export async function scoreItems(
  answered: readonly EvaluatedItem[],
  options: Pick<EvaluateOptions, 'bins' | 'size' | 'meteor'>,
): Promise<ShapesMetrics> {
  const of = (kind: string) => answered.filter((i) => i.kind === kind);
  const metrics: ShapesMetrics = { counts: {} };
  for (const i of answered) metrics.counts[i.kind] = (metrics.counts[i.kind] ?? 0) + 1;
  const image = { width: options.size, height: options.size };

  const loc = of('locpred');
  if (loc.length > 0) {
    const predictions = loc.map((i) => {
      const found = decodeLocations(i.output, { kind: 'ivb', bins: options.bins }, image).find((l) => 'box' in l);
      return found && 'box' in found ? (found.box as Box) : null;
    });
    const targets = loc.map((i) => {
      const [x, y, w, h] = i.bbox as [number, number, number, number];
      return [x, y, x + w, y + h] as Box;
    });
    const g = groundingMetrics(predictions, targets, 0.5);
    metrics.locpredAccuracy = pct(g.accuracyAtLeastThreshold); // the goal is IoU >= 0.5
    metrics.meanIou = Math.round(g.meanIou * 1000) / 1000;
  }
  const neg = of('negpred');
  if (neg.length > 0)
    metrics.negpredAccuracy = pct(neg.filter((i) => /no such object/i.test(i.output)).length / neg.length);
  const presence = of('presence');
  if (presence.length > 0) {
    const labels = presence.map((i) => (/^no\b/i.test(i.answer) ? 'no' : 'yes'));
    metrics.hallucinationAccuracy = pct(
      popeMetrics(
        presence.map((i) => i.output),
        labels,
      ).accuracy,
    );
  }
  const sideTarget = (i: EvaluatedItem, words: [string, string]) =>
    i.answer.includes(` ${words[0]} `) ? words[0] : words[1];
  const side = of('side');
  if (side.length > 0)
    metrics.leftRightAccuracy = pct(
      keywordAccuracy(side.map((i) => ({ answer: i.output, target: sideTarget(i, ['left', 'right']) }))).accuracy,
    );
  const vertical = of('vertical');
  if (vertical.length > 0)
    metrics.aboveBelowAccuracy = pct(
      keywordAccuracy(vertical.map((i) => ({ answer: i.output, target: sideTarget(i, ['above', 'below']) }))).accuracy,
    );
  const rev = of('revloc');
  if (rev.length > 0 && options.meteor) {
    const score = await options.meteor(rev.map((i) => ({ candidate: i.output, references: [i.answer] })));
    metrics.regionMeteor = Math.round(score * 1000) / 1000;
  }
  return metrics;
}

/** Answer and score: the whole held-out evaluation of one model. */
export async function evaluateModel(
  model: VisionLanguageModel,
  items: readonly EvalItem[],
  options: EvaluateOptions,
): Promise<{ metrics: ShapesMetrics; answered: EvaluatedItem[] }> {
  const chosen = selectItems(items, options.kinds ?? DEFAULT_KINDS, options.limit);
  const answered = await answerItems(model, chosen, options);
  return { metrics: await scoreItems(answered, options), answered };
}

/** Which goals a result misses (empty when it meets them all). */
export function missedGoals(metrics: ShapesMetrics): string[] {
  return Object.entries(GOALS)
    .filter(([k, goal]) => !((metrics[k as keyof typeof GOALS] ?? -1) >= goal))
    .map(([k, goal]) => `${k} ${metrics[k as keyof typeof GOALS] ?? 'not measured'} < ${goal}`);
}
