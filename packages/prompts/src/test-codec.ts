import type { ImageSize, Location } from '@locvlm/coord-codec';
import type { LocationEncoder } from './records.js';

/**
 * Test-only stand-in for coord-codec's IVB codec (n_b = 224, floor): the builders need only `encode`, so they are
 * tested without coord-codec's implementation (records.codec.test.ts checks they agree).
 */
export const testIvbCodec: LocationEncoder = {
  encode(location: Location, image: ImageSize): string {
    const scaled =
      'box' in location
        ? [
            location.box[0] / image.width,
            location.box[1] / image.height,
            location.box[2] / image.width,
            location.box[3] / image.height,
          ]
        : [location.point[0] / image.width, location.point[1] / image.height];
    if (scaled.some((v) => !(v >= 0 && v <= 1))) throw new Error(`outside the image: ${JSON.stringify(location)}`);
    return `(${scaled.map((v) => Math.floor(224 * v)).join(', ')})`;
  },
};
