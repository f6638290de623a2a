import { describe, expect, it } from 'vitest';
import { type ChromiumContext, resolveChromium } from './test-browser.js';

const npm = async () => ({ executablePath: '/tmp/chromium', args: ['--single-process'] });
const noNpm = async () => undefined;
const context = (env: Record<string, string>, npmChromium: ChromiumContext['npmChromium'], system: boolean) => ({
  env,
  npmChromium,
  exists: (path: string) => system && path === '/usr/bin/chromium',
});

describe('the Chromium the browser tests launch', () => {
  it('LOCVLM_CHROMIUM beats the npm package, which beats /usr/bin/chromium', async () => {
    const env = { LOCVLM_CHROMIUM: '/opt/chrome/chrome' };
    expect(await resolveChromium(context(env, npm, true))).toMatchObject({
      executablePath: '/opt/chrome/chrome',
      source: 'env',
    });
    const fromNpm = await resolveChromium(context({}, npm, true));
    expect(fromNpm).toMatchObject({ executablePath: '/tmp/chromium', source: 'npm:@sparticuz/chromium' });
    expect(fromNpm.args.slice(0, 1)).toEqual(['--single-process']); // the package's own flags first
    expect(await resolveChromium(context({ LOCVLM_CHROMIUM: '' }, noNpm, true))).toMatchObject({
      executablePath: '/usr/bin/chromium',
      source: 'system',
    });
  });

  it('says how to get one when there is none', async () => {
    await expect(resolveChromium(context({}, noNpm, false))).rejects.toThrow(
      /LOCVLM_CHROMIUM is not set, npm @sparticuz\/chromium \(a devDependency of @locvlm\/cli: npm ci installs it\) is not installed and \/usr\/bin\/chromium does not exist/,
    );
  });
});
