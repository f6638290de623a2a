import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

describe('shapes-lab progress (the CLI convention)', () => {
  it('writes a few lines into a pipe for thousands of items, then one summary line', () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = createProgress({
      label: 'evaluate',
      enabled: true,
      tty: false,
      err: (l) => lines.push(l),
      now: () => clock,
    });
    for (let done = 0; done <= 1656; done++) {
      clock = done * 20;
      progress.update({ done, total: 1656 });
    }
    progress.finish();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThanOrEqual(17);
    expect(lines[0]).toMatch(/^evaluate: 1\d\d\/1656 \(\d+%\), 50\/s, ETA \d+s$/);
    expect(lines.at(-1)).toBe('evaluate: 1656/1656 in 33s (50/s)');
  });

  it('prints every 5% for slow items, a stop line when unfinished, and nothing when silenced', () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = createProgress({
      label: 'world train',
      enabled: true,
      tty: false,
      err: (l) => lines.push(l),
      now: () => clock,
    });
    for (let done = 0; done <= 10; done++) {
      clock = done * 3000;
      progress.update({ done, total: 40 });
    }
    progress.finish();
    expect(lines).toEqual([
      'world train: 2/40 (5%), 0.33/s, ETA 1m 54s',
      'world train: 4/40 (10%), 0.33/s, ETA 1m 48s',
      'world train: 6/40 (15%), 0.33/s, ETA 1m 42s',
      'world train: 8/40 (20%), 0.33/s, ETA 1m 36s',
      'world train: 10/40 (25%), 0.33/s, ETA 1m 30s',
      'world train: stopped at 10/40 after 30s (0.33/s)',
    ]);
    const quiet: string[] = [];
    const off = createProgress({ label: 'x', enabled: false, tty: false, err: (l) => quiet.push(l) });
    off.update({ done: 1, total: 1 });
    off.finish();
    expect(quiet).toEqual([]);
  });
});
