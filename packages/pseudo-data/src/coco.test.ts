import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { PseudoDataError } from './errors.js';
import { readTopLevelArrayElements } from './json-elements.js';

const fixture = new URL('../fixtures/instances.json', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pseudo-data-coco-'));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<PseudoDataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PseudoDataError);
  return error as PseudoDataError;
}

describe('readCocoInstances', () => {
  it('reads the fixture: images, annotations without masks, categories', async () => {
    const data = await readCocoInstances(fixture);
    expect(data.images.map((i) => i.id)).toEqual([101, 102, 103, 104]);
    expect(data.annotations).toHaveLength(9);
    expect(data.annotations[0]).toEqual({
      id: 1001,
      image_id: 101,
      category_id: 3,
      bbox: [10, 20, 40, 40],
      iscrowd: 0,
      area: 1600,
    });
    expect(data.annotations.find((a) => a.id === 1006)?.iscrowd).toBe(1);
    expect(data.categories.map((c) => c.name)).toContain('stop sign');
  });

  it('gives the same result whatever the chunk size (elements split across reads)', async () => {
    const text = JSON.stringify({
      info: { note: 'brackets ] } [ { and "quotes" in strings', nested: [[1, 2], { a: [3] }] },
      images: [{ id: 1, file_name: 'é "x" ].jpg', width: 10, height: 10 }],
      annotations: [
        {
          id: 1,
          image_id: 1,
          category_id: 1,
          bbox: [0, 0, 1, 1],
          iscrowd: 0,
          segmentation: { counts: 'a\\"]', size: [1] },
        },
      ],
      categories: [{ id: 1, name: 'ünï' }],
    });
    const file = write('tricky.json', text);
    for (const skip of [new Set<string>(), new Set(['segmentation', 'file_name'])]) {
      const all: string[] = [];
      for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
        const elements: string[] = [];
        for await (const batch of readTopLevelArrayElements(file, new Set(['images', 'annotations', 'categories']), {
          chunkSize: size,
          skipMembers: skip,
        })) {
          for (const e of batch) elements.push(`${e.key}[${e.index}]=${e.text}`);
        }
        all.push(elements.join('|'));
      }
      expect(new Set(all).size).toBe(1);
      const parsed = (all[0] ?? '').split('|').map((e) => JSON.parse(e.slice(e.indexOf('=') + 1)));
      expect(parsed[1].segmentation).toEqual(skip.size ? null : { counts: 'a\\"]', size: [1] });
      expect(parsed[0].file_name).toEqual(skip.size ? null : 'é "x" ].jpg');
    }
    const data = await readCocoInstances(file);
    expect(data.images[0]?.file_name).toBe('é "x" ].jpg');
    expect(data.categories[0]?.name).toBe('ünï');
  });

  it('names the file, line and JSON path of a bad value', async () => {
    const original = JSON.parse(readFileSync(fixture, 'utf8'));
    original.annotations[4].bbox[2] = -3;
    const file = write('bad-bbox.json', JSON.stringify(original, null, 1));
    const error = await failure(readCocoInstances(file));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain(file);
    expect(error.message).toContain('annotations[4].bbox[2]');
    expect(error.message).toContain('-3');
    expect(error.message).toMatch(/:\d+: /);
  });

  it('reports a missing field and invalid JSON inside an element', async () => {
    const missing = write(
      'missing.json',
      '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],"annotations":[{"id":1,"image_id":1,"bbox":[0,0,1,1]}],"categories":[{"id":1,"name":"a"}]}',
    );
    expect((await failure(readCocoInstances(missing))).message).toContain('annotations[0].category_id');
    const syntax = write(
      'syntax.json',
      '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],\n"annotations":[{"id":1,"image_id":1 "category_id":1}],"categories":[]}',
    );
    const error = await failure(readCocoInstances(syntax));
    expect(error.message).toContain('annotations[0] is not valid JSON');
    expect(error.message).toContain(`${syntax}:2:`);
  });

  it('refuses truncated files, non-objects and dangling references', async () => {
    const text = readFileSync(fixture, 'utf8');
    const truncated = write('truncated.json', text.slice(0, Math.floor(text.length * 0.6)));
    expect((await failure(readCocoInstances(truncated))).message).toMatch(/truncated/);
    expect((await failure(readCocoInstances(write('array.json', '[1,2]')))).message).toMatch(/one JSON object/);
    expect((await failure(readCocoInstances(write('empty.json', '')))).message).toMatch(/empty/);
    const original = JSON.parse(text);
    original.annotations[2].image_id = 999;
    const dangling = write('dangling.json', JSON.stringify(original));
    expect((await failure(readCocoInstances(dangling))).message).toContain(
      'annotations[2].image_id 999 names no image',
    );
    const noImages = write('no-images.json', '{"annotations":[],"categories":[]}');
    expect((await failure(readCocoInstances(noImages))).message).toContain('missing the top-level "images"');
  });

  it('reports a missing file as IO', async () => {
    const error = await failure(readCocoInstances(join(dir, 'nope.json')));
    expect(error.code).toBe('IO');
    expect(error.message).toContain('nope.json');
  });
});

describe('readTopLevelArrayElements on random JSON', () => {
  it('yields exactly the array elements JSON.parse sees, whatever the chunk size, skipped members as null', async () => {
    const fc = (await import('fast-check')).default;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.jsonValue(),
            fc.dictionary(
              fc.constantFrom('a', 'skip', 'b"]', 'é✓'),
              fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' })),
            ),
          ),
          { maxLength: 6 },
        ),
        fc.jsonValue(),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (elements, other, chunkSize, pretty) => {
          const file = write(
            `random-${run++}.json`,
            JSON.stringify({ other, list: elements, after: other }, null, pretty ? 2 : 0),
          );
          const got: unknown[] = [];
          for await (const batch of readTopLevelArrayElements(file, new Set(['list']), {
            chunkSize,
            skipMembers: new Set(['skip']),
          })) {
            for (const e of batch) got.push(JSON.parse(e.text));
          }
          const want = JSON.parse(JSON.stringify(elements)).map((e: unknown) =>
            e !== null && typeof e === 'object' && !Array.isArray(e) && 'skip' in e ? { ...e, skip: null } : e,
          );
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 120 },
    );
  }, 60_000);
});

describe('checkReferences', () => {
  it('names the second use of an annotation id', async () => {
    const original = JSON.parse(readFileSync(fixture, 'utf8'));
    original.annotations[6].id = original.annotations[2].id;
    const file = write('dup.json', JSON.stringify(original));
    expect((await failure(readCocoInstances(file))).message).toContain(
      `annotations[6].id ${original.annotations[2].id} is used twice`,
    );
  });
});

describe('top-level arrays', () => {
  it('accepts empty arrays and names a missing one', async () => {
    const empty = await readCocoInstances(write('empty-arrays.json', '{"images":[],"annotations":[],"categories":[]}'));
    expect(empty).toEqual({ images: [], annotations: [], categories: [] });
    const error = await failure(readCocoInstances(write('no-annotations.json', '{"images":[],"categories":[]}')));
    expect(error.message).toContain('missing the top-level "annotations" array');
  });
});
