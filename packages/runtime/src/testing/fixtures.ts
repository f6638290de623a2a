// Test helpers: the committed tiny model and deterministic test images (not part of the public API).
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { SeededRandom } from '../onnx/sampling.js';

export const fixturesDir = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const tinyModelDir = fileURLToPath(new URL('../../fixtures/tiny-llava/', import.meta.url));

/** A PNG of seeded noise over a smooth gradient (so resizing has real work to do). */
export async function noisePng(width: number, height: number, seed = 1, channels: 3 | 4 = 3): Promise<Uint8Array> {
  const random = new SeededRandom(seed);
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      data[i] = Math.floor((x / width) * 200 + random.next() * 55);
      data[i + 1] = Math.floor((y / height) * 200 + random.next() * 55);
      data[i + 2] = Math.floor(random.next() * 255);
      if (channels === 4) data[i + 3] = Math.floor(random.next() * 255);
    }
  }
  const png = await sharp(data, { raw: { width, height, channels } }).png().toBuffer();
  return new Uint8Array(png);
}
