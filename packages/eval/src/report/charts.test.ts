import { describe, expect, it } from 'vitest';
import { axisMax, renderMetricBars, spreadOf } from './charts.js';

describe('per-metric bars', () => {
  it('summarises seeds as mean and range', () => {
    expect(spreadOf([90, 96, 99])).toEqual({ mean: 95, min: 90, max: 99, n: 3 });
    expect(spreadOf([0.4, Number.NaN])).toEqual({ mean: 0.4, min: 0.4, max: 0.4, n: 1 });
    expect(spreadOf([])).toBeNull();
  });

  it('picks an axis per metric: fractions to 1, percentages to 100, larger values rounded up', () => {
    expect(axisMax([0.39, 0.12])).toBe(1);
    expect(axisMax([99.5, 60])).toBe(100);
    expect(axisMax([131])).toBe(200);
    expect(axisMax([0])).toBe(1);
  });

  it('draws one bar per series in each metric panel, a whisker only for means of several runs', () => {
    const html = renderMetricBars({
      title: 'arms <&>',
      metrics: [{ name: 'LocPred %' }, { name: 'RD METEOR' }],
      series: [
        { label: 'none', values: [0, 0.119] },
        { label: '+LocPred <b>', values: [{ mean: 97, min: 95, max: 99.5, n: 3 }, null] },
      ],
    });
    const panels = html.match(/<svg class="metric-panel"[\s\S]*?<\/svg>/g)!;
    expect(panels).toHaveLength(2);
    // LocPred: two bars (0 has zero height), one whisker from 95 to 99.5 on an axis to 100.
    expect(panels[0]!.match(/<rect /g)).toHaveLength(2);
    expect(panels[0]!.match(/<g stroke="#222" stroke-width="1.2" class="spread">/g)).toHaveLength(1);
    expect(panels[0]).toContain('+LocPred &lt;b&gt;: 97 (mean of 3; min 95, max 99.5)');
    expect(panels[0]).toMatch(/>100<\/text>/);
    // METEOR: its own axis to 1, a bar for none and a dash for the arm that did not measure it.
    expect(panels[1]!.match(/<rect /g)).toHaveLength(1);
    expect(panels[1]).toMatch(/>1<\/text>/);
    expect(panels[1]).toContain('+LocPred &lt;b&gt;: not measured');
    expect(html).toContain('aria-label="arms &lt;&amp;&gt;"');
    expect(html).toContain('whiskers: their min–max range');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/https?:|<script/);
  });

  it('says one run per bar without seeds, and draws nothing without values', () => {
    const single = renderMetricBars({ title: 't', metrics: [{ name: 'a' }], series: [{ label: 'x', values: [0.5] }] });
    expect(single).toContain('One run per bar.');
    expect(single).not.toContain('class="spread"');
    expect(renderMetricBars({ title: 't', metrics: [{ name: 'a' }], series: [{ label: 'x', values: [null] }] })).toBe(
      '',
    );
    expect(renderMetricBars({ title: 't', metrics: [], series: [] })).toBe('');
  });
});
