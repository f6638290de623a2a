import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

it('the README example runs and prints what its comment says', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const script = join(root, '.tmp', 'readme-example.ts');
  // The package's own source stands in for its published build (tests do not wait for this package's build).
  writeFileSync(script, (code as string).replace("from '@locvlm/pseudo-data'", "from '../src/index.ts'"));
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
    expect(output).toContain('localize-instruct.json');
    expect(output).toContain('{ locpred: 4, negpred: 4, revloc: 4 }');
  } finally {
    rmSync(script, { force: true });
  }
}, 30_000);
