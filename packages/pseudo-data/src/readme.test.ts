import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

it('the README example runs and prints what its comment says', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  // The example writes its files where it runs: a folder of its own, not the package. The script itself stays in
  // the package (so its imports resolve) as an ES module, as the README says to save it.
  const work = mkdtempSync(join(tmpdir(), 'pseudo-data-readme-'));
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const script = join(root, '.tmp', 'readme-example.mts');
  // The package's own source stands in for its published build (tests do not wait for this package's build).
  writeFileSync(script, (code as string).replace("from '@locvlm/pseudo-data'", "from '../src/index.ts'"));
  try {
    // tsx from this repository (an --import specifier resolves from the working folder, which has none).
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const output = execFileSync(process.execPath, ['--import', tsx, script], { cwd: work, encoding: 'utf8' });
    // What the example's comment says it prints.
    expect(output).toContain('data/localize-instruct/localize-instruct.json { locpred: 1, negpred: 1, revloc: 1 }');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(script, { force: true });
  }
}, 30_000);
