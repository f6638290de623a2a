import { describe, expect, it } from 'vitest';
import { EvaluationError } from '../errors.js';
import { fakeModel } from '../testing/fake-model.js';
import { createModelPool, parseBackendSpec } from './pool.js';

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };

function tracked(id: string, delayMs: number, fail = 0) {
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = fail;
  const model = fakeModel(id, async () => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, delayMs));
    inFlight--;
    if (failures > 0) {
      failures--;
      throw new Error(`${id} is down`);
    }
    return id;
  });
  return { model, max: () => maxInFlight };
}

describe('createModelPool', () => {
  it('spreads requests over members without exceeding their in-flight limit', async () => {
    const a = tracked('a', 5);
    const b = tracked('b', 5);
    const pool = createModelPool([a.model, b.model], { maxInFlightPerModel: 2 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => pool.generate(request)));
    expect(a.model.calls.length + b.model.calls.length).toBe(12);
    expect(a.model.calls.length).toBeGreaterThan(0);
    expect(b.model.calls.length).toBeGreaterThan(0);
    expect(a.max()).toBeLessThanOrEqual(2);
    expect(b.max()).toBeLessThanOrEqual(2);
    expect(new Set(answers.map((r) => r.text))).toEqual(new Set(['a', 'b']));
    expect(pool.id).toBe('a+b');
  });

  it('retries a failed request on another member', async () => {
    const down = tracked('down', 1, 100);
    const up = tracked('up', 1);
    const pool = createModelPool([down.model, up.model], { retryDelayMs: 1, id: 'llava' });
    const results = await Promise.all([pool.generate(request), pool.generate(request)]);
    expect(results.map((r) => r.text)).toEqual(['up', 'up']);
    expect(pool.id).toBe('llava');
  });

  it('gives up after the retries with a BACKEND error naming the last member', async () => {
    const down = tracked('down', 1, 100);
    const pool = createModelPool([down.model], { retries: 2, retryDelayMs: 1 });
    const error = await pool.generate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvaluationError);
    expect((error as EvaluationError).code).toBe('BACKEND');
    expect((error as Error).message).toMatch(/all 3 attempts failed \(last on down\): down is down/);
    expect(down.model.calls).toHaveLength(3);
  });

  it('stops retrying when the request is aborted', async () => {
    const down = tracked('down', 1, 100);
    const pool = createModelPool([down.model], { retries: 5, retryDelayMs: 50 });
    const controller = new AbortController();
    const pending = pool.generate({ ...request, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user stop')), 10);
    await expect(pending).rejects.toThrow('user stop');
    expect(down.model.calls.length).toBeLessThan(3);
  });
});

describe('parseBackendSpec', () => {
  it('reads onnx and openai specs', () => {
    expect(parseBackendSpec('onnx:/models/locvlm-b')).toEqual({ kind: 'onnx', dir: '/models/locvlm-b' });
    expect(parseBackendSpec('openai:http://a:8000/v1,https://b/v1#llava-v1.5')).toEqual({
      kind: 'openai',
      urls: ['http://a:8000/v1', 'https://b/v1'],
      model: 'llava-v1.5',
    });
  });

  it('names what is wrong', () => {
    expect(() => parseBackendSpec('onnx:')).toThrow(/expected onnx:DIR/);
    expect(() => parseBackendSpec('openai:ftp://x')).toThrow(/must be http/);
    expect(() => parseBackendSpec('openai:not a url')).toThrow(/is not a URL/);
    expect(() => parseBackendSpec('tgi:http://x')).toThrow(/unknown kind "tgi"/);
  });
});
