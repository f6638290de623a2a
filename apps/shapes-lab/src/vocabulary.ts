// The world's vocabulary. A COCO category is a colour+shape combination ("red circle"): that is what a referring
// expression names, so "single instance" means the only red circle in the scene (a green circle may be there too),
// and NegPred can ask for a red circle in a scene holding a red square and a green circle: absence that only
// binding colour to shape can tell. Size is an attribute of each annotation, never part of the category.

export const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple'] as const;
export const SIZES = ['small', 'large'] as const;

export type Shape = (typeof SHAPES)[number];
export type Colour = (typeof COLOURS)[number];
export type Size = (typeof SIZES)[number];

/** Hue, saturation and lightness ranges each colour is drawn from (jittered per object). */
export const COLOUR_HSL: Record<Colour, { hue: [number, number]; sat: [number, number]; light: [number, number] }> = {
  red: { hue: [-6, 6], sat: [75, 90], light: [44, 52] },
  green: { hue: [115, 135], sat: [60, 75], light: [36, 44] },
  blue: { hue: [215, 230], sat: [75, 90], light: [45, 55] },
  yellow: { hue: [50, 56], sat: [90, 100], light: [50, 58] },
  purple: { hue: [280, 295], sat: [55, 70], light: [42, 50] },
};

export interface Category {
  id: number;
  /** "red circle" */
  name: string;
  /** The shape, COCO's supercategory slot. */
  supercategory: Shape;
  shape: Shape;
  colour: Colour;
}

/** The 20 categories, ids 1..20 in colour-major order. */
export const CATEGORIES: readonly Category[] = COLOURS.flatMap((colour, ci) =>
  SHAPES.map((shape, si) => ({
    id: ci * SHAPES.length + si + 1,
    name: `${colour} ${shape}`,
    supercategory: shape,
    shape,
    colour,
  })),
);

export function categoryOf(colour: Colour, shape: Shape): Category {
  const found = CATEGORIES.find((c) => c.colour === colour && c.shape === shape);
  if (!found) throw new RangeError(`no category for ${colour} ${shape}`);
  return found;
}
