import { describe, expect, it } from 'vitest';
import { VideoPoolError } from './errors.js';
import fixture from './fixtures/video-chatgpt-indices.json' with { type: 'json' };
import {
  evenlySpacedTimestamps,
  frameIndexAt,
  LOCVLM_VID_FRAMES,
  roundHalfEven,
  VIDEO_CHATGPT_FRAMES,
  videoChatGptFrameIndices,
} from './sampling.js';

describe('roundHalfEven', () => {
  it('sends ties to the even neighbour like Python round / np.round', () => {
    // (+ 0 folds NumPy's -0.0 for -0.5 into 0; indices are never negative.)
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5].map((x) => roundHalfEven(x) + 0)).toEqual([0, 2, 2, 4, 0, -2, -2]);
  });
  it('rounds non-ties to the nearest integer', () => {
    expect([0.49999999999999994, 0.5000000000000001, 1.25, 2.75, -1.25, 7].map(roundHalfEven)).toEqual([
      0, 1, 1, 3, -1, 7,
    ]);
  });
});

describe('videoChatGptFrameIndices', () => {
  it('matches NumPy for every case in the fixture (scripts/video-chatgpt-indices.py)', () => {
    expect(fixture.cases.length).toBeGreaterThan(100);
    for (const { total, max, indices } of fixture.cases) {
      expect(videoChatGptFrameIndices(total, max), `total ${total}, max ${max}`).toEqual(indices);
    }
  });

  it('depends on half-to-even rounding (Math.round would give [0, 2, 3, 4] for 6 frames, 4 wanted)', () => {
    // seg = 1.25: round(2.5) is 2 in Python, so frame 1 is (1 + 2) // 2 = 1.
    expect(videoChatGptFrameIndices(6, 4)).toEqual([0, 1, 3, 4]);
  });

  it('takes min(N, n) frames: a 5-frame video gives 5 indices, with a repeat, as Video-ChatGPT does', () => {
    expect(videoChatGptFrameIndices(5)).toEqual([0, 1, 2, 2, 3]);
    expect(videoChatGptFrameIndices(1, LOCVLM_VID_FRAMES)).toEqual([0]);
    expect(videoChatGptFrameIndices(2, LOCVLM_VID_FRAMES)).toEqual([0, 0]);
  });

  it('defaults to 100 frames and spreads them over the video', () => {
    const indices = videoChatGptFrameIndices(1000);
    expect(VIDEO_CHATGPT_FRAMES).toBe(100);
    expect(indices).toHaveLength(100);
    expect(indices[0]).toBe(5);
    expect(indices.at(-1)).toBe(994);
  });

  it('rejects counts that are not positive integers', () => {
    expect(() => videoChatGptFrameIndices(0)).toThrow(VideoPoolError);
    expect(() => videoChatGptFrameIndices(10, 0)).toThrow(/maxFrames/);
    expect(() => videoChatGptFrameIndices(2.5)).toThrow(/totalFrames/);
  });
});

describe('evenlySpacedTimestamps', () => {
  it('puts timestamps at the centres of equal slices', () => {
    expect(evenlySpacedTimestamps(8, 4)).toEqual([1, 3, 5, 7]);
    expect(evenlySpacedTimestamps(10, 1)).toEqual([5]);
  });
  it('rejects a non-positive duration or count', () => {
    expect(() => evenlySpacedTimestamps(0, 4)).toThrow(/durationSeconds/);
    expect(() => evenlySpacedTimestamps(5, 0)).toThrow(/count/);
  });
});

describe('frameIndexAt', () => {
  it('maps a time to the frame shown then, clamped to the video', () => {
    expect(frameIndexAt(0, 25, 100)).toBe(0);
    expect(frameIndexAt(0.04, 25, 100)).toBe(1);
    // 0.3 * 10 = 2.9999999999999996 in doubles: still frame 3.
    expect(frameIndexAt(0.3, 10, 100)).toBe(3);
    expect(frameIndexAt(0.039, 25, 100)).toBe(0);
    expect(frameIndexAt(1000, 25, 100)).toBe(99);
  });
  it('rejects negative times and bad rates', () => {
    expect(() => frameIndexAt(-1, 25, 10)).toThrow(/timestamp/);
    expect(() => frameIndexAt(1, 0, 10)).toThrow(/frameRate/);
  });
});
