// Pins the exact bytes of a Localize-Instruct build from a COCO-shaped file, so speed work on reading, grouping,
// building and writing cannot change the output. The hashes were computed before that work (commit 1e0baa5); if a
// deliberate format change moves them, recompute and say so in the changeset.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import { describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { writeLocalizeInstruct } from './localize.js';
import { cocoImages, imagesFromCoco } from './objects.js';

/** mulberry32: a small deterministic generator for the fixture. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A COCO instances text with the shapes real files have: polygons and RLE masks, crowd regions, boxes overshooting
 * the image, a missing `area`, integer and fractional numbers, extra keys, non-ASCII and escaped file names.
 */
function cocoText(): string {
  const random = rng(42);
  const images: string[] = [];
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < 60; i++) {
    const width = 100 + Math.floor(random() * 500);
    const height = 100 + Math.floor(random() * 500);
    sizes.push([width, height]);
    const name = i % 7 === 3 ? `caf\u00e9 \\"${i}\\".jpg` : i % 11 === 5 ? `\u5199\u771f-${i}.png` : `${i}.jpg`;
    images.push(`{"license":1,"file_name":"${name}","height":${height},"width":${width},"id":${1000 + i}}`);
  }
  const annotations: string[] = [];
  for (let a = 0; a < 400; a++) {
    const image = Math.floor(random() * 60);
    const [width, height] = sizes[image] as [number, number];
    const w = random() < 0.03 ? 0 : 1 + random() * width * 0.6;
    const h = 1 + random() * height * 0.6;
    const x = random() * width - (random() < 0.05 ? 5 : 0);
    const y = random() * (height - h / 2);
    const box = random() < 0.2 ? [Math.round(x), Math.round(y), Math.round(w), Math.round(h)] : [x, y, w, h];
    const crowd = random() < 0.04 ? 1 : 0;
    const segmentation = crowd
      ? `{"counts":[${[3, 4, 5].join(',')}],"size":[${height},${width}]}`
      : `[[${[x, y, x + w, y, x + w, y + h].map((v) => v.toFixed(2)).join(',')}]]`;
    const area = a % 13 === 0 ? '' : `"area":${(w * h).toFixed(3)},`;
    annotations.push(
      `{"segmentation":${segmentation},${area}"iscrowd":${crowd},"image_id":${1000 + image},"bbox":[${box.join(',')}],"category_id":${1 + Math.floor(random() * 12)},"id":${5000 + a}}`,
    );
  }
  const categories = Array.from({ length: 12 }, (_, c) =>
    c % 2 === 0
      ? `{"supercategory":"thing","id":${c + 1},"name":"category ${c + 1}"}`
      : `{"id":${c + 1},"name":"th\u00efng ${c + 1}"}`,
  );
  return `{"info":{"x":[1,{"y":"]"}]},"images":[\n${images.join(',\n')}\n],"annotations":[\n${annotations.join(',\n')}\n],"categories":[${categories.join(',')}]}\n`;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('Localize-Instruct output bytes', () => {
  it('are unchanged for the same input and seed (json and jsonl, grouped lazily or eagerly)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pinned-'));
    const file = join(dir, 'instances.json');
    writeFileSync(file, cocoText());
    const coco = await readCocoInstances(file);
    expect([coco.images.length, coco.annotations.length, coco.categories.length]).toEqual([60, 400, 12]);
    const parsed = createHash('sha256').update(JSON.stringify(coco)).digest('hex');
    expect(parsed).toBe('a5d9d42470f3cf4ffea1f9c5e4a2d7eec08ba4a7f7fc31858d9d7d52db894f81');
    const codec = createCodec({ kind: 'ivb', bins: 224 });
    const hashes: Record<string, string> = {};
    let stats = { records: 0 };
    for (const format of ['json', 'jsonl'] as const) {
      for (const grouping of ['lazy', 'eager'] as const) {
        const images = grouping === 'lazy' ? cocoImages(coco) : imagesFromCoco(coco);
        const outDir = join(dir, `${format}-${grouping}`);
        const result = await writeLocalizeInstruct(
          { images, categories: coco.categories },
          { codec, seed: 3, outDir, format },
        );
        hashes[`${format} ${grouping}`] = `${sha256(result.dataFile)} ${sha256(result.statsFile)}`;
        stats = result.stats;
      }
    }
    expect(stats.records).toBeGreaterThan(60);
    const json = '6edb7e70ec1e114b4cc91e79fe53a7c17a9aa96263343e138d1ee4069a3d8473';
    const jsonl = '289c86c750ec1a4ace01c8232a81e07a85cc4a0a571ee13714c49f04e549c296';
    const statsJson = '96404eb87bf31d39a7d85445562d12d2ed75ecd2a1f5dd36ffd866e56bef9ec8';
    expect(hashes).toEqual({
      'json lazy': `${json} ${statsJson}`,
      'json eager': `${json} ${statsJson}`,
      'jsonl lazy': `${jsonl} ${statsJson}`,
      'jsonl eager': `${jsonl} ${statsJson}`,
    });
  });
});
