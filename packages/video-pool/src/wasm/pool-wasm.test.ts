import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePoolWat, generatedSource } from '../../scripts/build-wasm.js';

describe('pool-wasm.generated.ts', () => {
  it('is pool.wat compiled by the build script (regenerate with npm run build:wasm)', async () => {
    const committed = readFileSync(fileURLToPath(new URL('./pool-wasm.generated.ts', import.meta.url)), 'utf8');
    expect(committed).toBe(generatedSource(await compilePoolWat()));
  });
});
