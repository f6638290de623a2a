import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => vi.restoreAllMocks());

describe('examples/localize-instruct.ts (the README example)', () => {
  it('prints the records and prompts its comments describe', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    await import('../examples/localize-instruct.js');
    expect(lines).toHaveLength(3);
    const records = JSON.parse(lines[0] as string);
    expect(records.map((r: { id: string }) => r.id)).toEqual(['397133:locpred', '397133:revloc']);
    expect(records[0].conversations[1]).toEqual({ from: 'gpt', value: 'It is located at (4, 52, 13, 63)' });
    expect(records[0].conversations).toHaveLength(6);
    expect(records[1].conversations[3]).toEqual({ from: 'gpt', value: 'A brown dog lying next to the sofa.' });
    expect(lines[1]).toBe(
      "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: <image>\nIs there an apple in the image? ASSISTANT:",
    );
    expect(lines[2]).toMatch(
      / USER: <image>\nGenerate a \(x1,y1,x2,y2\) bbox for the the object described cat\? ASSISTANT: It is located at \(4, 52, 13, 63\)<\/s>USER: /,
    );
  });
});
