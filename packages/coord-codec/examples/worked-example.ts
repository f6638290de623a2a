// The paper's worked example (LocVLM, Sec. 3.2): a cat box in a 512x512 image, in every representation.
// Run: npx tsx examples/worked-example.ts (from packages/coord-codec, after npm run build)
import { CODEC_KINDS, convert, createCodec, llavaFrame, padToSquare, parseLocations } from '@locvlm/coord-codec';

const image = { width: 512, height: 512 };
const cat = { box: [10, 120, 30, 145] as [number, number, number, number], label: 'cat' };

const ivb = createCodec({ kind: 'ivb', bins: 224 });
console.log(ivb.encode(cat, image)); // (4, 52, 13, 63)
console.log(createCodec({ kind: 'nfp' }).encode(cat, image)); // (0.0195, 0.2344, 0.0586, 0.2832)
console.log(createCodec({ kind: 'diga', bins: 224 }).encode(cat, image)); // (0, 4, -3, -11, 6, 0)
console.log(ivb.encode({ point: [20, 132.5] }, image)); // (8, 57): points are box centres

// Every representation, and back (within half a quantisation step).
for (const kind of CODEC_KINDS) {
  const codec = createCodec(kind);
  const text = codec.encode(cat, image);
  console.log(kind.padEnd(9), text.padEnd(72), JSON.stringify(codec.decode(text, image)[0]));
}

// The Qwen-VL family: Qwen2-VL's tokens and Qwen3-VL's JSON, both 0..1000 relative to the image.
console.log(createCodec('qwen2-vl').encode(cat, image)); // <|object_ref_start|>cat<|object_ref_end|><|box_start|>(20,234),(59,283)<|box_end|>
console.log(createCodec({ kind: 'qwen', scale: 1000 }).encode(cat, image)); // {"bbox_2d": [20, 234, 59, 283], "label": "cat"}

// Reading a model's answer: spans and typed issues, never a throw.
const answer = 'The cat is at (4, 52, 13, 63) and the dog at (100, 52, 300';
const { locations, issues } = parseLocations(answer, ivb, image);
console.log(locations[0]?.text, locations[0]?.location, issues[0]?.code); // (4, 52, 13, 63) { box: [...] } PARTIAL

// Shikra normalises to LLaVA-1.5's padded square: convert its answer for a 640x480 photo to IVB in that frame.
console.log(
  convert('[0.100,0.200,0.300,0.400]', {
    from: 'shikra',
    to: { kind: 'ivb', bins: 224 },
    image: { width: 640, height: 480 },
    fromFrame: padToSquare(),
    toFrame: padToSquare(),
  }),
); // (22, 44, 67, 89)

// LLaVA-1.5 preprocessing of a 640x480 photo at 336 px: pixel plan and location mapping share the numbers.
const frame = llavaFrame(336);
console.log(JSON.stringify(frame.plan({ width: 640, height: 480 })));
console.log(frame.forward({ box: [10, 20, 30, 40] }, { width: 640, height: 480 })); // { box: [ 5.25, 52.5, 15.75, 63 ] }
