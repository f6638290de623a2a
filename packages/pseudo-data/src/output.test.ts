import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecordWriter } from './output.js';

describe('openRecordWriter', () => {
  it('writes every record in order across buffer refills, records larger than the buffer and non-ASCII text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-'));
    const records = [
      ...Array.from({ length: 3000 }, (_, i) => ({ id: i, text: `caf\u00e9 \u5199\u771f ${'x'.repeat(i % 2000)}` })),
      { id: 'big', text: '\u00e9'.repeat(3 << 20) },
      { id: 'after', text: 'end' },
    ];
    for (const format of ['json', 'jsonl'] as const) {
      const path = join(dir, `out.${format}`);
      const writer = await openRecordWriter(path, format);
      for (const record of records) await writer.write(record);
      await writer.close();
      const text = readFileSync(path, 'utf8');
      const lines = records.map((record) => JSON.stringify(record));
      expect(text).toBe(format === 'json' ? `[\n${lines.join(',\n')}\n]\n` : `${lines.join('\n')}\n`);
    }
  });

  it('writes an empty JSON array when there are no records', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'records-')), 'empty.json');
    const writer = await openRecordWriter(path, 'json');
    await writer.close();
    expect(readFileSync(path, 'utf8')).toBe('[]\n');
  });
});
