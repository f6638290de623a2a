// Video objects (paper Appendix D): from pseudo boxes on 8 uniformly sampled frames, keep objects seen in one frame
// or static (box centre within 5 px of its mean over the frames it appears in), with the box averaged over frames.
import type { Box } from '@locvlm/coord-codec';

/** What is known about one sampled frame: its objects, and (when exhaustive, e.g. panoptic) its absent categories. */
export interface FrameAnnotations {
  objects: ReadonlyArray<{ categoryId: number; box: Box }>;
  absentCategoryIds?: readonly number[];
}

/** An object tracked over a video's frames, with its averaged box. */
export interface VideoObject {
  categoryId: number;
  /** Mean of the boxes over the frames the object appears in. */
  box: Box;
  /** Indices (into the sampled frames) where it appears. */
  frames: number[];
}

/** The objects found in a video and the categories absent from it. */
export interface VideoObjectsResult {
  /** Static or single-frame objects, ascending category id. */
  objects: VideoObject[];
  /** Categories left out: several instances in a frame, or moving. */
  dropped: Array<{ categoryId: number; reason: 'repeated-category' | 'moving' }>;
  /** Categories seen in no frame (exhaustive when every frame lists its absent categories). */
  absentCategoryIds: number[];
}

/**
 * Tracks are formed per category, which is only unambiguous when the category occurs at most once in every frame
 * (the image pipeline's unique-instance rule); categories with several instances in a frame are dropped.
 * `staticRadius` is the paper's 5 px.
 */
export function videoObjects(
  frames: readonly FrameAnnotations[],
  allCategoryIds: readonly number[],
  options: { staticRadius?: number } = {},
): VideoObjectsResult {
  const radius = options.staticRadius ?? 5;
  const tracks = new Map<number, Array<{ frame: number; box: Box }>>();
  const repeated = new Set<number>();
  frames.forEach((frame, f) => {
    const seen = new Set<number>();
    for (const object of frame.objects) {
      if (seen.has(object.categoryId)) repeated.add(object.categoryId);
      seen.add(object.categoryId);
      let track = tracks.get(object.categoryId);
      if (track === undefined) {
        track = [];
        tracks.set(object.categoryId, track);
      }
      track.push({ frame: f, box: object.box });
    }
  });
  const objects: VideoObject[] = [];
  const dropped: VideoObjectsResult['dropped'] = [];
  for (const categoryId of [...tracks.keys()].sort((a, b) => a - b)) {
    const track = tracks.get(categoryId) ?? [];
    if (repeated.has(categoryId)) {
      dropped.push({ categoryId, reason: 'repeated-category' });
      continue;
    }
    const n = track.length;
    const mean: Box = [0, 0, 0, 0];
    for (const { box } of track) for (let k = 0; k < 4; k++) mean[k] = (mean[k] as number) + (box[k] as number) / n;
    const cx = (mean[0] + mean[2]) / 2;
    const cy = (mean[1] + mean[3]) / 2;
    const isStatic = track.every(
      ({ box }) => Math.hypot((box[0] + box[2]) / 2 - cx, (box[1] + box[3]) / 2 - cy) <= radius,
    );
    if (n > 1 && !isStatic) {
      dropped.push({ categoryId, reason: 'moving' });
      continue;
    }
    objects.push({ categoryId, box: mean, frames: track.map((t) => t.frame) });
  }
  const present = new Set(tracks.keys());
  let absent = allCategoryIds.filter((id) => !present.has(id));
  // Where frames are exhaustive about absence, a category counts as absent only if every frame says so.
  if (frames.length > 0 && frames.every((f) => f.absentCategoryIds !== undefined)) {
    const inAll = frames.map((f) => new Set(f.absentCategoryIds));
    absent = absent.filter((id) => inAll.every((s) => s.has(id)));
  }
  return { objects, dropped, absentCategoryIds: absent.sort((a, b) => a - b) };
}
