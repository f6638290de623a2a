import { describe, expect, it } from 'vitest';
import { dragToImageBox, imageToDisplayBox, isUsableBox } from './geometry.js';

describe('dragToImageBox', () => {
  it('orders corners, clips to the display and scales to image pixels', () => {
    const box = dragToImageBox({ x: 120, y: 90 }, { x: -10, y: 10 }, { width: 100, height: 80 }, { x: 4, y: 4 });
    expect(box).toEqual([0, 40, 400, 320]);
  });
  it('round-trips through display pixels', () => {
    const scale = { x: 2.5, y: 2.5 };
    expect(imageToDisplayBox([10, 20, 250, 100], scale)).toEqual([4, 8, 100, 40]);
  });
  it('refuses a click as a box', () => {
    expect(isUsableBox([5, 5, 6, 40])).toBe(false);
    expect(isUsableBox([5, 5, 9, 40])).toBe(true);
  });
});
