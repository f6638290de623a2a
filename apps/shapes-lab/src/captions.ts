// Words for a scene, generated from its scene graph: object names that refer to exactly one object, a relational
// caption for the whole scene and one per object (the RevLoc pseudo-caption and the region-description reference).

import type { Predicate, Scene, SceneObject } from './scene.js';

/** "red circle" */
export function categoryName(o: Pick<SceneObject, 'colour' | 'shape'>): string {
  return `${o.colour} ${o.shape}`;
}

/** Objects of the scene sharing `o`'s category (itself included). */
function twins(scene: Scene, o: SceneObject): SceneObject[] {
  return scene.objects.filter((p) => p.colour === o.colour && p.shape === o.shape);
}

/**
 * The shortest name that picks out `o` alone: "red circle" when it is the only one, "small red circle" when its
 * twin differs in size, undefined when even that is ambiguous.
 */
export function referringName(scene: Scene, o: SceneObject): string | undefined {
  const same = twins(scene, o);
  if (same.length === 1) return categoryName(o);
  if (same.filter((p) => p.size === o.size).length === 1) return `${o.size} ${categoryName(o)}`;
  return undefined;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** "a small red circle" */
export function indefinite(o: SceneObject): string {
  return `${article(o.size)} ${o.size} ${categoryName(o)}`;
}

function centre(o: SceneObject): [number, number] {
  return [o.bbox[0] + o.bbox[2] / 2, o.bbox[1] + o.bbox[3] / 2];
}

/** The clearest relation of a to b: horizontal when the boxes are apart horizontally, else vertical. */
export function relationBetween(scene: Scene, a: SceneObject, b: SceneObject): Predicate | undefined {
  const rels = scene.relations.filter((r) => r.subject === a.index && r.object === b.index);
  const horizontal = rels.find((r) => r.predicate === 'left of' || r.predicate === 'right of');
  const vertical = rels.find((r) => r.predicate === 'above' || r.predicate === 'below');
  if (horizontal && vertical) {
    const [ax, ay] = centre(a);
    const [bx, by] = centre(b);
    return Math.abs(ax - bx) >= Math.abs(ay - by) ? horizontal.predicate : vertical.predicate;
  }
  return (horizontal ?? vertical)?.predicate;
}

/**
 * One sentence for the whole scene, objects from left to right, each related to the one before:
 * "A small red circle left of a large blue square, and a small green triangle below the blue square."
 */
export function sceneCaption(scene: Scene): string {
  const order = [...scene.objects].sort((a, b) => centre(a)[0] - centre(b)[0]);
  const parts: string[] = [];
  for (let i = 0; i < order.length; i++) {
    const o = order[i] as SceneObject;
    const prev = order[i - 1];
    if (!prev) {
      parts.push(indefinite(o));
      continue;
    }
    const rel = relationBetween(scene, o, prev);
    const prevName = referringName(scene, prev);
    if (i === 1 && rel) {
      // "a red circle left of a blue square": the first pair reads as one phrase, relation from the first.
      const back = relationBetween(scene, prev, o);
      parts[0] = `${indefinite(prev)} ${back ?? rel} ${indefinite(o)}`;
    } else if (rel && prevName) {
      parts.push(`${indefinite(o)} ${rel} the ${prevName}`);
    } else {
      parts.push(indefinite(o));
    }
  }
  const text = parts.length > 1 ? `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}` : (parts[0] ?? '');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** "a small red circle left of the blue square": the object and its relation to its nearest nameable neighbour. */
export function regionCaption(scene: Scene, o: SceneObject): string {
  const [ox, oy] = centre(o);
  const others = scene.objects
    .filter((p) => p.index !== o.index && referringName(scene, p) !== undefined)
    .sort((p, q) => {
      const [px, py] = centre(p);
      const [qx, qy] = centre(q);
      return Math.hypot(px - ox, py - oy) - Math.hypot(qx - ox, qy - oy);
    });
  for (const p of others) {
    const rel = relationBetween(scene, o, p);
    if (rel) return `${indefinite(o)} ${rel} the ${referringName(scene, p)}`;
  }
  return indefinite(o);
}
