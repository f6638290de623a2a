import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createHostCheck, hostPart, isLoopbackHost, networkExposureWarning } from './host-check.js';

describe('Host header check', () => {
  it('reads the host part of a Host header or --host value', () => {
    expect(hostPart('LocalHost:8080')).toBe('localhost');
    expect(hostPart('[::1]:8080')).toBe('::1');
    expect(hostPart('[::1]')).toBe('::1');
    expect(hostPart('::1')).toBe('::1');
    expect(hostPart('127.0.0.1:80')).toBe('127.0.0.1');
    expect(hostPart('example.org.')).toBe('example.org');
    expect(hostPart('fe80::1')).toBe('fe80::1');
  });

  it('on loopback accepts loopback names and the bound address, with any port, and nothing else', () => {
    const check = createHostCheck('127.0.0.1');
    for (const ok of ['localhost', 'localhost:8080', '127.0.0.1', '127.0.0.1:1', '[::1]', '[::1]:8080', undefined])
      expect(check.allows(ok), String(ok)).toBe(true);
    for (const bad of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.2', '', ':8080'])
      expect(check.allows(bad), bad).toBe(false);
    expect(check.describe()).toBe('localhost, 127.0.0.1, [::1]');
    expect(createHostCheck('127.0.0.2').allows('127.0.0.2:9')).toBe(true);
  });

  it('on every interface also accepts IP literals and this machine name, never other names', () => {
    const check = createHostCheck('0.0.0.0');
    for (const ok of ['192.168.1.20:8080', '[fe80::1]:8080', '10.0.0.2', hostname(), 'localhost'])
      expect(check.allows(ok), ok).toBe(true);
    expect(check.allows('evil.example')).toBe(false);
    expect(createHostCheck('::').allows('203.0.113.9')).toBe(true);
  });

  it('--allowed-hosts adds exact names, domains with a leading dot, or * for any', () => {
    const check = createHostCheck('127.0.0.1', ['vlm.example.org', '.corp.example']);
    expect(check.allows('vlm.example.org:443')).toBe(true);
    expect(check.allows('a.vlm.example.org')).toBe(false);
    expect(check.allows('gpu1.corp.example')).toBe(true);
    expect(check.allows('corp.example')).toBe(true);
    expect(check.allows('notcorp.example')).toBe(false);
    expect(check.describe()).toBe('localhost, 127.0.0.1, [::1], vlm.example.org, *.corp.example');
    expect(createHostCheck('127.0.0.1', ['*']).allows('anything.example')).toBe(true);
  });

  it('warns for a --host beyond loopback only', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(networkExposureWarning(host), host).toBeUndefined();
    }
    expect(networkExposureWarning('0.0.0.0')).toBe(
      'warning: --host 0.0.0.0 listens on every network interface of this machine: the server is reachable from ' +
        'the network and has no authentication; anyone who can reach the port can run the model. Put it behind a ' +
        'proxy that authenticates, or keep the default --host 127.0.0.1.',
    );
    expect(networkExposureWarning('192.168.1.20', '/data/images')).toMatch(
      /^warning: --host 192\.168\.1\.20 listens on 192\.168\.1\.20: .* run the model and read images under \/data\/images\./,
    );
  });
});
