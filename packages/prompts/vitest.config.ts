import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The example imports this package by name, as a user would; tests run it against the sources.
export default defineConfig({
  resolve: { alias: { '@locvlm/prompts': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
});
