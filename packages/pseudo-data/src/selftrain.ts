// Self-training (PRefCOCO, paper Sec. 3.4 and Appendix C): a vision-language model describes every
// unique-instance object in one sentence; the descriptions replace category names in Localize-Instruct.
import { join } from 'node:path';
import { CAPTION_PROMPT_TEMPLATE, captionPrompt } from '@locvlm/prompts';
import { type JobProgress, openRunFile, runJob, type VisionLanguageModel } from '@locvlm/runtime';
import { PseudoDataError } from './errors.js';
import {
  type LocalizeSource,
  type WriteLocalizeInstructOptions,
  type WriteLocalizeInstructResult,
  writeLocalizeInstruct,
} from './localize.js';
import { selectUniqueObjects } from './objects.js';

/** One object to describe. */
export interface CaptionItem {
  /** Run-file key: `image_id:annotation_id:caption`. */
  key: string;
  imageId: number;
  objectId: number;
  category: string;
  /** The image file on disk. */
  imagePath: string;
}

/** What the run file keeps per object: the model's answer and the sentence kept from it (null: nothing usable). */
export interface CaptionResult {
  raw: string;
  caption: string | null;
}

/**
 * The one-sentence description kept from a model's answer: whitespace collapsed, surrounding quotes removed, the
 * first sentence (Intl.Segmenter's sentence boundaries, so "3.5" does not cut it), ending with a period.
 * Returns null when nothing is left.
 */
export function cleanCaption(text: string): string | null {
  let s = text.replace(/\s+/g, ' ').trim();
  s = s.replace(/^(?:sure|certainly|of course)[,!.:]\s*/i, '');
  s = s.replace(/^["'“”‘’]+|["'“”‘’]+$/g, '').trim();
  if (s.length === 0) return null;
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const first = segmenter.segment(s)[Symbol.iterator]().next().value?.segment.trim() ?? '';
  let sentence = first.replace(/^["'“”‘’]+|["'“”‘’]+$/g, '').trim();
  if (!/[A-Za-z0-9]/.test(sentence)) return null;
  if (!/[.!?]$/.test(sentence)) sentence += '.';
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** Every unique-instance object of the source, image by image, as caption work items. */
export function captionItems(source: LocalizeSource, imagesDir: string): CaptionItem[] {
  const names = new Map(source.categories.map((c) => [c.id, c.name]));
  const items: CaptionItem[] = [];
  for (const image of source.images) {
    for (const object of selectUniqueObjects(image)) {
      const category = names.get(object.categoryId);
      if (category === undefined) {
        throw new PseudoDataError(
          'BAD_INPUT',
          `image ${image.id}: category id ${object.categoryId} is not in the category list`,
        );
      }
      items.push({
        key: `${image.id}:${object.id}:caption`,
        imageId: image.id,
        objectId: object.id,
        category,
        imagePath: join(imagesDir, image.file),
      });
    }
  }
  return items;
}

/** Options of `captionObjects`. */
export interface CaptionObjectsOptions {
  model: VisionLanguageModel;
  /** Folder of the image files. */
  imagesDir: string;
  /** Append-only JSONL run file; a restart with the same settings continues where the last run stopped. */
  runFile: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Default 64 tokens: one short sentence. */
  maxNewTokens?: number;
  /** Default 0 (greedy), so a re-asked object gets the same answer from a deterministic server. */
  temperature?: number;
  /**
   * Extra settings recorded in the run file (e.g. the instances file), so a different job is refused. The model is
   * recorded by its `id` unless this names it as `model` (an endpoint list may change between runs, the model not).
   */
  jobConfig?: Record<string, string | number | boolean>;
  /** Called after each captioned object. */
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

/**
 * Ask the model the Appendix C prompt for every unique-instance object. Finished answers go to the run file as they
 * arrive; killed at any moment and restarted, only the missing objects are asked. Returns every item with its
 * result, in item order.
 */
export async function captionObjects(
  source: LocalizeSource,
  options: CaptionObjectsOptions,
): Promise<Array<{ item: CaptionItem; result: CaptionResult }>> {
  const items = captionItems(source, options.imagesDir);
  const maxNewTokens = options.maxNewTokens ?? 64;
  const temperature = options.temperature ?? 0;
  const config = {
    job: 'prefcoco-captions',
    model: options.model.id,
    prompt: CAPTION_PROMPT_TEMPLATE,
    maxNewTokens,
    temperature,
    items: items.length,
    ...(options.jobConfig ?? {}),
  };
  let runFile: Awaited<ReturnType<typeof openRunFile<CaptionResult>>>;
  try {
    runFile = await openRunFile<CaptionResult>(options.runFile, config);
  } catch (error) {
    throw new PseudoDataError('RUN_FILE', (error as Error).message, { cause: error });
  }
  try {
    const entries = await runJob<CaptionItem, CaptionResult>({
      items,
      keyOf: (item) => item.key,
      runFile,
      concurrency: options.concurrency ?? 4,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      work: async (item, { signal }) => {
        let raw: string;
        try {
          const answer = await options.model.generate({
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'image', image: { path: item.imagePath } },
                  { type: 'text', text: captionPrompt(item.category) },
                ],
              },
            ],
            maxNewTokens,
            temperature,
            signal,
          });
          raw = answer.text;
        } catch (error) {
          throw new PseudoDataError(
            'MODEL',
            `${options.model.id} failed to describe object ${item.objectId} (${item.category}) in ${item.imagePath}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        return { raw, caption: cleanCaption(raw) };
      },
    });
    return entries.map(({ item, result }) => ({ item, result }));
  } finally {
    await runFile.close();
  }
}

/** Options of `writePrefcoco` (self-training with a captioning model). */
export interface PrefcocoOptions
  extends Omit<CaptionObjectsOptions, 'runFile'>,
    Omit<WriteLocalizeInstructOptions, 'captions' | 'onProgress' | 'imagesDir'> {
  /** Default `<outDir>/prefcoco.run.jsonl`. */
  runFile?: string;
  /** Progress of the final build (the captioning reports through `onProgress`). */
  onBuildProgress?: WriteLocalizeInstructOptions['onProgress'];
}

/** What `writePrefcoco` returns: the files written and counts. */
export interface PrefcocoResult extends WriteLocalizeInstructResult {
  runFile: string;
  /** Objects described / objects whose answer gave no usable sentence. */
  described: number;
  unusable: number;
}

/**
 * The whole self-training pipeline: caption every unique-instance object (resumable), then write Localize-Instruct
 * with the captions as descriptions (`prefcoco.json|jsonl` and `stats.json` in `outDir`). The final data is built
 * from the run file in item order, so an interrupted-and-resumed run writes exactly the bytes of an uninterrupted one.
 */
export async function buildPrefcoco(source: LocalizeSource, options: PrefcocoOptions): Promise<PrefcocoResult> {
  const runFile = options.runFile ?? join(options.outDir, 'prefcoco.run.jsonl');
  const entries = await captionObjects(source, { ...options, runFile });
  const captions = new Map<number, string>();
  let unusable = 0;
  for (const { item, result } of entries) {
    if (result.caption === null) unusable++;
    else captions.set(item.objectId, result.caption);
  }
  const { onProgress: _captionProgress, onBuildProgress, ...rest } = options;
  const written = await writeLocalizeInstruct(source, {
    ...rest,
    name: options.name ?? 'prefcoco',
    captions,
    ...(onBuildProgress ? { onProgress: onBuildProgress } : {}),
  });
  return { ...written, runFile, described: captions.size, unusable };
}
