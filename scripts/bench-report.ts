// Shared by every package's bench/: prints a table and writes bench-results/<package>.json at the repo root.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchGoal {
  name: string;
  value: number;
  /** The target from the issue, as text a person reads, e.g. ">= 2000000 ops/s". */
  goal: string;
  met: boolean;
}

const repoRoot = new URL('..', import.meta.url).pathname;

/** Print the figures and goals as tables and write them atomically to bench-results/<package>.json. */
export function writeBenchReport(pkg: string, figures: Record<string, number>, goals: BenchGoal[]): string {
  console.table(Object.entries(figures).map(([name, value]) => ({ figure: name, value: round(value) })));
  if (goals.length > 0) console.table(goals.map((g) => ({ ...g, value: round(g.value) })));
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${pkg.replace(/^@locvlm\//, '')}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ package: pkg, figures, goals }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
  return file;
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(4));
}
