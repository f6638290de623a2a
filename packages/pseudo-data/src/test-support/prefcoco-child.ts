// Child process for the resume test: builds PRefCOCO against the fake server through @locvlm/runtime's
// OpenAI-compatible model. argv: instances imagesDir outDir url
import { createCodec } from '@locvlm/coord-codec';
import { createOpenAIModel } from '@locvlm/runtime';
import { readCocoInstances } from '../coco.js';
import { imagesFromCoco } from '../objects.js';
import { buildPrefcoco } from '../selftrain.js';

const [instances, imagesDir, outDir, url] = process.argv.slice(2) as [string, string, string, string];
const coco = await readCocoInstances(instances);
const model = createOpenAIModel({ endpoints: [url], model: 'fake', retryBaseDelayMs: 10 });
const result = await buildPrefcoco(
  { images: imagesFromCoco(coco), categories: coco.categories },
  {
    model,
    imagesDir,
    outDir,
    codec: createCodec({ kind: 'ivb', bins: 224 }),
    seed: 3,
    concurrency: 3,
    jobConfig: { instances: 'synthetic' },
  },
);
await model.close();
process.stdout.write(`${JSON.stringify({ described: result.described, records: result.stats.records })}\n`);
