import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MetricError } from '../errors.js';
import { ParaphraseTable } from './paraphrase.js';
import { createMeteorScorer } from './scorer.js';

// Meteor's format: probability line, reference phrase line, paraphrase line.
const TABLE = '0.5\nsat down\ntook a seat\n0.25\ncar\nautomobile\n';

describe('Meteor paraphrase table', () => {
  it('loads a gzipped table file and finds phrases by word ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'para-'));
    const file = join(dir, 'paraphrase-en.gz');
    writeFileSync(file, gzipSync(TABLE));
    const table = ParaphraseTable.load(file);
    expect(table.size).toBe(2);
    const ids = ['he', 'sat', 'down'].map((w) => table.wordId(w));
    expect(ids[0]).toBe(-1);
    expect(table.pathsFrom(ids, 1)).toEqual([2, 0]);
    expect([...table.paraphrase(0)].map((id) => id)).toEqual(['took', 'a', 'seat'].map((w) => table.wordId(w)));
  });

  it('rejects a table whose line count is not a multiple of three', () => {
    expect(() => ParaphraseTable.parse('0.5\nsat down\n')).toThrowError(MetricError);
    expect(() => ParaphraseTable.load('/nonexistent/paraphrase-en.gz')).toThrow(/could not be read/);
  });

  it('matches a 2-word reference phrase to a 3-word test phrase with weight 0.6 (hand-computed)', () => {
    const m = createMeteorScorer({
      modules: ['exact', 'paraphrase'],
      paraphrases: ParaphraseTable.parse(TABLE),
      functionWords: [],
    });
    const r = m.segment('the cat took a seat', ['the cat sat down']);
    expect(r.stats.testStageMatchesContent).toEqual([2, 3]);
    expect(r.stats.referenceStageMatchesContent).toEqual([2, 2]);
    expect(r.stats.chunks).toBe(1);
    const P = (2 + 3 * 0.6) / 5;
    const R = (2 + 2 * 0.6) / 4;
    expect(r.score).toBeCloseTo(1 / (0.15 / P + 0.85 / R), 12);
  });
});
