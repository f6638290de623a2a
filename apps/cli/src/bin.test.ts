// Runs the real entry point in a child process: exit code and a stack-less message on stderr.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));

function locvlm(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('the locvlm binary', () => {
  it('encodes and exits 0', () => {
    const result = locvlm(
      'codec',
      'encode',
      '--kind',
      'ivb',
      '--bins',
      '224',
      '--size',
      '512x512',
      '--box',
      '10,120,30,145',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('(4, 52, 13, 63)\n');
    expect(result.status).toBe(0);
  });
  it('prints its version with --version', () => {
    const result = locvlm('--version');
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(result.stdout).toBe(`${version}\n`);
    expect(result.status).toBe(0);
  });
  it('prints a bad-input error without a stack and exits 2', () => {
    const result = locvlm('codec', 'encode', '--kind', 'ivb', '--size', '512x512', '--box', '10,120,600,145');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: box x2 (600) is outside the image (width 512) in { box: [10, 120, 600, 145] }; pass clamp: true to clamp it\n',
    );
  });
});
