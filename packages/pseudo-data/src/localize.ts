// Localize-Instruct (paper Sec. 3.3, Appendix B/C): LocPred, NegPred and RevLoc conversations per image.
import { join, posix, relative, resolve, sep } from 'node:path';
import { type Codec, clampLocation, type FrameTransform, type Location } from '@locvlm/coord-codec';
import {
  createRng,
  type Description,
  imageRecord,
  type LlavaRecord,
  type LocatedObject,
  localizeConversations,
  NEGPRED_TARGET,
  type QaPair,
  type Rng,
} from '@locvlm/prompts';
import { writeFileAtomic } from '@locvlm/runtime';
import { PseudoDataError } from './errors.js';
import {
  type AnnotatedImage,
  absentCategoryIds,
  type ImageCollection,
  type SkipReason,
  selectUniqueObjects,
} from './objects.js';
import { openRecordWriter, type RecordFormat } from './output.js';

/** A Localize-Instruct objective: LocPred, NegPred or RevLoc. */
export type Objective = 'locpred' | 'negpred' | 'revloc';
/** Every Localize-Instruct objective. */
export const OBJECTIVES: readonly Objective[] = ['locpred', 'negpred', 'revloc'];

/** A category as Localize-Instruct uses it: id and name. */
export interface CategoryInfo {
  id: number;
  name: string;
}

/** What a NegPred chooser sees for one image. */
export interface NegativeChoice {
  image: AnnotatedImage;
  /** The image's absent categories (see `absentCategoryIds`), ascending id: the only ids a chooser may return. */
  absentCategoryIds: readonly number[];
  /** How many to choose: `negativesPerImage`, or fewer when fewer categories are absent. */
  count: number;
  /** The image's seeded negatives stream (seed, image id): draw from it to stay deterministic. */
  rng: Rng;
}

/** Picks the NegPred categories of one image: at most `count` distinct ids from `absentCategoryIds`. */
export type NegativeChooser = (choice: NegativeChoice) => readonly number[];

/** Options of `localizeInstructRecords`. */
export interface LocalizeInstructOptions {
  /** Writes locations as text (any @locvlm/coord-codec representation). */
  codec: Codec;
  /** 'box' (x1,y1,x2,y2) or 'point' (the box centre). Default 'box'. */
  repr?: 'box' | 'point';
  seed: number | string;
  /** Default: all three. */
  objectives?: readonly Objective[];
  /** NegPred questions per image, drawn from its absent categories (default 1). */
  negativesPerImage?: number;
  /**
   * Chooses each image's NegPred categories, e.g. to prefer hard negatives (absent categories that resemble present
   * ones). Default: a uniform draw of `count` absent categories.
   */
  chooseNegatives?: NegativeChooser;
  /**
   * Per-object descriptions (annotation id -> one-sentence caption) used instead of category names: the PRefCOCO
   * self-training data. With captions, objects without one are left out of LocPred and RevLoc.
   */
  captions?: ReadonlyMap<number, string>;
  /**
   * The frame locations are written in (any @locvlm/coord-codec transform, e.g. `padToSquare()` or
   * `namedFrame('llava-336')`): boxes are mapped forward from image pixels and encoded relative to the transformed
   * size, clamped to it (a centre crop can cut a box). Default: the original image.
   */
  frame?: FrameTransform;
  /** Folder holding the images' files (COCO `file_name` is relative to it). Default: `imagesRoot`. */
  imagesDir?: string;
  /** Record `image` paths are relative to this folder (the trainer's image folder). Default: `imagesDir` or '.'. */
  imagesRoot?: string;
}

/** Counts of question-answer pairs, per objective and per category name. */
export interface LocalizeStats {
  images: number;
  /** Images that gave at least one record. */
  imagesUsed: number;
  records: number;
  questions: Record<Objective, number>;
  categories: Record<string, Record<Objective, number>>;
  /** Objects not used as LocPred/RevLoc targets, by reason. */
  skipped: Record<SkipReason | 'no-caption', number>;
  seed: number | string;
  codec: string;
  repr: 'box' | 'point';
}

/** Everything Localize-Instruct reads: images with their objects, and the dataset's category list. */
export interface LocalizeSource {
  /** An array of images, or `cocoImages(dataset)` (same images, built while iterating: less memory at scale). */
  images: ImageCollection;
  categories: readonly CategoryInfo[];
}

interface ResolvedOptions {
  codec: Codec;
  repr: 'box' | 'point';
  seed: number | string;
  objectives: ReadonlySet<Objective>;
  negativesPerImage: number;
  chooseNegatives: NegativeChooser;
  captions: ReadonlyMap<number, string> | undefined;
  imagePrefix: string;
  frame: FrameTransform | undefined;
}

function resolveOptions(options: LocalizeInstructOptions): ResolvedOptions {
  const repr = options.repr ?? 'box';
  if (repr !== 'box' && repr !== 'point') {
    throw new PseudoDataError('BAD_OPTION', `repr must be 'box' or 'point', got ${JSON.stringify(repr)}`);
  }
  const objectives = options.objectives ?? OBJECTIVES;
  for (const objective of objectives) {
    if (!OBJECTIVES.includes(objective)) {
      throw new PseudoDataError(
        'BAD_OPTION',
        `unknown objective ${JSON.stringify(objective)} (use ${OBJECTIVES.join(', ')})`,
      );
    }
  }
  const negativesPerImage = options.negativesPerImage ?? 1;
  if (!Number.isInteger(negativesPerImage) || negativesPerImage < 0) {
    throw new PseudoDataError(
      'BAD_OPTION',
      `negativesPerImage must be a non-negative integer, got ${negativesPerImage}`,
    );
  }
  if (typeof options.seed !== 'string' && !Number.isFinite(options.seed)) {
    throw new PseudoDataError('BAD_OPTION', `seed must be a finite number or a string, got ${String(options.seed)}`);
  }
  return {
    codec: options.codec,
    repr,
    seed: options.seed,
    objectives: new Set(objectives),
    negativesPerImage,
    chooseNegatives: options.chooseNegatives ?? uniformNegatives,
    captions: options.captions,
    imagePrefix: imagePrefix(options.imagesDir, options.imagesRoot),
    frame: options.frame,
  };
}

function uniformNegatives({ absentCategoryIds, count, rng }: NegativeChoice): readonly number[] {
  return rng.sample(absentCategoryIds, count);
}

/** The chooser's answer, checked: distinct absent category ids, at most `count` of them. */
function chooseNegativeIds(chooser: NegativeChooser, choice: NegativeChoice): number[] {
  const chosen = [...chooser(choice)];
  const absent = new Set(choice.absentCategoryIds);
  const where = `chooseNegatives for image ${choice.image.id} (${choice.image.file})`;
  if (chosen.length > choice.count) {
    throw new PseudoDataError('BAD_OPTION', `${where} returned ${chosen.length} ids, at most ${choice.count} allowed`);
  }
  chosen.forEach((id, i) => {
    if (!absent.has(id)) {
      throw new PseudoDataError(
        'BAD_OPTION',
        `${where} returned category id ${id}, which is not absent from the image`,
      );
    }
    if (chosen.indexOf(id) !== i) {
      throw new PseudoDataError('BAD_OPTION', `${where} returned category id ${id} twice`);
    }
  });
  return chosen;
}

/** The folder of the images relative to the images root, as a POSIX prefix ('' or 'train2017/'). */
function imagePrefix(imagesDir: string | undefined, imagesRoot: string | undefined): string {
  const dir = resolve(imagesDir ?? imagesRoot ?? '.');
  const root = resolve(imagesRoot ?? imagesDir ?? '.');
  const rel = relative(root, dir);
  if (rel.startsWith('..') || resolve(root, rel) !== dir) {
    throw new PseudoDataError('BAD_OPTION', `images folder ${dir} is not inside the images root ${root}`);
  }
  return rel === '' ? '' : `${rel.split(sep).join(posix.sep)}/`;
}

function emptyCounts(): Record<Objective, number> {
  return { locpred: 0, negpred: 0, revloc: 0 };
}

/**
 * Build Localize-Instruct records, image by image in source order: per image a LocPred conversation (one question
 * per unique-instance object, plus `negativesPerImage` NegPred questions about absent categories) and a RevLoc
 * conversation (one question per unique object), as @locvlm/prompts builds them. Every random draw comes from
 * streams seeded by (seed, image id), so the output depends only on the inputs and the seed.
 */
export function* localizeInstructRecords(
  source: LocalizeSource,
  options: LocalizeInstructOptions,
  stats: LocalizeStats = newStats(options),
): Generator<LlavaRecord> {
  const resolved = resolveOptions(options);
  const names = new Map(source.categories.map((c) => [c.id, c.name]));
  const allIds = source.categories.map((c) => c.id).sort((a, b) => a - b);
  const nameOf = (id: number) => {
    const name = names.get(id);
    if (name === undefined) throw new PseudoDataError('BAD_INPUT', `category id ${id} is not in the category list`);
    return name;
  };
  const count = (category: string, objective: Objective, n = 1) => {
    stats.questions[objective] += n;
    let perCategory = stats.categories[category];
    if (perCategory === undefined) {
      perCategory = emptyCounts();
      stats.categories[category] = perCategory;
    }
    perCategory[objective] += n;
  };
  const { objectives, codec, repr, seed, captions, frame } = resolved;

  for (const image of source.images) {
    stats.images++;
    const key = String(image.id);
    const unique = selectUniqueObjects(image, (_object, reason) => {
      stats.skipped[reason]++;
    });
    const described: Array<{ object: (typeof unique)[number]; located: LocatedObject; category: string }> = [];
    for (const object of unique) {
      const category = nameOf(object.categoryId);
      let description: Description = { category };
      if (captions !== undefined) {
        const caption = captions.get(object.id);
        if (caption === undefined) {
          stats.skipped['no-caption']++;
          continue;
        }
        description = { caption };
      }
      let location: Location = { box: object.box };
      if (frame !== undefined) {
        location = clampLocation(
          frame.forward(location, { width: image.width, height: image.height }),
          frame.outputSize({ width: image.width, height: image.height }),
        );
      }
      described.push({ object, category, located: { description, location } });
    }

    let negatives: string[] = [];
    if (objectives.has('negpred') && resolved.negativesPerImage > 0) {
      const absent = absentCategoryIds(image, allIds);
      const rng = createRng(seed, key, 'negatives');
      const count = Math.min(resolved.negativesPerImage, absent.length);
      negatives = chooseNegativeIds(resolved.chooseNegatives, { image, absentCategoryIds: absent, count, rng }).map(
        nameOf,
      );
    }

    const imageSize = frame === undefined ? { width: image.width, height: image.height } : frame.outputSize(image);
    let conversations: { locPred: QaPair[]; revLoc: QaPair[] };
    try {
      conversations = localizeConversations({
        key,
        imageSize,
        objects: described.map((d) => d.located),
        negatives,
        codec,
        seed,
        shape: repr,
      });
    } catch (error) {
      throw new PseudoDataError('BAD_INPUT', `image ${key} (${image.file}): ${(error as Error).message}`, {
        cause: error,
      });
    }
    // Both conversations are always drawn (so the random streams do not depend on the objectives); drop what was
    // not asked for. Without 'locpred', the first conversation keeps only its NegPred pairs (fixed answer text).
    const file = `${resolved.imagePrefix}${image.file}`;
    let used = false;
    const locPairs = objectives.has('locpred')
      ? conversations.locPred
      : conversations.locPred.filter((pair) => isNegPredPair(pair.answer));
    if (locPairs.length > 0) {
      stats.records++;
      used = true;
      yield imageRecord({ id: `${key}:locpred`, image: file, pairs: locPairs, seed });
      if (objectives.has('locpred')) for (const d of described) count(d.category, 'locpred');
      for (const name of negatives) count(name, 'negpred');
    }
    if (objectives.has('revloc') && conversations.revLoc.length > 0) {
      stats.records++;
      used = true;
      yield imageRecord({ id: `${key}:revloc`, image: file, pairs: conversations.revLoc, seed });
      for (const d of described) count(d.category, 'revloc');
    }
    if (used) stats.imagesUsed++;
  }
}

function isNegPredPair(answer: string): boolean {
  return answer === NEGPRED_TARGET;
}

/** Empty Localize-Instruct statistics for a run with these settings, filled in as records are written. */
export function newStats(options: Pick<LocalizeInstructOptions, 'seed' | 'codec' | 'repr'>): LocalizeStats {
  return {
    images: 0,
    imagesUsed: 0,
    records: 0,
    questions: emptyCounts(),
    categories: {},
    skipped: { 'repeated-category': 0, crowd: 0, 'empty-box': 0, 'no-caption': 0 },
    seed: options.seed,
    codec: options.codec.kind,
    repr: options.repr ?? 'box',
  };
}

/** Options of `writeLocalizeInstruct`. */
export interface WriteLocalizeInstructOptions extends LocalizeInstructOptions {
  /** Output folder: `<name>.json|jsonl` and `stats.json` are written there. */
  outDir: string;
  format?: RecordFormat;
  /** Base name of the data file (default 'localize-instruct'). */
  name?: string;
  /** Called as images are processed. */
  onProgress?: (progress: { done: number; total: number; records: number }) => void;
}

/** What `writeLocalizeInstruct` returns: the data file written and its statistics. */
export interface WriteLocalizeInstructResult {
  dataFile: string;
  statsFile: string;
  stats: LocalizeStats;
}

/**
 * Build Localize-Instruct and write it to `outDir` (records streamed to disk, then renamed into place), with
 * `stats.json` beside it. On failure neither file is left behind.
 */
export async function writeLocalizeInstruct(
  source: LocalizeSource,
  options: WriteLocalizeInstructOptions,
): Promise<WriteLocalizeInstructResult> {
  const format = options.format ?? 'json';
  const dataFile = join(options.outDir, `${options.name ?? 'localize-instruct'}.${format}`);
  const statsFile = join(options.outDir, 'stats.json');
  const stats = newStats(options);
  const writer = await openRecordWriter(dataFile, format);
  const total = source.images.length;
  try {
    let lastImages = 0;
    for (const record of localizeInstructRecords(source, options, stats)) {
      await writer.write(record);
      if (options.onProgress && stats.images - lastImages >= 1000) {
        lastImages = stats.images;
        options.onProgress({ done: stats.images, total, records: stats.records });
      }
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
  await writeFileAtomic(statsFile, `${JSON.stringify(stats, null, 2)}\n`);
  options.onProgress?.({ done: stats.images, total, records: stats.records });
  return { dataFile, statsFile, stats };
}
