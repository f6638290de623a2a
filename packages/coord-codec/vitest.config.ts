import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The examples import the package by name, as a user would; tests run them against the sources.
export default defineConfig({
  resolve: { alias: { '@locvlm/coord-codec': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
});
