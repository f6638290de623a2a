import { describe, expect, it } from 'vitest';
import { ablationHtml, ablationMarkdown, armValue } from './report.js';

describe('ablation report', () => {
  const arms = [
    { name: 'none', seeds: [{ metrics: { leftRightAccuracy: 51.5, counts: {} }, questions: 1200 }] },
    {
      name: '+LocPred <b>',
      seeds: [{ metrics: { leftRightAccuracy: 90, locpredAccuracy: 85.2, counts: {} } }],
      note: '600 steps',
    },
  ];
  it('writes a Markdown row per arm, dashes for unmeasured metrics, numbers right-aligned', () => {
    const md = ablationMarkdown(arms).split('\n');
    expect(md).toHaveLength(4);
    expect(md[1]).toMatch(/^\| -{12} \| -{11}: \| -{12}: \|/);
    expect(md[2]).toMatch(/^\| none {9}\| {9}51\.5 \| {13}– \|/);
    expect(md[2]).toMatch(/\| 1200 questions \|$/);
    expect(md[3]).toMatch(/^\| \+LocPred <b> \| {11}90 \|/);
    expect(md[3]).toMatch(/\| 600 steps +\|$/);
    // Every row padded to the same width, as the formatter in the lint step wants.
    expect(new Set(md.map((l) => l.length)).size).toBe(1);
  });

  it('escapes names in HTML and draws a bar panel per metric, one bar per measured arm', () => {
    const html = ablationHtml(arms, 'T', 'intro');
    expect(html).toContain('+LocPred &lt;b&gt;');
    expect(html).not.toContain('<b>');
    const panels = html.match(/<svg class="metric-panel"[\s\S]*?<\/svg>/g)!;
    expect(panels).toHaveLength(6);
    expect(panels[0]).toContain('aria-label="left/right %"');
    expect(panels[0]!.match(/<rect /g)).toHaveLength(2);
    expect(panels[4]).toContain('aria-label="LocPred acc@0.5 %"');
    expect(panels[4]!.match(/<rect /g)).toHaveLength(1);
    expect(html).toContain('One run per bar.');
    expect(html).not.toContain('class="spread"');
    expect(html).not.toMatch(/https?:\/\/|<script/);
  });

  it('shows the mean and min-max range of several seeds, in the table and as whiskers', () => {
    const seeded = [
      {
        name: 'all',
        seeds: [91, 96, 95.5].map((v) => ({ metrics: { locpredAccuracy: v, counts: {} }, questions: 1200 })),
      },
      { name: 'none', seeds: [{ metrics: { locpredAccuracy: 0, counts: {} }, questions: 1200 }] },
    ];
    expect(armValue(seeded[0]!, 'locpredAccuracy')).toEqual({ mean: 94.16666666666667, min: 91, max: 96, n: 3 });
    const md = ablationMarkdown(seeded);
    expect(md).toMatch(/\| +94\.167 \(91–96\) \|/);
    expect(md).toContain('| 3 seeds × 1200 questions |');
    const html = ablationHtml(seeded, 'T', 'intro');
    const locpred = html.match(
      /<svg class="metric-panel" role="img" aria-label="LocPred acc@0.5 %"[\s\S]*?<\/svg>/,
    )![0];
    expect(locpred.match(/class="spread"/g)).toHaveLength(1);
    expect(locpred).toContain('all: 94.2 (mean of 3; min 91, max 96)');
    expect(html).toContain('whiskers: their min–max range');
  });
});
