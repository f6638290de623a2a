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
});
