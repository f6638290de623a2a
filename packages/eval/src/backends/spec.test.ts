import { describe, expect, it } from 'vitest';
import { parseBackendSpec } from './spec.js';

describe('parseBackendSpec', () => {
  it('reads onnx and openai specs', () => {
    expect(parseBackendSpec('onnx:/models/locvlm-b')).toEqual({ kind: 'onnx', dir: '/models/locvlm-b' });
    expect(parseBackendSpec('openai:http://a:8000/v1,https://b/v1#llava-v1.5')).toEqual({
      kind: 'openai',
      urls: ['http://a:8000', 'https://b'],
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
