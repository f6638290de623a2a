import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

describe('examples/worked-example.ts (the README example)', () => {
  it('prints what its comments say', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    await import('../examples/worked-example.js');
    expect(lines.slice(0, 4)).toEqual([
      '(4, 52, 13, 63)',
      '(0.0195, 0.2344, 0.0586, 0.2832)',
      '(0, 4, -3, -11, 6, 0)',
      '(8, 57)',
    ]);
    expect(lines).toContain('<|object_ref_start|>cat<|object_ref_end|><|box_start|>(20,234),(59,283)<|box_end|>');
    expect(lines).toContain('{"bbox_2d": [20, 234, 59, 283], "label": "cat"}');
    expect(lines.find((l) => l.startsWith('qwen2-vl '))).toMatch(/\(20,234\),\(59,283\).*"label":"cat"/);
    expect(lines).toContain('(22, 44, 67, 89)');
    expect(lines).toContain('{"box":[5.25,52.5,15.75,63]}');
    expect(lines.find((l) => l.startsWith('(4, 52, 13, 63) '))).toMatch(/PARTIAL$/);
  });
});
