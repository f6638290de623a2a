#!/usr/bin/env node
// Runs every workspace's tests through turbo, then prints one total from the vitest JSON reports,
// so CI's last line is the plain `N passed, N failed` whatever turbo printed before it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((name) => join(root, dir, name)) : [],
);
const tested = workspaces.filter((dir) => {
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test;
});
for (const dir of tested) rmSync(join(dir, 'test-results'), { recursive: true, force: true });

const turbo = spawnSync(
  process.execPath,
  [join(root, 'scripts', 'turbo.mjs'), 'run', 'test', '--continue', '--concurrency=2', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of tested) {
  const report = join(dir, 'test-results', 'vitest.json');
  if (!existsSync(report)) {
    missing.push(dir.slice(root.length));
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + (json.numTodoTests ?? 0);
  // A run that failed with no failing test (no test files, an error outside tests) still fails.
  if (json.success === false && json.numFailedTests === 0 && json.numFailedTestSuites === 0) {
    console.error(`${dir.slice(root.length)}: the test run failed outside any test`);
    failed += 1;
  }
  // A suite that fails to load (syntax error, missing module) has no tests to count: count it as a failure.
  failed += json.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.length === 0).length;
}
// Only complain about missing reports when a filter was not narrowing the run.
if (missing.length > 0 && process.argv.length <= 2) {
  console.error(`no test report from: ${missing.join(', ')}`);
  failed += missing.length;
}
const exitCode = turbo.status === 0 && failed === 0 ? 0 : 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(exitCode);
