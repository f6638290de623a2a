import { describe, expect, it } from 'vitest';
import { ablationHtml, ablationMarkdown } from './report.js';

describe('ablation report', () => {
  const arms = [
    { name: 'none', metrics: { leftRightAccuracy: 51.5, counts: {} } },
    { name: '+LocPred <b>', metrics: { leftRightAccuracy: 90, locpredAccuracy: 85.2, counts: {} }, note: '600 steps' },
  ];
  it('writes a Markdown row per arm, dashes for unmeasured metrics', () => {
    const md = ablationMarkdown(arms).split('\n');
    expect(md).toHaveLength(4);
    expect(md[2]).toBe('| none | 51.5 | – | – | – | – | – |  |');
    expect(md[3]).toContain('| 90 |');
  });
  it('escapes names in HTML', () => {
    const html = ablationHtml(arms, 'T', 'intro');
    expect(html).toContain('+LocPred &lt;b&gt;');
    expect(html).not.toContain('<b>');
  });
});
