import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { cocoImages, imagesFromCoco } from './objects.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;

describe('cocoImages', () => {
  it('yields exactly the images imagesFromCoco builds, any number of times', async () => {
    const coco = await readCocoInstances(join(fixtures, 'instances.json'));
    // Shuffle annotations so grouping by image is exercised.
    coco.annotations.reverse();
    const lazy = cocoImages(coco);
    expect(lazy.length).toBe(4);
    expect([...lazy]).toEqual(imagesFromCoco(coco));
    expect([...lazy]).toEqual(imagesFromCoco(coco));
  });
});
