// Writes a COCO-train-sized instances file (images, annotations with polygons, 80 categories) deterministically.

import { once } from 'node:events';
import { createWriteStream, renameSync } from 'node:fs';

export interface SynthOptions {
  images: number;
  annotations: number;
  categories: number;
  seed?: number;
}

/** mulberry32: small, fast, deterministic. */
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

export async function synthesizeCoco(path: string, options: SynthOptions): Promise<void> {
  const random = rng(options.seed ?? 1);
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let buffer = '';
  const write = async (text: string) => {
    buffer += text;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  };
  await write('{"info":{"description":"synthetic COCO-sized instances"},"licenses":[],"images":[');
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < options.images; i++) {
    const width = 480 + Math.floor(random() * 161);
    const height = 360 + Math.floor(random() * 161);
    sizes.push([width, height]);
    const name = String(i + 1).padStart(12, '0');
    await write(
      `${i ? ',' : ''}{"license":1,"file_name":"${name}.jpg","coco_url":"","height":${height},"width":${width},"date_captured":"2013-11-14 17:02:52","flickr_url":"","id":${i + 1}}`,
    );
  }
  await write('],"annotations":[');
  for (let a = 0; a < options.annotations; a++) {
    // Spread annotations so some images hold several of a category and others one.
    const imageIndex = a < options.images ? a : Math.floor(random() * options.images);
    const [width, height] = sizes[imageIndex] as [number, number];
    const w = 4 + random() * (width / 2);
    const h = 4 + random() * (height / 2);
    const x = random() * (width - w);
    const y = random() * (height - h);
    const polygon: string[] = [];
    for (let k = 0; k < 28; k++) {
      const angle = (2 * Math.PI * k) / 28;
      polygon.push(((x + w / 2 + (w / 2) * Math.cos(angle)) as number).toFixed(2));
      polygon.push(((y + h / 2 + (h / 2) * Math.sin(angle)) as number).toFixed(2));
    }
    const category = 1 + Math.floor(random() * options.categories);
    const iscrowd = random() < 0.01 ? 1 : 0;
    await write(
      `${a ? ',' : ''}{"segmentation":[[${polygon.join(',')}]],"area":${(w * h * 0.78).toFixed(4)},"iscrowd":${iscrowd},"image_id":${imageIndex + 1},"bbox":[${x.toFixed(2)},${y.toFixed(2)},${w.toFixed(2)},${h.toFixed(2)}],"category_id":${category},"id":${a + 1}}`,
    );
  }
  await write('],"categories":[');
  for (let c = 0; c < options.categories; c++) {
    await write(`${c ? ',' : ''}{"supercategory":"thing","id":${c + 1},"name":"category ${c + 1}"}`);
  }
  await write(']}\n');
  out.end(buffer);
  await once(out, 'finish');
  renameSync(tmp, path);
}
