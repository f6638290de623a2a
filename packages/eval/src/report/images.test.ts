import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findPicture, makeThumbnail, pictureCandidates } from './images.js';

describe('where a report looks for a picture', () => {
  const then = { cwd: '/home/ann/project', dir: '/home/ann/project/evout' };

  it('tries the recorded absolute path, the same place relative to a moved run, the run folder, the current folder', () => {
    const candidates = pictureCandidates(
      [
        {
          given: 'world/images/1.png',
          resolved: '/home/ann/project/world/images/1.png',
          context: { runDir: 'moved/evout', runPaths: then },
        },
      ],
      '/data',
    );
    expect(candidates).toEqual([
      '/home/ann/project/world/images/1.png',
      '/data/moved/world/images/1.png',
      '/data/moved/evout/world/images/1.png',
      '/data/world/images/1.png',
    ]);
  });

  it('takes an absolute path as given first, and works for runs made before paths were recorded', () => {
    expect(pictureCandidates([{ given: '/img/1.png', context: { runDir: '/runs/a' } }], '/cwd')).toEqual([
      '/img/1.png',
    ]);
    // An old run: only the given relative path, tried from the run folder and the current folder.
    expect(pictureCandidates([{ given: 'img/1.png', context: { runDir: 'runs/a' } }], '/cwd')).toEqual([
      '/cwd/runs/a/img/1.png',
      '/cwd/img/1.png',
    ]);
    // Several runs of one task: every run's record is tried, without duplicates.
    const two = pictureCandidates(
      [
        { given: 'a.png', resolved: '/x/a.png', context: { runDir: '/r1', runPaths: { cwd: '/x', dir: '/x/r1' } } },
        { given: 'a.png', resolved: '/y/a.png', context: { runDir: '/r2', runPaths: { cwd: '/y', dir: '/y/r2' } } },
      ],
      '/cwd',
    );
    expect(two).toEqual(['/x/a.png', '/y/a.png', '/a.png', '/r1/a.png', '/r2/a.png', '/cwd/a.png']);
  });

  it('finds the first candidate that is a file (not a folder)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pictures-'));
    mkdirSync(join(dir, 'folder.png'));
    writeFileSync(join(dir, 'b.png'), 'x');
    expect(await findPicture([join(dir, 'missing.png'), join(dir, 'folder.png'), join(dir, 'b.png')])).toBe(
      join(dir, 'b.png'),
    );
    expect(await findPicture([join(dir, 'missing.png')])).toBeUndefined();
  });
});

describe('thumbnails', { timeout: 30_000 }, () => {
  const noise = (width: number, height: number) => {
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 5) * 104729) % 251;
    return sharp(pixels, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
  };

  it('keeps the aspect ratio, never enlarges, and shrinks until the data URL fits the byte cap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thumbs-'));
    writeFileSync(join(dir, 'big.png'), await noise(1200, 600));
    writeFileSync(join(dir, 'small.png'), await noise(64, 48));
    const big = await makeThumbnail(join(dir, 'big.png'), { maxSide: 320, maxBytes: 1_000_000 });
    expect([big.width, big.height]).toEqual([320, 160]);
    expect(big.dataUrl.startsWith('data:image/webp;base64,')).toBe(true);
    expect(big.bytes).toBe(big.dataUrl.length);
    const small = await makeThumbnail(join(dir, 'small.png'), { maxSide: 320, maxBytes: 1_000_000 });
    expect([small.width, small.height]).toEqual([64, 48]);
    // Noise does not compress: a tight cap forces smaller sides.
    const capped = await makeThumbnail(join(dir, 'big.png'), { maxSide: 320, maxBytes: big.bytes / 3 });
    expect(capped.bytes).toBeLessThanOrEqual(big.bytes / 3);
    expect(capped.width).toBeLessThan(320);
    expect(capped.width / capped.height).toBeCloseTo(2, 1);
    await expect(makeThumbnail(join(dir, 'big.png'), { maxSide: 320, maxBytes: 60 })).rejects.toThrow(
      /no thumbnail of .*big\.png fits in 60 bytes/,
    );
  });
});
