// Child process of the bench: load one model and report the peak RSS the load added, so no other allocation of
// the bench process counts. Prints one JSON line: { weightsBytes, baselineRss, peakRss, loadMs }.
import { readFileSync } from 'node:fs';
import 'onnxruntime-node';
import { loadOnnxModel } from '../src/index.js';

/**
 * The process's peak RSS so far from /proc (VmHWM, reset by exec); process.resourceUsage().maxRSS would not do:
 * Linux carries it over from the parent at fork, so a child of a big bench process would report the parent's size.
 */
function highWaterMark(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.replace(/\D+/g, '')) * 1024 : 0;
}

const [dir, dtype] = process.argv.slice(2);
if (!dir) throw new Error('usage: load-rss.ts MODEL_DIR [DTYPE]');

let peak = process.memoryUsage.rss();
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 2);
// onnxruntime's native library is loaded above: what follows is the model alone.
const baseline = process.memoryUsage.rss();
const t0 = performance.now();
const model = await loadOnnxModel(dir, { device: 'cpu', ...(dtype ? { dtype: dtype as 'fp32' } : {}) });
const loadMs = performance.now() - t0;
clearInterval(timer);
// The high-water mark also catches a peak between two samples.
peak = Math.max(peak, highWaterMark());
const weightsBytes = Object.values(model.describe().components).reduce((a, c) => a + c.bytes, 0);
await model.close();
console.log(JSON.stringify({ weightsBytes, baselineRss: baseline, peakRss: peak, loadMs }));
