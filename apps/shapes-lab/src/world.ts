import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type SceneEntry, SPLIT_ID_BASE, toCoco } from './coco.js';
import { ShapesLabError } from './errors.js';
import { renderScenePng } from './render.js';
import { sceneRng } from './rng.js';
import { DEFAULT_SCENE_OPTIONS, type Scene, type SceneOptions, sampleScene } from './scene.js';

export type SplitName = 'train' | 'val' | 'test';

export interface WorldOptions {
  /** Output folder: images/<split>/<id>.png and annotations/{instances,captions,scenes}_<split>.json. */
  out: string;
  /** Number of scenes per split; a split with 0 is skipped. */
  splits: Partial<Record<SplitName, number>>;
  seed?: number;
  scene?: Partial<SceneOptions>;
  onProgress?: (p: { split: SplitName; done: number; total: number }) => void;
}

export interface WorldSummary {
  out: string;
  seed: number;
  splits: { split: SplitName; images: number; annotations: number }[];
}

/** Scene `index` of `split`: the same for a given seed whatever the split size. */
export function worldScene(seed: number, split: SplitName, index: number, options?: Partial<SceneOptions>): Scene {
  return sampleScene(sceneRng(seed, split, index), { ...DEFAULT_SCENE_OPTIONS, ...options });
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`);
  await rename(tmp, path);
}

function validate(options: WorldOptions): void {
  for (const [split, n] of Object.entries(options.splits)) {
    if (!(split in SPLIT_ID_BASE)) throw new ShapesLabError('BAD_INPUT', `unknown split "${split}" (train, val, test)`);
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) >= 1_000_000)
      throw new ShapesLabError('BAD_INPUT', `splits.${split} must be an integer in [0, 999999], got ${n}`);
  }
  const size = options.scene?.size ?? DEFAULT_SCENE_OPTIONS.size;
  if (!Number.isInteger(size) || size < 32 || size > 1024)
    throw new ShapesLabError('BAD_INPUT', `scene.size must be an integer in [32, 1024], got ${size}`);
  const lo = options.scene?.minObjects ?? DEFAULT_SCENE_OPTIONS.minObjects;
  const hi = options.scene?.maxObjects ?? DEFAULT_SCENE_OPTIONS.maxObjects;
  if (!(lo >= 1 && hi >= lo && hi <= 8))
    throw new ShapesLabError('BAD_INPUT', `objects per scene must satisfy 1 <= min <= max <= 8, got ${lo}..${hi}`);
}

/** Render every split's scenes and write COCO-format annotations beside them. Deterministic for a seed. */
export async function buildWorld(options: WorldOptions): Promise<WorldSummary> {
  validate(options);
  const seed = options.seed ?? 0;
  const summary: WorldSummary = { out: options.out, seed, splits: [] };
  for (const split of ['train', 'val', 'test'] as const) {
    const total = options.splits[split] ?? 0;
    if (total === 0) continue;
    const dir = join(options.out, 'images', split);
    await mkdir(dir, { recursive: true });
    const entries: SceneEntry[] = [];
    for (let i = 0; i < total; i++) {
      const scene = worldScene(seed, split, i, options.scene);
      const imageId = (SPLIT_ID_BASE[split] as number) + i;
      const fileName = `${split}/${String(imageId).padStart(7, '0')}.png`;
      await writeFile(join(options.out, 'images', fileName), await renderScenePng(scene));
      entries.push({ scene, imageId, fileName });
      if ((i + 1) % 100 === 0 || i + 1 === total) options.onProgress?.({ split, done: i + 1, total });
    }
    const info = { description: 'LocVLM-TS shapes world', version: '1', split, seed };
    const { instances, captions, scenes } = toCoco(entries, info);
    await writeJsonAtomic(join(options.out, 'annotations', `instances_${split}.json`), instances);
    await writeJsonAtomic(join(options.out, 'annotations', `captions_${split}.json`), captions);
    await writeJsonAtomic(join(options.out, 'annotations', `scenes_${split}.json`), { info, scenes });
    summary.splits.push({ split, images: instances.images.length, annotations: instances.annotations.length });
  }
  return summary;
}
