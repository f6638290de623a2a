// Copies the bundled default model and the demo's sample scenes into dist/, so the published `locvlm` (and
// `locvlm demo`) work offline with no other package: dist/model/ and dist/demo-scenes/.
import { existsSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const shapesLab = (path) => fileURLToPath(new URL(`../shapes-lab/${path}`, import.meta.url));
const dist = (path) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));

const model = shapesLab('model/');
if (!existsSync(`${model}config.json`)) throw new Error(`no model to bundle: ${model} has no config.json`);
const scenes = shapesLab('demo-scenes/');
if (!existsSync(`${scenes}scenes.json`))
  throw new Error(`no demo scenes at ${scenes}; run \`npm run demo-scenes -w @locvlm/shapes-lab\``);

await rm(dist('model/'), { recursive: true, force: true });
// reference.json is the trainer's PyTorch-vs-ONNX parity record, not part of the model.
await cp(model, dist('model/'), { recursive: true, filter: (src) => !src.endsWith('reference.json') });
await rm(dist('demo-scenes/'), { recursive: true, force: true });
await cp(scenes, dist('demo-scenes/'), { recursive: true });
