// The README example: Localize-Instruct records for one image, and the prompts LLaVA sees.
// Run with `npx tsx examples/localize-instruct.ts` in this folder after `npm run build`.
import { createCodec } from '@locvlm/coord-codec';
import { hallucinationQuestion, localizeInstructRecords, renderConversation } from '@locvlm/prompts';

const records = localizeInstructRecords({
  key: '397133', // stable: record ids are '397133:locpred' and '397133:revloc'
  image: 'train2014/COCO_train2014_000000397133.jpg', // kept as given, relative to the trainer's image folder
  imageSize: { width: 512, height: 512 }, // the frame the boxes are in
  objects: [
    { description: { category: 'cat' }, location: { box: [10, 120, 30, 145] } },
    { description: { caption: 'A brown dog lying next to the sofa.' }, location: { box: [200, 300, 480, 500] } },
  ],
  negatives: ['zebra'], // absent categories -> NegPred questions
  codec: createCodec({ kind: 'ivb', bins: 224 }),
  seed: 2024,
});
console.log(JSON.stringify(records, null, 2));

// The prompt a LLaVA-1.5 model continues ...
console.log(renderConversation('llava_v1', [{ from: 'human', value: `<image>\n${hallucinationQuestion('apple')}` }]));
// ... and the text LLaVA's trainer tokenises for the first record.
console.log(renderConversation('llava_v1', records[0]?.conversations ?? []));
