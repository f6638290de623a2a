import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { createProgress, formatDuration } from './progress.js';

function capture(): { io: CliIo; lines: string[] } {
  const lines: string[] = [];
  return { io: { out: () => {}, err: (t) => lines.push(t.trimEnd()) }, lines };
}

describe('progress in a pipe', () => {
  it('prints a line per 5% at most every 2 s, then one summary line, for thousands of fast items', () => {
    const { io, lines } = capture();
    let clock = 0;
    const progress = createProgress({ label: 'eval generate', enabled: true, io, tty: false, now: () => clock });
    // 1656 items in 33 s (20 ms each): 5% steps come every 1.6 s, so the 2 s gap decides.
    for (let done = 0; done <= 1656; done++) {
      clock = done * 20;
      progress.update({ done, total: 1656 });
    }
    progress.finish();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThanOrEqual(17);
    expect(lines[0]).toMatch(/^eval generate: 1\d\d\/1656 \(\d+%\), 50\/s, ETA \d+s$/);
    expect(lines.at(-1)).toBe('eval generate: 1656/1656 in 33s (50/s)');
    // No line shows every item, and each line is on its own.
    for (const line of lines) expect(line).not.toContain('\r');
  });

  it('prints at 5% steps for slow items, and every 10 s when a step takes longer', () => {
    const { io, lines } = capture();
    let clock = 0;
    const progress = createProgress({ label: 'images', enabled: true, io, tty: false, now: () => clock });
    // 40 items, 3 s each: every 2 items is 5%.
    for (let done = 0; done <= 40; done++) {
      clock = done * 3000;
      progress.update({ done, total: 40, resumed: 0 });
    }
    progress.finish();
    expect(lines.slice(0, 3)).toEqual([
      'images: 2/40 (5%), 0.33/s, ETA 1m 54s',
      'images: 4/40 (10%), 0.33/s, ETA 1m 48s',
      'images: 6/40 (15%), 0.33/s, ETA 1m 42s',
    ]);
    expect(lines).toHaveLength(20); // 19 steps below 100%, then the summary
    expect(lines.at(-1)).toBe('images: 40/40 in 2m 00s (0.33/s)');

    const slow = capture();
    clock = 0;
    const heartbeat = createProgress({ label: 'videos', enabled: true, io: slow.io, tty: false, now: () => clock });
    // 1000 items, one every 0.5 s: 5% takes 25 s, so a line comes every 10 s in between.
    for (let done = 0; done <= 60; done++) {
      clock = done * 500;
      heartbeat.update({ done, total: 1000 });
    }
    heartbeat.finish();
    expect(slow.lines).toEqual([
      'videos: 20/1000 (2%), 2.0/s, ETA 8m 10s',
      'videos: 40/1000 (4%), 2.0/s, ETA 8m 00s',
      'videos: 50/1000 (5%), 2.0/s, ETA 7m 55s', // the 5% step; the next heartbeat would be 10 s later
      'videos: stopped at 60/1000 after 30s (2.0/s)',
    ]);
  });

  it('counts the pace of this run only, names resumed items, and prints nothing when silenced', () => {
    const { io, lines } = capture();
    let clock = 0;
    const progress = createProgress({ label: 'objects', enabled: true, io, tty: false, now: () => clock });
    progress.update({ done: 900, total: 1000, resumed: 900 });
    clock = 5000;
    progress.update({ done: 1000, total: 1000, resumed: 900 });
    progress.finish();
    progress.finish();
    expect(lines).toEqual(['objects: 1000/1000 in 5s (20/s), 900 already done']);

    const quiet = capture();
    const off = createProgress({ label: 'x', enabled: false, io: quiet.io, tty: false });
    off.update({ done: 1, total: 2 });
    off.finish();
    const never = createProgress({ label: 'x', enabled: true, io: quiet.io, tty: false });
    never.finish();
    expect(quiet.lines).toEqual([]);
  });
});

describe('progress on a terminal', () => {
  it('draws a live bar on the terminal and ends with the summary line', async () => {
    const { io, lines } = capture();
    let drawn = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          drawn += String(chunk);
          callback();
        },
      }),
      { isTTY: true, columns: 100 },
    ) as unknown as NodeJS.WriteStream;
    const progress = createProgress({ label: 'pope generate', enabled: true, io, tty: true, stream: terminal });
    for (let done = 0; done <= 10; done++) progress.update({ done, total: 10 });
    progress.finish();
    expect(drawn).toContain('pope generate [');
    expect(drawn).toMatch(/100% \| 10\/10/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pope generate: 10\/10 in \d+ms/);
  });

  it('formats durations as people read them', () => {
    expect([850, 12_400, 185_000, 3_725_000].map(formatDuration)).toEqual(['850ms', '12s', '3m 05s', '1h 02m']);
  });
});
