// Choosing each component's file by dtype, as transformers.js does, and refusing bad directories before loading.
import { copyFile, cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { loadModel } from '../load-model.js';
import { fixturesDir, tinyModelDir } from '../testing/fixtures.js';
import { LLAVA_COMPONENTS } from './engine.js';
import { loadOnnxModel } from './model.js';
import { externalDataNames, parseDtypeOption, resolveModelFiles, selectDtype } from './model-files.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'locvlm-model-files-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the tiny model whose onnx/ also holds the fp32 graphs under other dtypes' names (same graphs). */
async function withVariants(name: string, variants: Record<string, string[]>): Promise<string> {
  const dir = join(work, name);
  await cp(tinyModelDir, dir, { recursive: true });
  for (const [component, suffixes] of Object.entries(variants))
    for (const suffix of suffixes)
      await copyFile(join(dir, 'onnx', `${component}.onnx`), join(dir, 'onnx', `${component}${suffix}.onnx`));
  return dir;
}

async function setConfig(dir: string, extra: object): Promise<void> {
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), ...extra }));
}

async function errorOf(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

describe('dtype options', () => {
  it('parses one dtype or one per component, and names a bad value', () => {
    expect(parseDtypeOption('q4')).toBe('q4');
    expect(parseDtypeOption('vision_encoder=fp16, decoder_model_merged=q4')).toEqual({
      vision_encoder: 'fp16',
      decoder_model_merged: 'q4',
    });
    expect(() => parseDtypeOption('q5')).toThrow(/--dtype: unknown dtype "q5"; expected one of auto, fp32, fp16/);
    expect(() => parseDtypeOption('decoder_model_merged=int3')).toThrow(
      /--dtype decoder_model_merged: unknown dtype "int3"/,
    );
    expect(() => parseDtypeOption('a=b=c')).toThrow(/expected DTYPE or COMPONENT=DTYPE/);
  });

  it('takes the option, else config.json, else fp32; auto and unnamed components fall through', () => {
    expect(selectDtype('decoder_model_merged', 'q4', 'fp16')).toEqual({ dtype: 'q4', source: 'option' });
    expect(selectDtype('decoder_model_merged', undefined, 'fp16')).toEqual({ dtype: 'fp16', source: 'config.json' });
    expect(selectDtype('decoder_model_merged', 'auto', { decoder_model_merged: 'q8' })).toEqual({
      dtype: 'q8',
      source: 'config.json',
    });
    expect(selectDtype('vision_encoder', { decoder_model_merged: 'q4' }, undefined)).toEqual({
      dtype: 'fp32',
      source: 'default',
    });
  });

  it('names external data chunks as transformers.js does', () => {
    expect(externalDataNames('decoder_model_merged_q4.onnx', 3)).toEqual([
      'decoder_model_merged_q4.onnx_data',
      'decoder_model_merged_q4.onnx_data_1',
      'decoder_model_merged_q4.onnx_data_2',
    ]);
  });
});

describe('choosing files', () => {
  it('loads the file of the asked dtype per component and reports it', async () => {
    const dir = await withVariants('mixed', { vision_encoder: ['_fp16'], decoder_model_merged: ['_q4', '_quantized'] });
    const model = await loadOnnxModel(dir, {
      device: 'cpu',
      dtype: { vision_encoder: 'fp16', decoder_model_merged: 'q4' },
    });
    try {
      expect(model.id).toBe(`${dir}#vision_encoder=fp16,embed_tokens=fp32,decoder_model_merged=q4`);
      const described = model.describe();
      expect(described.family).toBe('llava');
      expect(described.engine).toBe('locvlm');
      expect(described.executionProvider.provider).toBe('cpu');
      expect(described.chatFormat).toEqual({ kind: 'conversation-template', name: 'llava_v1', source: 'config.json' });
      const files = Object.fromEntries(
        Object.entries(described.components).map(([c, f]) => [c, [f.dtype, f.dtypeSource, f.file.slice(dir.length)]]),
      );
      expect(files).toEqual({
        vision_encoder: ['fp16', 'option', '/onnx/vision_encoder_fp16.onnx'],
        embed_tokens: ['fp32', 'default', '/onnx/embed_tokens.onnx'],
        decoder_model_merged: ['q4', 'option', '/onnx/decoder_model_merged_q4.onnx'],
      });
    } finally {
      await model.close();
    }
  });

  it("follows config.json's transformers.js_config.dtype and its per-device override", async () => {
    const dir = await withVariants('config-dtype', {
      vision_encoder: ['_quantized', '_fp16'],
      embed_tokens: ['_quantized', '_fp16'],
      decoder_model_merged: ['_quantized', '_fp16'],
    });
    await setConfig(dir, { 'transformers.js_config': { dtype: 'q8' } });
    const files = await resolveModelFiles(dir, LLAVA_COMPONENTS, { config: { dtype: 'q8' }, device: 'cpu' });
    expect(files.map((f) => [f.dtype, f.dtypeSource])).toEqual([
      ['q8', 'config.json'],
      ['q8', 'config.json'],
      ['q8', 'config.json'],
    ]);
    const perDevice = await resolveModelFiles(dir, LLAVA_COMPONENTS, {
      config: { dtype: 'q8', device_config: { cpu: { dtype: 'fp16' } } },
      device: 'cpu',
    });
    expect(perDevice.map((f) => f.dtype)).toEqual(['fp16', 'fp16', 'fp16']);
    const model = await loadOnnxModel(dir, { device: 'cpu' });
    expect(Object.values(model.describe().components).map((c) => c.dtype)).toEqual(['q8', 'q8', 'q8']);
    expect(model.id).toBe(`${dir}#q8`);
    await model.close();
  });

  it('names the missing file and lists the dtypes present', async () => {
    const dir = await withVariants('missing-variant', { decoder_model_merged: ['_q4f16', '_int8'] });
    const error = await errorOf(loadOnnxModel(dir, { device: 'cpu', dtype: 'q4f16' }));
    expect(error.code).toBe('MODEL_FILES');
    expect(error.message).toMatch(
      /missing-variant\/onnx\/vision_encoder_q4f16\.onnx is missing \(dtype q4f16, asked for\); vision_encoder is present as fp32, fp16, q8, q4$/,
    );
    await setConfig(dir, { 'transformers.js_config': { dtype: 'int8' } });
    const fromConfig = await errorOf(loadOnnxModel(dir, { device: 'cpu' }));
    expect(fromConfig.message).toMatch(/vision_encoder_int8\.onnx is missing \(dtype int8, config\.json asks for\)/);
  });

  it('refuses an unknown dtype or component before reading any graph', async () => {
    expect((await errorOf(loadOnnxModel(tinyModelDir, { dtype: 'fp8' as never }))).message).toMatch(
      /dtype option: unknown dtype "fp8"/,
    );
    expect((await errorOf(loadOnnxModel(tinyModelDir, { dtype: { decoder: 'q4' } }))).message).toMatch(
      /dtype names "decoder", not a component of this model \(vision_encoder, embed_tokens, decoder_model_merged\)/,
    );
    const dir = await withVariants('bad-config-dtype', {});
    await setConfig(dir, { 'transformers.js_config': { dtype: 'int3' } });
    expect((await errorOf(loadOnnxModel(dir))).message).toMatch(
      /bad-config-dtype\/config\.json transformers\.js_config\.dtype: unknown dtype "int3"/,
    );
  });

  it('names external data files config.json promises but the folder lacks', async () => {
    const dir = await withVariants('promised', {});
    await setConfig(dir, {
      'transformers.js_config': { use_external_data_format: { 'decoder_model_merged.onnx': 2 } },
    });
    const error = await errorOf(loadOnnxModel(dir, { device: 'cpu' }));
    expect(error.message).toMatch(
      /promised\/onnx\/decoder_model_merged\.onnx_data is missing: config\.json transformers\.js_config\.use_external_data_format promises 2 external data file\(s\) for decoder_model_merged\.onnx/,
    );
  });

  it('refuses a model family no engine runs, naming it and the families supported', async () => {
    const dir = await withVariants('florence', {});
    await setConfig(dir, { model_type: 'blip2' });
    const error = await errorOf(loadModel(dir));
    expect(error.code).toBe('MODEL_CONFIG');
    expect(error.message).toMatch(
      /model_type "blip2" is not supported; supported families: llava, llava_qwen2, llava_onevision, florence2, qwen2_vl, qwen2_5_vl, qwen3_vl, paligemma, smolvlm, idefics3, gemma3/,
    );
    // The LLaVA engine alone says which loader runs the rest.
    await setConfig(dir, { model_type: 'florence2' });
    expect((await errorOf(loadOnnxModel(dir))).message).toMatch(
      /model_type "florence2" is not a family this engine runs \(supported: llava, llava_qwen2, llava_onevision\); loadModel\(\) also runs/,
    );
  });
});

describe('external data', () => {
  async function externalCopy(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(join(fixturesDir, 'tiny-llava-qwen2-external'), dir, { recursive: true });
    return dir;
  }

  it('lists the chunks each graph reads and counts them in its size', async () => {
    const dir = await externalCopy('ext-ok');
    const [vision, , decoder] = await resolveModelFiles(dir, LLAVA_COMPONENTS, { dtype: 'q4' });
    expect(decoder!.externalData.map((f) => f.slice(dir.length))).toEqual([
      '/onnx/decoder_model_merged_q4.onnx_data',
      '/onnx/decoder_model_merged_q4.onnx_data_1',
    ]);
    expect(decoder!.bytes).toBe(59385 + 36864 + 30024);
    expect(vision!.externalData).toHaveLength(2);
  });

  it('names a missing chunk and the graph that needs it, before loading anything', async () => {
    const dir = await externalCopy('ext-missing');
    await rm(join(dir, 'onnx', 'decoder_model_merged.onnx_data_1'));
    const error = await errorOf(loadOnnxModel(dir, { device: 'cpu' }));
    expect(error.code).toBe('MODEL_FILES');
    // config.json promises two chunks, so the promise is what fails first.
    expect(error.message).toMatch(/ext-missing\/onnx\/decoder_model_merged\.onnx_data_1 is missing: config\.json/);
    await setConfig(dir, { 'transformers.js_config': {} });
    const graphSays = await errorOf(loadOnnxModel(dir, { device: 'cpu' }));
    expect(graphSays.message).toMatch(
      /decoder_model_merged\.onnx_data_1 is missing: decoder_model_merged\.onnx keeps tensor \S+ there/,
    );
  });

  it('names a truncated chunk with the bytes the graph reads', async () => {
    const dir = await externalCopy('ext-truncated');
    await truncate(join(dir, 'onnx', 'decoder_model_merged_q4.onnx_data'), 1000);
    const error = await errorOf(loadOnnxModel(dir, { device: 'cpu', dtype: 'q4' }));
    expect(error.message).toMatch(
      /decoder_model_merged_q4\.onnx_data is truncated: decoder_model_merged_q4\.onnx reads tensor \S+ at bytes \d+\.\.\d+ but the file has 1000 bytes/,
    );
  });

  it('refuses a graph whose external data points outside the model folder', async () => {
    const dir = await externalCopy('ext-escape');
    const path = join(dir, 'onnx', 'embed_tokens.onnx');
    const bytes = await readFile(path);
    // Same length as "embed_tokens.onnx_data", so the protobuf stays valid.
    const from = Buffer.from('embed_tokens.onnx_data');
    const to = Buffer.from('../../../../etc/passwd');
    expect(to.length).toBe(from.length);
    const at = bytes.indexOf(from);
    expect(at).toBeGreaterThan(0);
    to.copy(bytes, at);
    await writeFile(path, bytes);
    const error = await errorOf(loadOnnxModel(dir, { device: 'cpu' }));
    expect(error.message).toMatch(
      /embed_tokens\.onnx: tensor \S+ points outside the model folder \(external data location "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd"\)/,
    );
  });
});
