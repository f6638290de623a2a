#!/usr/bin/env node
// Runs the repository's turbo with its telemetry and update notices off, so `npm run demo`, `npm test` and the
// other root scripts print only their own output. Works the same on every shell (no `VAR=1 cmd` syntax needed).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('turbo/package.json')), 'bin', 'turbo');
const result = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
