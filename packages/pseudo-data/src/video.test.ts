import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Detection, Detector, RgbImage } from './detector.js';
import { buildVideoData, type FrameExtractor } from './video.js';

/** Frame i of a synthetic clip: a still cat-coloured circle and a dog-coloured square moving 12 px per frame. */
async function frame(i: number): Promise<RgbImage & { frameIndex: number; timestamp: number }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="64"><rect width="96" height="64" fill="#ddd"/>
    <circle cx="20" cy="20" r="10" fill="#e80"/><rect x="${4 + 12 * (i % 6)}" y="40" width="16" height="16" fill="#630"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, frameIndex: i * 10, timestamp: i / 3 };
}

/** Stands in for CenterNet with what it should see in the clip (the real detector is tested in detector.test.ts). */
function scriptedDetector(calls: { objects: number; faces: number }): Detector {
  let n = 0;
  return {
    async detectObjects(): Promise<Detection[]> {
      const i = n++ % 8;
      calls.objects++;
      const still: Detection = { box: [10 + (i % 2), 10, 30 + (i % 2), 30], label: 'cat', score: 0.9 };
      const moving: Detection = { box: [4 + 12 * (i % 6), 40, 20 + 12 * (i % 6), 56], label: 'dog', score: 0.8 };
      return i === 3 ? [still, moving, { box: [60, 2, 70, 12], label: 'clock', score: 0.5 }] : [still, moving];
    },
    async detectFaces() {
      calls.faces++;
      // Two faces in the third frame: counted per written frame in stats.json.
      return calls.faces === 3
        ? [
            { box: [2, 2, 12, 12], label: 'face', score: 0.9 },
            { box: [70, 30, 80, 40], label: 'face', score: 0.8 },
          ]
        : [];
    },
    async close() {},
  };
}

describe('video data (Appendix D)', () => {
  it('keeps static and one-frame objects with averaged boxes, writes blurred frames and video records', async () => {
    const out = mkdtempSync(join(tmpdir(), 'video-'));
    const extractFrames: FrameExtractor = async (_file, { count }) => ({
      frames: await Promise.all(Array.from({ length: count }, (_, i) => frame(i))),
    });
    const calls = { objects: 0, faces: 0 };
    const codec = createCodec({ kind: 'ivb', bins: 224 });
    const result = await buildVideoData({
      videos: ['/videos/a/clip1.mp4'],
      videosRoot: '/videos',
      extractFrames,
      detector: scriptedDetector(calls),
      outDir: out,
      codec,
      seed: 5,
    });
    expect(calls).toEqual({ objects: 8, faces: 8 }); // every written frame went through the face detector
    expect(result.stats).toEqual({
      videos: 1,
      records: 2,
      objects: 2,
      dropped: { 'repeated-category': 0, moving: 1 },
      negatives: 1,
      blurredFaces: {
        images: 8,
        faces: 2,
        imagesWithFaces: 1,
        perImage: Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [`frames/a/clip1/0${i}.jpg`, i === 2 ? 2 : 0] as const),
        ),
      },
    });
    expect(existsSync(join(out, 'frames/a/clip1/07.jpg'))).toBe(true);
    const records = JSON.parse(readFileSync(result.dataFile, 'utf8'));
    expect(records.map((r: { id: string }) => r.id)).toEqual(['a/clip1.mp4:locpred', 'a/clip1.mp4:revloc']);
    expect(records[0].video).toBe('a/clip1.mp4');
    expect(records[0].frames).toHaveLength(8);
    const text = JSON.stringify(records);
    // The cat's box jitters by 1 px: averaged to (10.5, 10, 30.5, 30).
    expect(text).toContain(codec.encode({ box: [10.5, 10, 30.5, 30] }, { width: 96, height: 64 }));
    expect(text).toContain('described clock');
    expect(text).not.toContain('described dog');
    expect(text).toContain('<video>');

    // A second run reads every video from the run file: nothing is decoded or detected again.
    const firstBytes = readFileSync(result.dataFile, 'utf8');
    const again = await buildVideoData({
      videos: ['/videos/a/clip1.mp4'],
      videosRoot: '/videos',
      extractFrames: () => Promise.reject(new Error('should not decode')),
      detector: scriptedDetector(calls),
      outDir: out,
      codec,
      seed: 5,
    });
    expect(readFileSync(again.dataFile, 'utf8')).toBe(firstBytes);
    expect(calls.objects).toBe(8);
  });
});
