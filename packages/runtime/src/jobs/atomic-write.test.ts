import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'locvlm-atomic-'));
    const path = join(dir, 'data.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, '{"new":true}');
    expect(await readFile(path, 'utf8')).toBe('{"new":true}');
    expect(await readdir(dir)).toEqual(['data.json']);
  });

  it('creates missing folders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'locvlm-atomic-'));
    await writeFileAtomic(join(dir, 'a', 'b', 'c.bin'), new Uint8Array([1, 2, 3]));
    expect([...(await readFile(join(dir, 'a', 'b', 'c.bin')))]).toEqual([1, 2, 3]);
  });
});
