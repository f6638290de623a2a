// Region description (paper Sec. 4.6, Table 10): give the model a box as location text (RevLoc prompt) and compare
// its description with the referring expressions of that object (METEOR, plus BLEU-4 and CIDEr).
import { createMeteorScorer, evaluateCaptions, type MeteorScorer } from '../metrics/index.js';
import { type CocoInstances, indexCoco, xywhToBox } from './coco.js';
import { resolveImagePath } from './data.js';
import { encodeBox, type LocationFormat } from './locations.js';
import { revLocQuestion } from './prompt-text.js';
import type { RefDataset, RefRecord } from './refs.js';
import type { Box, EvalSample, EvalTask, GenerationSettings, SampleScore, TaskScore } from './types.js';

/** The reference descriptions of a region. */
export interface RegionTarget {
  /** The object's referring expressions (the references). */
  references: string[];
  box: Box;
}

/** Options of the region-description (RevLoc) task builder. */
export interface RegionDescriptionOptions {
  format: LocationFormat;
  dataset: RefDataset;
  /** `testB` for RefCOCO / RefCOCO+ and `val` / `test` for RefCOCOg in the paper; all refs when omitted. */
  split?: string;
  imageRoot?: string;
  /** Index into the three RevLoc templates (default 0: `Describe the object located at {loc}?`). */
  template?: number;
  limit?: number;
  generation?: Partial<GenerationSettings>;
}

const REGION_GENERATION: GenerationSettings = { maxNewTokens: 128, temperature: 0.2 };

/** One sample per ref (object) of the split; its sentences are the references. */
export function buildRegionDescription(
  refs: readonly RefRecord[],
  coco: CocoInstances,
  options: RegionDescriptionOptions,
): EvalTask<RegionTarget> {
  const index = indexCoco(coco);
  const templateIndex = options.template ?? 0;
  const samples: EvalSample<RegionTarget>[] = [];
  for (const ref of refs) {
    if (samples.length >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
    if (options.split && ref.split !== options.split) continue;
    const annotation = index.annotations.get(ref.ann_id);
    const image = index.images.get(ref.image_id);
    if (!annotation || !image || ref.sentences.length === 0) continue;
    const box = xywhToBox(annotation.bbox);
    const size = { width: image.width, height: image.height };
    const question = revLocQuestion(encodeBox(options.format, box, size), templateIndex);
    const path = resolveImagePath(options.imageRoot, image.file_name);
    const references = ref.sentences.map((s) => s.sent);
    samples.push({
      id: String(ref.ref_id),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', image: { path } },
            { type: 'text', text: question },
          ],
        },
      ],
      target: { references, box },
      view: {
        prompt: question,
        image: path,
        imageSize: size,
        boxes: [{ box, label: references[0] ?? '', role: 'target' }],
        reference: references.join(' | '),
      },
    });
  }
  return {
    name: `rd-${options.dataset}${options.split ? `-${options.split}` : ''}`,
    kind: 'region-description',
    config: {
      dataset: options.dataset,
      split: options.split ?? null,
      location: options.format.spec,
      template: templateIndex,
    },
    generation: { ...REGION_GENERATION, ...options.generation },
    samples,
  };
}

/** Options of scoring region descriptions (METEOR and the other caption metrics). */
export interface RegionScoreOptions {
  /** A METEOR scorer to reuse (default: Meteor 1.5 English settings, WordNet found as `resolveWordNetDir` says). */
  meteor?: MeteorScorer;
}

let sharedMeteor: MeteorScorer | undefined;

/**
 * METEOR (Meteor's corpus score from pooled statistics, as Table 10 reports it), BLEU-4 and CIDEr-D, computed as
 * pycocoevalcap does (PTB-tokenised answers and references). A missing answer is scored as an empty description.
 */
export function scoreRegionDescription(
  task: EvalTask<RegionTarget>,
  answers: ReadonlyMap<string, string>,
  options: RegionScoreOptions = {},
): TaskScore {
  // WordNet loads once per process for the default scorer.
  if (!options.meteor && !sharedMeteor) sharedMeteor = createMeteorScorer();
  const meteor = options.meteor ?? sharedMeteor!;
  const result = evaluateCaptions(
    task.samples.map((s) => ({ id: s.id, hypothesis: answers.get(s.id) ?? '', references: s.target.references })),
    meteor,
  );
  let answered = 0;
  const samples: SampleScore[] = task.samples.map((sample, i) => {
    const answer = answers.get(sample.id);
    if (answer !== undefined) answered++;
    const item = result.perItem[i]!;
    return {
      id: sample.id,
      score: item.METEOR,
      parsed: `METEOR ${item.METEOR.toFixed(3)}, CIDEr ${item.CIDEr.toFixed(3)}`,
      ...(answer !== undefined ? { answer } : {}),
    };
  });
  const n = task.samples.length;
  return {
    task: task.name,
    kind: 'region-description',
    metrics: { meteor: result.METEOR, bleu4: result.Bleu_4, cider: result.CIDEr },
    counts: { samples: n, answered, missing: n - answered },
    samples,
    sources: meteorSources(meteor),
  };
}

/** Which WordNet and function words a METEOR score was computed with (3.0 and 3.1 give different scores). */
export function meteorSources(meteor: MeteorScorer): Record<string, string> {
  const wordnet = meteor.wordnet;
  // The npm package is pinned, so its name and version say it all; a folder given or found on the system is named.
  const where = wordnet?.source.startsWith('npm:') ? `WordNet ${wordnet.version}` : wordnet?.dir;
  return {
    wordnet: wordnet ? `${wordnet.source}${where ? ` (${where})` : ''}` : 'none (no synonym module)',
    functionWords: meteor.functionWordSource,
  };
}
