import { describe, expect, it } from 'vitest';
import { run } from '../program.js';
import { buildDemoReport } from './demo.js';

describe('locvlm demo', () => {
  it('encodes the paper worked example exactly and maps an answer back to photo pixels', () => {
    const report = buildDemoReport();
    const text = Object.fromEntries(report.encodings.map((e) => [e.kind, e.text]));
    expect(text.nfp).toBe('(0.0195, 0.2344, 0.0586, 0.2832)');
    expect(text.ivb).toBe('(4, 52, 13, 63)');
    expect(text.diga).toBe('(0, 4, -3, -11, 6, 0)');
    expect(report.prompt).toContain('ASSISTANT: It is located at (4, 52, 13, 63)</s>');
    // 640x480 padded to 640x640 (80 px on top), scaled by 336/640: (4.5, 52.5) -> (8.57, 20).
    const [mapped] = report.mappedBack.originalPixels;
    expect(mapped && 'box' in mapped ? mapped.box[0] : Number.NaN).toBeCloseTo((4.5 * 640) / 336, 9);
    expect(mapped && 'box' in mapped ? mapped.box[1] : Number.NaN).toBeCloseTo(20, 9);
  });

  it('prints a table and the record, or JSON with --json', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
    expect(await run(['demo'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/ivb\s+\(4, 52, 13, 63\)/);
    out.length = 0;
    expect(await run(['demo', '--json'], io)).toBe(0);
    expect(JSON.parse(out.join('\n')).encodings).toHaveLength(9);
  });
});
