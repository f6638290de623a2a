import { describe, expect, it } from 'vitest';
import { videoObjects } from './video-objects.js';

describe('videoObjects (Appendix D)', () => {
  const all = [1, 2, 3, 4, 5];
  it('keeps static and single-frame objects with the averaged box, drops moving and repeated ones', () => {
    const result = videoObjects(
      [
        {
          objects: [
            { categoryId: 1, box: [10, 10, 20, 20] },
            { categoryId: 2, box: [0, 0, 10, 10] },
            { categoryId: 4, box: [50, 50, 60, 60] },
          ],
        },
        {
          objects: [
            { categoryId: 1, box: [12, 10, 22, 20] },
            { categoryId: 2, box: [30, 0, 40, 10] },
          ],
        },
        {
          objects: [
            { categoryId: 1, box: [14, 10, 24, 20] },
            { categoryId: 3, box: [5, 5, 6, 6] },
            { categoryId: 3, box: [7, 7, 9, 9] },
          ],
        },
      ],
      all,
    );
    expect(result.objects).toEqual([
      { categoryId: 1, box: [12, 10, 22, 20], frames: [0, 1, 2] },
      { categoryId: 4, box: [50, 50, 60, 60], frames: [0] },
    ]);
    expect(result.dropped).toEqual([
      { categoryId: 2, reason: 'moving' },
      { categoryId: 3, reason: 'repeated-category' },
    ]);
    expect(result.absentCategoryIds).toEqual([5]);
  });

  it('uses exactly 5 px as the static radius', () => {
    const frames = (dx: number) => [
      { objects: [{ categoryId: 1, box: [0, 0, 10, 10] as [number, number, number, number] }] },
      { objects: [{ categoryId: 1, box: [dx, 0, 10 + dx, 10] as [number, number, number, number] }] },
    ];
    expect(videoObjects(frames(10), all).objects).toHaveLength(1); // centres 5 px from the mean
    expect(videoObjects(frames(10.5), all).objects).toHaveLength(0);
  });

  it('with exhaustive frames, absent means absent from every frame', () => {
    const result = videoObjects(
      [
        { objects: [], absentCategoryIds: [2, 3, 4, 5] },
        { objects: [], absentCategoryIds: [3, 4] },
      ],
      all,
    );
    expect(result.absentCategoryIds).toEqual([3, 4]);
  });
});
