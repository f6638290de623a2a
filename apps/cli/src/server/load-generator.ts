// The mixed load's client as a process of its own (load-probes.ts starts it at a lower CPU priority): reads
// { url, burst, smallImage (base64) } as a line on stdin, builds the bodies, prints "ready", waits for a line,
// sends, and prints the answers (MixedLoadAnswers) as one JSON line.
import { createInterface } from 'node:readline';
import { sendMixedLoad } from './load-probes.js';

const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const first = await input.next();
if (first.done) throw new Error('load-generator: no settings on stdin');
const { url, burst, smallImage } = JSON.parse(first.value) as { url: string; burst: number; smallImage: string };
const answers = await sendMixedLoad(url, {
  burst,
  smallImage: Buffer.from(smallImage, 'base64'),
  ready: async () => {
    process.stdout.write('ready\n');
    await input.next();
  },
});
process.stdout.write(`${JSON.stringify(answers)}\n`);
process.exit(0);
