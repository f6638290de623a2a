// Copies the built Studio page (@locvlm/studio's dist) into dist/studio, so the published `locvlm studio` has it.
import { cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const studio = dirname(createRequire(import.meta.url).resolve('@locvlm/studio/package.json'));
await cp(join(studio, 'dist'), new URL('./dist/studio/', import.meta.url), { recursive: true });
