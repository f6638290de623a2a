import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MetricError } from '../errors.js';
import {
  MeteorJarBackend,
  type MeteorJarProcess,
  meteorEvalLine,
  meteorScoreLine,
  parseMeteorScoreLine,
} from './jar.js';
import { createMeteorScorer } from './scorer.js';
import { aggregateMeteorStats, computeMeteorScore, formatMeteorStats, parseMeteorStats } from './stats.js';

// A stand-in for `java -jar meteor-1.5.jar - - -stdio -l en -norm`: it speaks the same line protocol, computing
// answers with the TypeScript scorer (exact + stem only, so no WordNet is needed).
function fakeJar(options: { answer?: (line: string) => string[] | undefined } = {}) {
  const scorer = createMeteorScorer({ modules: ['exact', 'stem'], functionWords: ['a', 'the'] });
  const params = { ...scorer.parameters, moduleWeights: [1, 0.6, 0.8, 0.6] };
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const events = new EventEmitter();
  const received: string[] = [];
  let pending = '';
  stdin.setEncoding('utf8');
  stdin.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      received.push(line);
      const custom = options.answer?.(line);
      if (custom) {
        for (const l of custom) stdout.write(`${l}\n`);
      } else if (line.startsWith('SCORE')) {
        const parts = line.split('|||').map((p) => p.trim());
        const r = scorer.segment(parts.at(-1)!, parts.slice(1, -1));
        stdout.write(`${formatMeteorStats(r.stats)}\n`);
      } else if (line.startsWith('EVAL')) {
        const stats = line
          .split('|||')
          .slice(1)
          .map((s) => parseMeteorStats(s));
        for (const s of stats) stdout.write(`${computeMeteorScore(s, params).score}\n`);
        stdout.write(`${computeMeteorScore(aggregateMeteorStats(stats), params).score}\n`);
      } else {
        stdout.write('Error: specify SCORE or EVAL\n');
      }
      nl = pending.indexOf('\n');
    }
  });
  const proc: MeteorJarProcess = {
    stdin,
    stdout,
    stderr,
    kill: () => {
      events.emit('exit', null, 'SIGTERM');
      return true;
    },
    on: ((event: string, listener: (...args: unknown[]) => void) =>
      events.on(event, listener)) as MeteorJarProcess['on'],
  };
  return { proc, received, events, stderr, scorer };
}

describe('meteor-1.5.jar -stdio protocol', () => {
  it('builds SCORE and EVAL lines as pycocoevalcap does', () => {
    expect(meteorScoreLine('a  dog ||| runs', ['a dog', 'the dog'])).toBe('SCORE ||| a dog ||| the dog ||| a dog runs');
    expect(meteorEvalLine(['1.0 2.0', '3.0 4.0'])).toBe('EVAL ||| 1.0 2.0 ||| 3.0 4.0');
    expect(parseMeteorScoreLine('0.3123\n')).toBeCloseTo(0.3123, 10);
    expect(() => parseMeteorScoreLine('Error: specify Meteor stats')).toThrowError(MetricError);
  });

  it('drives SCORE per segment, then EVAL for segment scores and the pooled corpus score', async () => {
    const fake = fakeJar();
    let spawned: readonly string[] = [];
    const jar = MeteorJarBackend.start({
      jarPath: '/opt/meteor-1.5.jar',
      spawnProcess: (command, args) => {
        spawned = [command, ...args];
        return fake.proc;
      },
    });
    expect(spawned).toEqual(['java', '-jar', '-Xmx2G', '/opt/meteor-1.5.jar', '-', '-', '-stdio', '-l', 'en', '-norm']);
    const pairs = [
      { hypothesis: 'a man rides a horse', references: ['a man riding a horse'] },
      { hypothesis: 'x y', references: ['y x', 'z'] },
    ];
    const result = await jar.corpus(pairs);
    const local = fake.scorer.corpus(pairs);
    expect(fake.received[0]).toBe('SCORE ||| a man riding a horse ||| a man rides a horse');
    expect(fake.received[2]?.startsWith('EVAL ||| 5.0 5.0 2.0 2.0')).toBe(true);
    expect(result.segmentScores).toHaveLength(2);
    expect(result.segmentScores[0]).toBeCloseTo(local.segmentScores[0]!, 12);
    expect(result.score).toBeCloseTo(local.score, 12);
    expect(result.stats[1]?.chunks).toBe(2);
    const one = await jar.segmentStats('a man rides a horse', ['a man riding a horse']);
    expect(one.stats.testLength).toBe(5);
    jar.close();
  });

  it('turns an error answer and a dead process into MetricError BACKEND', async () => {
    const fake = fakeJar({
      answer: (line) =>
        line.startsWith('SCORE') ? ['Error: specify hypothesis and at least one reference'] : undefined,
    });
    const jar = MeteorJarBackend.start({ jarPath: 'x.jar', spawnProcess: () => fake.proc });
    await expect(jar.segmentStats('a', ['b'])).rejects.toMatchObject({ code: 'BACKEND' });
    fake.stderr.write('Exception in thread "main" java.lang.OutOfMemoryError\n');
    await new Promise((r) => setImmediate(r));
    fake.events.emit('exit', 1, null);
    await expect(jar.segmentStats('a', ['b'])).rejects.toThrow(/exited \(code 1.*OutOfMemoryError/);
  });

  it('refuses a missing jar file before starting Java', () => {
    expect(() => MeteorJarBackend.start({ jarPath: '/nonexistent/meteor-1.5.jar' })).toThrow(/not found/);
  });
});
