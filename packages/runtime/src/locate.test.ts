import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identity, llavaFrame } from '@locvlm/coord-codec';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from './errors.js';
import { clipPlan } from './image/preprocess.js';
import { ask } from './locate.js';
import { loadOnnxModel } from './onnx/model.js';
import { createOpenAIModel } from './openai/model.js';
import { tinyModelDir } from './testing/fixtures.js';

let answer = '';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { content: answer }, finish_reason: 'stop' }] }));
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function png(width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: { r: 10, g: 20, b: 30 } } })
      .png()
      .toBuffer(),
  );
}

describe('ask: locations in original-image pixels', () => {
  it("maps IVB boxes back through LLaVA's pad, resize and crop (hand-computed)", async () => {
    const model = createOpenAIModel({ endpoints: [baseUrl], model: 'm' });
    answer = 'It is located at (4, 120, 13, 150) and (10, 20, 30, 40';
    // 448x224 -> pad to 448x448 (image at top 112) -> resize to 224 (x0.5) -> crop 224 (no-op).
    const r = await ask(model, {
      image: { bytes: await png(448, 224) },
      question: 'Where is the cat?',
      codec: { kind: 'ivb', bins: 224 },
      frame: llavaFrame(224),
    });
    expect(r.imageSize).toEqual({ width: 448, height: 224 });
    expect(r.frameSize).toEqual({ width: 224, height: 224 });
    expect(r.locations).toHaveLength(1);
    // IVB decodes to bin centres: (4.5, 120.5, 13.5, 150.5) in the 224 frame.
    expect(r.locations[0]!.inputLocation).toEqual({ box: [4.5, 120.5, 13.5, 150.5] });
    expect(r.locations[0]!.location).toEqual({ box: [9, 129, 27, 189] });
    expect(r.text.slice(r.locations[0]!.start, r.locations[0]!.end)).toBe(r.locations[0]!.text);
    expect(r.issues.map((i) => i.code)).toEqual(['PARTIAL']);
  });

  it('reads numbers relative to the original image when the frame is the identity (a remote model by default)', async () => {
    const model = createOpenAIModel({ endpoints: [baseUrl], model: 'm' });
    answer = 'at (0.5, 0.25)';
    const r = await ask(model, { image: { bytes: await png(200, 100) }, question: 'Point at it', codec: 'nfp' });
    expect(r.locations[0]!.location).toEqual({ point: [100, 25] });
    const same = await ask(model, {
      image: { bytes: await png(200, 100) },
      question: 'Point at it',
      codec: 'nfp',
      frame: identity(),
    });
    expect(same.locations).toEqual(r.locations);
  });

  it('refuses an empty question and an unreadable image', async () => {
    const model = createOpenAIModel({ endpoints: [baseUrl], model: 'm' });
    await expect(ask(model, { image: { bytes: await png(4, 4) }, question: ' ', codec: 'ivb' })).rejects.toThrow(
      RuntimeError,
    );
    await expect(
      ask(model, { image: { bytes: new Uint8Array([1, 2, 3]) }, question: 'x', codec: 'ivb' }),
    ).rejects.toMatchObject({ code: 'IMAGE' });
  });
});

describe("the local model's frame", () => {
  it('asks the local model through its chat template and reports sizes in both frames', async () => {
    const model = await loadOnnxModel(tinyModelDir, { device: 'cpu' });
    try {
      const r = await ask(model, {
        image: { bytes: await png(90, 60) },
        question: 'Where is the object described cat located in image in terms of (x1,y1,x2,y2) bbox?',
        codec: 'ivb',
        maxNewTokens: 12,
        details: true,
      });
      expect(r.imageSize).toEqual({ width: 90, height: 60 });
      expect(r.frameSize).toEqual({ width: 56, height: 56 });
      expect(r.tokenIds).toHaveLength(12);
      for (const l of r.locations) expect(r.text.slice(l.start, l.end)).toBe(l.text);
    } finally {
      await model.close();
    }
  });

  it('plans exactly what its own preprocessing plan gives, and inverts back to the original', async () => {
    const model = await loadOnnxModel(tinyModelDir, { device: 'cpu' });
    const noPad = await loadOnnxModel(tinyModelDir, { device: 'cpu', imageAspectRatio: 'none' });
    try {
      for (const size of [
        { width: 640, height: 480 },
        { width: 97, height: 61 },
        { width: 30, height: 90 },
        { width: 56, height: 56 },
      ]) {
        const ops = (pad: boolean) => clipPlan(size, model.config.image, pad);
        // coord-codec writes no-op steps too; the pixel results are the same.
        const meaningful = (plan: ReturnType<typeof ops>) =>
          plan.filter(
            (o) =>
              !(
                o.from.width === o.to.width &&
                o.from.height === o.to.height &&
                (o.op !== 'crop' || (o.rect.left === 0 && o.rect.top === 0))
              ),
          );
        expect(meaningful(model.frameTransform().plan(size) as ReturnType<typeof ops>)).toEqual(ops(true));
        expect(meaningful(noPad.frameTransform().plan(size) as ReturnType<typeof ops>)).toEqual(ops(false));
        const box = { box: [10, 12, 40, 50] as [number, number, number, number] };
        const back = model.frameTransform().inverse(model.frameTransform().forward(box, size), size);
        back.box.forEach((v, i) => {
          expect(v).toBeCloseTo(box.box[i]!, 9);
        });
      }
    } finally {
      await model.close();
      await noPad.close();
    }
  });
});
