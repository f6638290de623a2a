import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec } from '@locvlm/coord-codec';
import { createRng } from '@locvlm/prompts';
import { imagesFromCoco, localizeInstructRecords } from '@locvlm/pseudo-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { toCoco } from './coco.js';
import { instructionData, readWorldSplit, type WorldSplit } from './dataset.js';
import { hardNegatives } from './objectives.js';
import { CATEGORIES, categoryOf } from './vocabulary.js';
import { worldScene } from './world.js';

/** A world folder holding the annotation files of `n` test scenes (no images: the data never reads pixels). */
function writeWorld(n: number): string {
  const entries = Array.from({ length: n }, (_, i) => ({
    scene: worldScene(7, 'test', i),
    imageId: 2_000_000 + i,
    fileName: `test/${2_000_000 + i}.png`,
  }));
  const info = { description: 't', version: '1', split: 'test', seed: 7 };
  const { instances, captions, scenes } = toCoco(entries, info);
  const dir = mkdtempSync(join(tmpdir(), 'shapes-data-'));
  mkdirSync(join(dir, 'annotations'));
  writeFileSync(join(dir, 'annotations', 'instances_test.json'), JSON.stringify(instances));
  writeFileSync(join(dir, 'annotations', 'captions_test.json'), JSON.stringify(captions));
  writeFileSync(join(dir, 'annotations', 'scenes_test.json'), JSON.stringify({ info, scenes }));
  return dir;
}

describe('instructionData', () => {
  let dir: string;
  let world: WorldSplit;
  let all: ReturnType<typeof instructionData>;
  beforeAll(async () => {
    dir = writeWorld(40);
    world = await readWorldSplit(dir, 'test');
    all = instructionData(world, { bins: 32, objectives: ['locpred', 'negpred', 'revloc'] });
  });

  it('writes one-turn LLaVA records with the image token in front', () => {
    for (const r of all.records) {
      expect(r.conversations).toHaveLength(2);
      expect(r.conversations[0]?.value.startsWith('<image>\n')).toBe(true);
      expect(r.conversations[1]?.from).toBe('gpt');
    }
    expect(new Set(all.records.map((r) => r.id)).size).toBe(all.records.length);
  });

  it("asks LocPred with the paper's templates and answers with IVB boxes of the asked object", () => {
    const loc = all.items.filter((i) => i.kind === 'locpred');
    expect(loc.length).toBeGreaterThan(40);
    for (const item of loc) {
      expect(item.question).toMatch(/object described \w+ \w+[ ?]/);
      const m = /^It is located at \((\d+), (\d+), (\d+), (\d+)\)$/.exec(item.answer);
      expect(m).not.toBeNull();
      const [x, y, w, h] = item.bbox as [number, number, number, number];
      const bins = m!.slice(1).map(Number);
      expect(bins).toEqual([x, y, x + w, y + h].map((v) => Math.min(31, Math.floor((32 * v) / 64))));
    }
  });

  it('asks NegPred only about categories absent from the scene', () => {
    const byImage = new Map(world.scenes.map((s) => [s.file_name, s]));
    const neg = all.items.filter((i) => i.kind === 'negpred');
    expect(neg).toHaveLength(40);
    for (const item of neg) {
      expect(item.answer).toBe('There is no such object in the image');
      const asked = /described (\w+ \w+)[ ?]/.exec(item.question)?.[1];
      const scene = byImage.get(item.image)!;
      expect(scene.objects.some((o) => `${o.colour} ${o.shape}` === asked)).toBe(false);
    }
  });

  it('answers presence and side questions from the scene graph', () => {
    const byImage = new Map(world.scenes.map((s) => [s.file_name, s]));
    for (const item of all.items.filter((i) => i.kind === 'presence')) {
      const asked = /Is there an? (\w+ \w+) in the image\?/.exec(item.question)?.[1];
      const present = byImage.get(item.image)!.objects.some((o) => `${o.colour} ${o.shape}` === asked);
      expect(item.answer.startsWith(present ? 'Yes' : 'No')).toBe(true);
    }
    for (const item of all.items.filter((i) => i.kind === 'side')) {
      const [, reference, subject] = /Which side of the (\w+ \w+) is the (\w+ \w+)\?/.exec(item.question) ?? [];
      const scene = byImage.get(item.image)!;
      const ref = scene.objects.find((o) => `${o.colour} ${o.shape}` === reference)!;
      const sub = scene.objects.find((o) => `${o.colour} ${o.shape}` === subject)!;
      const side = sub.bbox[0]! + sub.bbox[2]! <= ref.bbox[0]! ? 'left' : 'right';
      expect(item.answer).toContain(`on the ${side} side`);
    }
  });

  it("asks exactly the objective questions @locvlm/pseudo-data's Localize-Instruct writes for the COCO file", () => {
    const codec = createCodec({ kind: 'ivb', bins: 32 });
    const source = { images: imagesFromCoco(world.instances), categories: world.instances.categories };
    const pairs = (records: Iterable<{ conversations: { value: string }[] }>) =>
      [...records]
        .flatMap((r) => r.conversations.map((t) => t.value.replace(/^<image>\n/, '')))
        .sort()
        .join('\n');
    const ours = (kinds: string[]) =>
      all.items
        .filter((i) => kinds.includes(i.kind))
        .flatMap((i) => [i.question, i.answer])
        .sort()
        .join('\n');
    const seed = 0;
    const loc = localizeInstructRecords(source, {
      codec,
      seed,
      objectives: ['locpred', 'negpred'],
      chooseNegatives: hardNegatives,
    });
    expect(ours(['locpred', 'negpred'])).toBe(pairs(loc));
    const captions = new Map([...world.regionCaptions].map(([id, c]) => [id, `${c[0]?.toUpperCase()}${c.slice(1)}.`]));
    const rev = localizeInstructRecords(source, { codec, seed, objectives: ['revloc'], captions });
    expect(ours(['revloc'])).toBe(pairs(rev));
    for (const item of all.items.filter((i) => i.kind === 'revloc')) {
      expect(item.answer.toLowerCase()).toBe(`${item.reference}.`);
    }
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const options = { bins: 32, objectives: ['locpred', 'negpred', 'revloc'] as const };
    expect(instructionData(world, options)).toEqual(all);
    expect(instructionData(world, { ...options, seed: 1 }).records).not.toEqual(all.records);
  });

  it('names the file when the instances are not COCO', async () => {
    writeFileSync(join(dir, 'annotations', 'instances_val.json'), JSON.stringify({ images: [{ id: 'x' }] }));
    await expect(readWorldSplit(dir, 'val')).rejects.toThrow(/instances_val\.json/);
  });

  it('leaves out the objectives that are switched off (the ablation)', () => {
    const none = instructionData(world, { bins: 32, objectives: [] });
    expect(none.items.some((i) => ['locpred', 'negpred', 'revloc'].includes(i.kind))).toBe(false);
    const loc = instructionData(world, { bins: 32, objectives: ['locpred'] });
    expect(new Set(loc.items.map((i) => i.kind)).has('negpred')).toBe(false);
    const strip = (items: typeof all.items) =>
      items.filter((i) => i.kind === 'locpred').map(({ question, answer, bbox }) => ({ question, answer, bbox }));
    expect(strip(loc.items)).toEqual(strip(all.items));
  });
});

describe('hardNegatives', () => {
  const redCircle = categoryOf('red', 'circle');
  const image = {
    id: 1,
    file: '1.png',
    width: 64,
    height: 64,
    objects: [
      { id: 10, categoryId: redCircle.id, box: [0, 0, 10, 10] as [number, number, number, number], crowd: false },
    ],
  };
  const absent = CATEGORIES.filter((c) => c.id !== redCircle.id).map((c) => c.id);
  const isHard = (id: number) => {
    const c = CATEGORIES.find((k) => k.id === id)!;
    return c.colour === 'red' || c.shape === 'circle';
  };

  it('picks a hard negative (sharing colour or shape) about half the time beyond its share, only absent ids', () => {
    const rng = createRng(0, 'hard');
    let hard = 0;
    for (let i = 0; i < 400; i++) {
      const chosen = hardNegatives({ image, absentCategoryIds: absent, count: 1, rng });
      expect(chosen).toHaveLength(1);
      expect(absent).toContain(chosen[0]);
      if (isHard(chosen[0]!)) hard++;
    }
    // 7 of the 19 absent categories are hard: uniform draws give ~37%, half forced hard gives ~68%.
    expect(hard / 400).toBeGreaterThan(0.6);
    expect(hard / 400).toBeLessThan(0.78);
  });

  it('chooses distinct ids up to the count, and falls back to any absent category when none is hard', () => {
    const rng = createRng(1);
    const chosen = hardNegatives({ image, absentCategoryIds: absent, count: 3, rng });
    expect(new Set(chosen).size).toBe(3);
    const easy = absent.filter((id) => !isHard(id)).slice(0, 2);
    expect([...hardNegatives({ image, absentCategoryIds: easy, count: 5, rng })].sort()).toEqual([...easy].sort());
  });
});
