import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('loads neither onnxruntime-node nor sharp for HTTP-only use, and onnxruntime-node only when a local model loads', () => {
  const script = `
    const fs = await import('node:fs');
    const loaded = () => { const maps = fs.readFileSync('/proc/self/maps', 'utf8');
      return { ort: maps.includes('onnxruntime_binding'), sharp: maps.includes('sharp') }; };
    const m = await import('./src/index.ts');
    m.createOpenAIModel({ endpoints: ['http://127.0.0.1:1'], model: 'x' });
    const before = loaded();
    const model = await m.loadOnnxModel('fixtures/tiny-llava', { device: 'cpu' });
    await model.close();
    console.log(JSON.stringify({ before, after: loaded() }));`;
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(JSON.parse(lines[lines.length - 1]!)).toEqual({
    before: { ort: false, sharp: false },
    after: { ort: true, sharp: false },
  });
}, 60_000); // a child process that loads the model: slow on a busy machine

it('imports transformers.js only for the families it runs, never for the LLaVA family', () => {
  // transformers.js loads sharp as it is imported; loading a LLaVA model alone does not (test above), so sharp in
  // the process maps tells whether transformers.js was imported.
  const script = `
    const fs = await import('node:fs');
    const sharpLoaded = () => fs.readFileSync('/proc/self/maps', 'utf8').includes('sharp');
    const m = await import('./src/index.ts');
    const llava = await m.loadModel('fixtures/tiny-llava', { device: 'cpu' });
    await llava.close();
    const afterLlava = sharpLoaded();
    const florence = await m.loadModel('fixtures/tiny-florence2', { device: 'cpu' });
    await florence.close();
    console.log(JSON.stringify({ engines: [llava.engine, florence.engine], afterLlava, afterFlorence: sharpLoaded() }));`;
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(JSON.parse(lines[lines.length - 1]!)).toEqual({
    engines: ['locvlm', 'transformers.js'],
    afterLlava: false,
    afterFlorence: true,
  });
}, 60_000);

it('says how to install transformers.js when a family needs it and it is missing', async () => {
  const { vi } = await import('vitest');
  vi.resetModules();
  vi.doMock('@huggingface/transformers', () => {
    throw new Error("Cannot find package '@huggingface/transformers'");
  });
  try {
    const { loadModel } = await import('./load-model.js');
    const dir = fileURLToPath(new URL('../fixtures/tiny-florence2', import.meta.url));
    await expect(loadModel(dir, { device: 'cpu' })).rejects.toThrow(
      /this model family runs on transformers\.js, which cannot be loaded .*npm install @huggingface\/transformers@\^4\.3/,
    );
  } finally {
    vi.doUnmock('@huggingface/transformers');
    vi.resetModules();
  }
});
