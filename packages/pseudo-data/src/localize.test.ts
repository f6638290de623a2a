import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCocoInstances } from './coco.js';
import { type LocalizeSource, localizeInstructRecords, writeLocalizeInstruct } from './localize.js';
import { type AnnotatedImage, imagesFromCoco } from './objects.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const codec = createCodec({ kind: 'ivb', bins: 224 });

async function fixtureSource(): Promise<LocalizeSource> {
  const coco = await readCocoInstances(join(fixtures, 'instances.json'));
  return { images: imagesFromCoco(coco), categories: coco.categories };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'localize-'));

describe('Localize-Instruct on the fixture', () => {
  it('uses unique instances only, one NegPred per image, image paths under the images root', async () => {
    const source = await fixtureSource();
    const out = tmp();
    const { stats, dataFile, statsFile } = await writeLocalizeInstruct(source, {
      codec,
      seed: 7,
      outDir: out,
      imagesDir: join(fixtures, 'images'),
      imagesRoot: fixtures,
    });
    const records = JSON.parse(readFileSync(dataFile, 'utf8'));
    expect(records.map((r: { id: string }) => r.id)).toEqual([
      '101:locpred',
      '101:revloc',
      '102:locpred',
      '102:revloc',
      '103:locpred',
      '103:revloc',
      '104:locpred',
    ]);
    expect(records[0].image).toBe('images/cat-and-two-dogs.png');
    expect(records[0].conversations[0].value.startsWith('<image>\n')).toBe(true);
    const text = JSON.stringify(records);
    expect(text).toContain('described cat ');
    expect(text).not.toContain('described dog located'); // two dogs in 101: dog is never a LocPred target there
    expect(stats.questions).toEqual({ locpred: 4, negpred: 4, revloc: 4 });
    expect(stats.skipped).toEqual({ 'repeated-category': 3, crowd: 1, 'empty-box': 1, 'no-caption': 0 });
    expect(stats.categories.cat).toMatchObject({ locpred: 1, revloc: 1 });
    expect(stats.records).toBe(7);
    expect(JSON.parse(readFileSync(statsFile, 'utf8'))).toEqual(stats);
    // 104 has no objects: its one record is a single NegPred question.
    expect(records[6].conversations).toHaveLength(2);
    expect(records[6].conversations[1].value).toBe('There is no such object in the image');
  }, 30_000);

  it('is deterministic for a seed, and the seed matters', async () => {
    const source = await fixtureSource();
    const run = async (seed: number, format: 'json' | 'jsonl') => {
      const out = tmp();
      const { dataFile } = await writeLocalizeInstruct(source, {
        codec,
        seed,
        outDir: out,
        format,
        negativesPerImage: 3,
      });
      return readFileSync(dataFile, 'utf8');
    };
    expect(await run(1, 'json')).toBe(await run(1, 'json'));
    expect(await run(1, 'json')).not.toBe(await run(2, 'json'));
    const jsonl = await run(1, 'jsonl');
    expect(
      jsonl
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(JSON.parse(await run(1, 'json')));
  }, 30_000);

  it('builds only the objectives asked for; points use the box centre', async () => {
    const source = await fixtureSource();
    const negOnly = [...localizeInstructRecords(source, { codec, seed: 1, objectives: ['negpred'] })];
    expect(negOnly.map((r) => r.id)).toEqual(['101:locpred', '102:locpred', '103:locpred', '104:locpred']);
    for (const r of negOnly) expect(r.conversations[1]?.value).toBe('There is no such object in the image');
    const points = [...localizeInstructRecords(source, { codec, seed: 1, repr: 'point', objectives: ['locpred'] })];
    const cat = points[0]?.conversations.find((t) => t.value.includes('described cat'));
    expect(cat?.value).toContain('(cx,cy) point');
    const answer = points[0]?.conversations[(points[0]?.conversations.indexOf(cat as never) ?? 0) + 1]?.value;
    expect(answer).toBe(`It is located at ${codec.encode({ point: [30, 40] }, { width: 160, height: 120 })}`);
  }, 30_000);

  it('uses captions in place of category names', async () => {
    const source = await fixtureSource();
    const captions = new Map([[1001, 'An orange round cat on the left.']]);
    const records = [...localizeInstructRecords(source, { codec, seed: 1, captions, negativesPerImage: 0 })];
    expect(records.map((r) => r.id)).toEqual(['101:locpred', '101:revloc']);
    expect(records[0]?.conversations[0]?.value).toContain('An orange round cat on the left');
    expect(records[1]?.conversations[1]?.value).toBe('An orange round cat on the left.');
  }, 30_000);

  it('leaves nothing behind when a build fails', async () => {
    const source = await fixtureSource();
    const broken: LocalizeSource = {
      images: source.images,
      categories: source.categories.filter((c) => c.name !== 'cat'),
    };
    const out = tmp();
    await expect(writeLocalizeInstruct(broken, { codec, seed: 1, outDir: out })).rejects.toThrow(
      /category id \d+ is not/,
    );
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, 'stats.json'))).toBe(false);
  }, 30_000);

  it('asks NegPred about the categories a chooser picks, and refuses a chooser that picks a present one', async () => {
    const source = await fixtureSource();
    const seen: Array<{ image: number; absent: readonly number[]; count: number }> = [];
    const records = [
      ...localizeInstructRecords(source, {
        codec,
        seed: 3,
        objectives: ['negpred'],
        negativesPerImage: 2,
        // The highest absent id, only one: fewer than asked for is allowed.
        chooseNegatives: ({ image, absentCategoryIds, count }) => {
          seen.push({ image: image.id, absent: absentCategoryIds, count });
          return absentCategoryIds.slice(-1);
        },
      }),
    ];
    expect(seen[0]).toEqual({ image: 101, absent: [1, 5, 7, 9], count: 2 });
    expect(seen.map((s) => s.image)).toEqual([101, 102, 103, 104]);
    const asked = records.map((r) => r.conversations.filter((t) => t.from === 'human').map((t) => t.value));
    expect(asked).toHaveLength(4);
    // 101 and 102 lack stop sign (9); 103 has it and lacks apple (5); 104 lacks everything.
    expect(asked.map((questions) => questions.length)).toEqual([1, 1, 1, 1]);
    expect(asked[0]?.[0]).toContain('stop sign');
    expect(asked[2]?.[0]).toContain('apple');
    const build = (chooseNegatives: () => number[]) => [
      ...localizeInstructRecords(source, { codec, seed: 3, objectives: ['negpred'], chooseNegatives }),
    ];
    expect(() => build(() => [3])).toThrow(/image 101 .*category id 3, which is not absent/);
    expect(() => build(() => [1, 5])).toThrow(/returned 2 ids, at most 1/);
  });

  it('gives a chooser the seeded negatives stream, so a random chooser is deterministic', async () => {
    const source = await fixtureSource();
    const run = (seed: number) =>
      JSON.stringify([
        ...localizeInstructRecords(source, {
          codec,
          seed,
          objectives: ['negpred'],
          chooseNegatives: ({ absentCategoryIds, rng }) => [rng.pick(absentCategoryIds)],
        }),
      ]);
    expect(run(5)).toBe(run(5));
    expect(new Set([1, 2, 3, 4, 5, 6].map(run)).size).toBeGreaterThan(1);
  });

  it('refuses an images folder outside the images root', async () => {
    const source = await fixtureSource();
    expect(() => [...localizeInstructRecords(source, { codec, seed: 1, imagesDir: '/a/b', imagesRoot: '/c' })]).toThrow(
      /not inside the images root/,
    );
  }, 30_000);
});

// Random images: categories named c0..c9 (so the question names its object), boxes inside the image.
const imageArb = fc
  .record({
    width: fc.integer({ min: 8, max: 2000 }),
    height: fc.integer({ min: 8, max: 2000 }),
    objects: fc.array(
      fc.record({
        category: fc.integer({ min: 0, max: 9 }),
        crowd: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        a: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        b: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
      }),
      { maxLength: 8 },
    ),
  })
  .map(
    ({ width, height, objects }): AnnotatedImage => ({
      id: 1,
      file: 'x.jpg',
      width,
      height,
      objects: objects.map((o, i) => ({
        id: i + 1,
        categoryId: o.category,
        crowd: o.crowd,
        box: [
          Math.min(o.a[0], o.b[0]) * width,
          Math.min(o.a[1], o.b[1]) * height,
          Math.max(o.a[0], o.b[0]) * width,
          Math.max(o.a[1], o.b[1]) * height,
        ],
      })),
    }),
  );
const categories = Array.from({ length: 10 }, (_, i) => ({ id: i, name: `c${i}` }));

describe('Localize-Instruct properties', () => {
  const codecs = [
    { codec: createCodec({ kind: 'ivb', bins: 224 }), halfBin: (size: number) => size / 224 / 2 },
    { codec: createCodec({ kind: 'ivb', bins: 32 }), halfBin: (size: number) => size / 32 / 2 },
    { codec: createCodec({ kind: 'nfp' }), halfBin: (size: number) => size * 0.00005 },
  ];

  it('every LocPred target decodes back to its annotation within half a bin', () => {
    fc.assert(
      fc.property(
        imageArb,
        fc.integer(),
        fc.constantFrom(0, 1, 2),
        fc.constantFrom('box', 'point'),
        (image, seed, c, repr) => {
          const { codec: chosen, halfBin } = codecs[c] as (typeof codecs)[number];
          const records = [
            ...localizeInstructRecords(
              { images: [image], categories },
              { codec: chosen, seed, repr: repr as 'box' | 'point' },
            ),
          ];
          const size = { width: image.width, height: image.height };
          for (const record of records.filter((r) => r.id.endsWith(':locpred'))) {
            for (let t = 0; t < record.conversations.length; t += 2) {
              const question = record.conversations[t]?.value ?? '';
              const answer = record.conversations[t + 1]?.value ?? '';
              if (!answer.startsWith('It is located at ')) continue;
              const name = /described (c\d)\b/.exec(question)?.[1];
              const object = image.objects.find((o) => `c${o.categoryId}` === name);
              expect(object).toBeDefined();
              const [x1, y1, x2, y2] = object?.box ?? [0, 0, 0, 0];
              const decoded = chosen.decode(answer, size)[0];
              const want = repr === 'box' ? [x1, y1, x2, y2] : [(x1 + x2) / 2, (y1 + y2) / 2];
              const got = decoded && ('box' in decoded ? decoded.box : decoded.point);
              expect(got).toHaveLength(want.length);
              want.forEach((v, k) => {
                const limit = halfBin(k % 2 === 0 ? image.width : image.height) + 1e-9;
                expect(Math.abs((got?.[k] ?? Number.NaN) - v)).toBeLessThanOrEqual(limit);
              });
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 30_000);

  it('every NegPred object is absent from its image', () => {
    fc.assert(
      fc.property(imageArb, fc.integer(), fc.integer({ min: 0, max: 12 }), (image, seed, negatives) => {
        const records = [
          ...localizeInstructRecords({ images: [image], categories }, { codec, seed, negativesPerImage: negatives }),
        ];
        const present = new Set(image.objects.map((o) => `c${o.categoryId}`));
        let count = 0;
        for (const record of records) {
          for (let t = 0; t < record.conversations.length; t += 2) {
            if (record.conversations[t + 1]?.value !== 'There is no such object in the image') continue;
            const name = /described (c\d)\b/.exec(record.conversations[t]?.value ?? '')?.[1];
            expect(name).toBeDefined();
            expect(present.has(name as string)).toBe(false);
            count++;
          }
        }
        expect(count).toBe(Math.min(negatives, 10 - present.size));
      }),
      { numRuns: 200 },
    );
  }, 30_000);
});

describe('agreement with @locvlm/prompts', () => {
  it('writes the records prompts.localizeInstructRecords builds for the same image', async () => {
    const { localizeInstructRecords: promptsRecords } = await import('@locvlm/prompts');
    const { selectUniqueObjects, absentCategoryIds } = await import('./objects.js');
    const { createRng } = await import('@locvlm/prompts');
    fc.assert(
      fc.property(imageArb, fc.integer(), fc.constantFrom('box', 'point'), (image, seed, repr) => {
        const ours = [
          ...localizeInstructRecords({ images: [image], categories }, { codec, seed, repr: repr as 'box' | 'point' }),
        ];
        const unique = selectUniqueObjects(image);
        const absent = absentCategoryIds(
          image,
          categories.map((c) => c.id),
        );
        const negatives = createRng(seed, '1', 'negatives')
          .sample(absent, Math.min(1, absent.length))
          .map((id) => `c${id}`);
        const theirs = promptsRecords({
          key: '1',
          image: 'x.jpg',
          imageSize: { width: image.width, height: image.height },
          objects: unique.map((o) => ({ description: { category: `c${o.categoryId}` }, location: { box: o.box } })),
          negatives,
          codec,
          seed,
          shape: repr as 'box' | 'point',
        });
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});

describe('location frames', () => {
  it('writes locations in a transformed frame (LLaVA-1.5 pad-to-square)', async () => {
    const { padToSquare } = await import('@locvlm/coord-codec');
    const source = await fixtureSource();
    const records = [
      ...localizeInstructRecords(source, { codec, seed: 1, frame: padToSquare(), objectives: ['locpred'] }),
    ];
    // cat-and-two-dogs.png is 160x120: padded to 160x160 with 20 px above, the cat box (10,20,50,60) -> (10,40,50,80).
    const turns = records[0]?.conversations ?? [];
    const answer = turns[turns.findIndex((t) => t.value.includes('described cat')) + 1]?.value;
    expect(answer).toBe(`It is located at ${codec.encode({ box: [10, 40, 50, 80] }, { width: 160, height: 160 })}`);
  }, 30_000);
});
