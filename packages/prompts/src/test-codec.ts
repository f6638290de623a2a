import type { Codec, ImageSize, Location } from '@locvlm/coord-codec';

/**
 * Test-only stand-in for coord-codec's IVB codec (n_b = 224, floor): enough to test record builders against the
 * Codec interface without depending on its implementation.
 */
export const testIvbCodec: Codec = {
  kind: 'ivb',
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
  decode(): Location[] {
    return [];
  },
};
