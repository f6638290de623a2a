import { describe, expect, it } from 'vitest';
import { ablationHtml, ablationMarkdown } from './report.js';

describe('ablation report', () => {
  const arms = [
    { name: 'none', metrics: { leftRightAccuracy: 51.5, counts: {} } },
    { name: '+LocPred <b>', metrics: { leftRightAccuracy: 90, locpredAccuracy: 85.2, counts: {} }, note: '600 steps' },
  ];
  it('writes a Markdown row per arm, dashes for unmeasured metrics, numbers right-aligned', () => {
    const md = ablationMarkdown(arms).split('\n');
    expect(md).toHaveLength(4);
    expect(md[1]).toMatch(/^\| -{12} \| -{11}: \| -{12}: \|/);
    expect(md[2]).toMatch(/^\| none {9}\| {9}51\.5 \| {13}– \|/);
    expect(md[3]).toMatch(/^\| \+LocPred <b> \| {11}90 \|/);
    expect(md[3]).toMatch(/\| 600 steps \|$/);
    // Every row padded to the same width, as the formatter in the lint step wants.
    expect(new Set(md.map((l) => l.length)).size).toBe(1);
  });
  it('escapes names in HTML', () => {
    const html = ablationHtml(arms, 'T', 'intro');
    expect(html).toContain('+LocPred &lt;b&gt;');
    expect(html).not.toContain('<b>');
  });
});
