// Regenerates meteor-function-words-stand-in.json: `npx tsx src/metrics/data/generate-function-words.ts`.
// Meteor 1.5's own list (function/english.words inside meteor-1.5.jar) could not be obtained here, so the
// default is a clearly labelled stand-in: the English stop-word list of the `stopword` npm package (MIT).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { eng } = createRequire(import.meta.url)('stopword') as { eng: string[] };

const words = [...new Set(eng.map((w) => w.toLowerCase()))].sort();
const doc = {
  _source:
    'STAND-IN, not Meteor 1.5: the English stop-word list of the npm package `stopword` (MIT). Meteor 1.5 reads function/english.words from meteor-1.5.jar (LGPL-2.1); pass that file as functionWordsFile for exact Meteor scores.',
  words,
};
writeFileSync(new URL('./meteor-function-words-stand-in.json', import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
