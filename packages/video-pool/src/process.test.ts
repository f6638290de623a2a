import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VideoPoolError } from './errors.js';
import {
  FFMPEG_NPM_PACKAGE,
  FFPROBE_NPM_PACKAGE,
  frameRateModeOption,
  installedNpmBinary,
  type ResolveContext,
  resolveFfmpeg,
  resolveFfprobe,
  runProcess,
} from './process.js';

/** A context with fake paths: every source present unless left out. */
function context(env: Record<string, string | undefined>, npm: boolean): ResolveContext {
  return {
    env,
    npmBinary: (name) => (npm ? { path: `/fake/node_modules/${name}/bin`, version: '20230721' } : undefined),
  };
}

const allEnv = { FFMPEG_PATH: '/env/ffmpeg', FFPROBE_PATH: '/env/ffprobe' };
const options = { ffmpegPath: '/option/ffmpeg', ffprobePath: '/option/ffprobe' };

describe('where ffmpeg and ffprobe come from', () => {
  it('an explicit option beats the environment, the npm package and the system', () => {
    expect(resolveFfmpeg(options, context(allEnv, true))).toEqual({
      tool: 'ffmpeg',
      path: '/option/ffmpeg',
      source: 'option',
    });
    expect(resolveFfprobe(options, context(allEnv, true))).toMatchObject({ path: '/option/ffprobe', source: 'option' });
  });

  it('FFMPEG_PATH / FFPROBE_PATH beat the npm package and the system; an empty variable counts as unset', () => {
    expect(resolveFfmpeg({}, context(allEnv, true))).toEqual({ tool: 'ffmpeg', path: '/env/ffmpeg', source: 'env' });
    expect(resolveFfprobe({}, context(allEnv, true))).toMatchObject({ path: '/env/ffprobe', source: 'env' });
    expect(resolveFfmpeg({}, context({ FFMPEG_PATH: '' }, true)).source).toBe(`npm:${FFMPEG_NPM_PACKAGE}`);
  });

  it('the pinned npm package beats the system, and its static build gets no host iconv modules', () => {
    expect(resolveFfmpeg({}, context({}, true))).toEqual({
      tool: 'ffmpeg',
      path: `/fake/node_modules/${FFMPEG_NPM_PACKAGE}/bin`,
      source: 'npm:@ffmpeg-installer/ffmpeg',
      version: '20230721',
      env: { GCONV_PATH: '/nonexistent' },
    });
    expect(resolveFfprobe({}, context({}, true))).toMatchObject({
      path: `/fake/node_modules/${FFPROBE_NPM_PACKAGE}/bin`,
      source: 'npm:@ffprobe-installer/ffprobe',
    });
  });

  it('the system binary (the bare name, looked up on the PATH) comes last', () => {
    expect(resolveFfmpeg({}, context({}, false))).toEqual({ tool: 'ffmpeg', path: 'ffmpeg', source: 'system' });
    expect(resolveFfprobe({}, context({}, false))).toEqual({ tool: 'ffprobe', path: 'ffprobe', source: 'system' });
  });

  it('finds the installed npm packages (optional dependencies), and nothing for a package that is not there', () => {
    // This repository installs both, so with no FFMPEG_PATH / FFPROBE_PATH they are what the tests run.
    for (const name of [FFMPEG_NPM_PACKAGE, FFPROBE_NPM_PACKAGE]) {
      expect(installedNpmBinary(name)?.path).toMatch(
        new RegExp(`${name.split('/')[0]}/[\\w-]+/ff(mpeg|probe)(\\.exe)?$`),
      );
    }
    if (!process.env.FFMPEG_PATH) expect(resolveFfmpeg().source).toBe('npm:@ffmpeg-installer/ffmpeg');
    if (!process.env.FFPROBE_PATH) expect(resolveFfprobe().source).toBe('npm:@ffprobe-installer/ffprobe');
    expect(installedNpmBinary('@locvlm/no-such-installer')).toBeUndefined();
  });

  it('a binary that cannot be started names its path, where it came from, and the npm packages to install', async () => {
    const missing = resolveFfmpeg({}, context({ FFMPEG_PATH: '/nowhere/ffmpeg' }, false));
    const error = await runProcess(missing, ['-version'], { file: 'clip.mp4' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoPoolError);
    expect((error as VideoPoolError).code).toBe('FFMPEG_NOT_FOUND');
    expect((error as Error).message).toBe(
      "cannot run '/nowhere/ffmpeg' (from $FFMPEG_PATH) to read clip.mp4: not found; install the npm packages " +
        '@ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (optional dependencies of @locvlm/video-pool) or ' +
        'the system ffmpeg (Debian: apt-get install ffmpeg), or pass ffmpegPath/ffprobePath (or set ' +
        'FFMPEG_PATH/FFPROBE_PATH)',
    );
    const system = { tool: 'ffprobe', path: 'locvlm-no-such-ffprobe', source: 'system' } as const;
    await expect(runProcess(system, [], { file: 'clip.mp4' })).rejects.toThrow(/\(from the PATH\).*not found/);
  });
});

describe('frameRateModeOption', () => {
  const dir = mkdtempSync(join(tmpdir(), 'video-pool-help-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fakeFfmpeg = (name: string, help: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\ncat <<'EOF'\n${help}\nEOF\n`);
    chmodSync(path, 0o755);
    return { tool: 'ffmpeg', path, source: 'option' } as const;
  };

  it('uses -fps_mode where ffmpeg has it (5.1 and later) and -vsync before that (the npm 4.1 build)', async () => {
    const newer = fakeFfmpeg(
      'ffmpeg-5.1',
      '-vsync              set video sync method globally; deprecated, use -fps_mode\n' +
        '-fps_mode[:<stream_spec>] <mode>  set framerate mode for matching video streams; overrides vsync',
    );
    const older = fakeFfmpeg('ffmpeg-4.1', '-vsync              video sync method');
    expect(await frameRateModeOption(newer, 'clip.mp4')).toBe('-fps_mode');
    expect(await frameRateModeOption(older, 'clip.mp4')).toBe('-vsync');
  });
});
