#!/usr/bin/env node
// This workplace's npm registry answers 404 for platform packages of other systems (e.g. @biomejs/cli-darwin-arm64),
// so `npm install` writes a package-lock.json without them, and `npm ci` then refuses the lockfile as out of sync.
// This adds a minimal entry (version, optional) for each missing optional dependency: `npm ci` accepts the lockfile
// and skips them on this platform, and a machine with the full registry still installs its own platform's binary.
// Not a postinstall (it would rewrite a user's lockfile): developers run `npm run complete-lockfile` after `npm install`
// adds or changes a dependency here; a no-op when nothing is missing. `npm ci` in CI fails on a lockfile that needs it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
if (!existsSync(lockPath)) process.exit(0);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages ?? {};
let added = 0;
for (const [path, entry] of Object.entries({ ...packages })) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const version = String(range).replace(/^[\^~=v]/, '');
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) continue; // a real range: let npm resolve it
    packages[hoisted] = { version, optional: true };
    added++;
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : a.localeCompare(b))));
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
