import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '../testing/fixtures.js';
import { loadModelConfig } from './config.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'locvlm-config-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the fixture's JSON files with `edit` applied to one of them. */
async function variant(file: string, edit: (json: Record<string, unknown>) => void): Promise<string> {
  const dir = join(root, `v${n++}`);
  await cp(tinyModelDir, dir, { recursive: true, filter: (src) => !src.includes('/onnx') });
  const json = JSON.parse(await readFile(join(dir, file), 'utf8'));
  edit(json);
  await writeFile(join(dir, file), JSON.stringify(json));
  return dir;
}

describe('model config', () => {
  it('reads the fixture: image tokens, heads, eos and CLIP numbers', async () => {
    const c = await loadModelConfig(tinyModelDir);
    expect(c).toMatchObject({
      modelType: 'llava',
      imageToken: '<image>',
      imageTokensPerImage: 16,
      hiddenSize: 64,
      numLayers: 2,
      numKeyValueHeads: 2,
      headDim: 16,
      maxPositions: 512,
      eosTokenIds: [2],
      conversationTemplate: 'llava_v1',
      imageAspectRatio: 'pad',
    });
    expect(c.image).toMatchObject({
      resizeShortestEdge: 56,
      cropWidth: 56,
      cropHeight: 56,
      resample: 3,
      doNormalize: true,
    });
  });

  it('takes a number for size, a list of eos ids and patch_size from vision_config when processor_config is absent', async () => {
    const dir = await variant('preprocessor_config.json', (j) => {
      j.size = 56;
      j.crop_size = 28;
    });
    await rm(join(dir, 'processor_config.json'));
    const gen = JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'));
    gen.eos_token_id = [2, 5];
    await writeFile(join(dir, 'generation_config.json'), JSON.stringify(gen));
    const c = await loadModelConfig(dir);
    expect(c.image.resizeShortestEdge).toBe(56);
    expect([c.image.cropWidth, c.image.cropHeight]).toEqual([28, 28]);
    expect(c.imageTokensPerImage).toBe(4);
    expect(c.eosTokenIds).toEqual([2, 5]);
  });

  it('names the file and the field that is wrong', async () => {
    const noImageToken = await variant('config.json', (j) => {
      delete j.image_token_index;
    });
    await expect(loadModelConfig(noImageToken)).rejects.toThrow(/config\.json: image_token_index is missing/);
    const badHeads = await variant('config.json', (j) => {
      (j.text_config as Record<string, unknown>).num_attention_heads = 'four';
    });
    await expect(loadModelConfig(badHeads)).rejects.toMatchObject({
      code: 'MODEL_CONFIG',
      message: expect.stringMatching(/config\.json: text_config\.num_attention_heads/),
    });
    const badResample = await variant('preprocessor_config.json', (j) => {
      j.resample = 1;
    });
    await expect(loadModelConfig(badResample)).rejects.toThrow(/resample 1 is not supported/);
  });
});
