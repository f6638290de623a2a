import { describe, expect, it } from 'vitest';
import { toCoco } from './coco.js';
import { instructionData } from './dataset.js';
import { worldScene } from './world.js';

function split(n: number) {
  const entries = Array.from({ length: n }, (_, i) => ({
    scene: worldScene(7, 'test', i),
    imageId: 2_000_000 + i,
    fileName: `test/${2_000_000 + i}.png`,
  }));
  const { instances, captions, scenes } = toCoco(entries, { description: 't', version: '1', split: 'test', seed: 7 });
  return { instances, captions, scenes };
}

describe('instructionData', () => {
  const world = split(40);
  const all = instructionData(world, { bins: 32, objectives: ['locpred', 'negpred', 'revloc'] });

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
