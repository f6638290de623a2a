// The Chromium that browser tests drive (test-only, not part of the CLI): $LOCVLM_CHROMIUM, else the one inside npm
// @sparticuz/chromium (a devDependency: a Chromium build in the package, unpacked to a temp folder on first use), else
// Debian's /usr/bin/chromium. So `npm ci && npm test` needs no system browser.
import { existsSync } from 'node:fs';

/** npm package of the Chromium the tests use by default. */
export const CHROMIUM_NPM_PACKAGE = '@sparticuz/chromium';
/** Where Debian's `chromium` package installs the browser. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export type ChromiumSource = 'env' | `npm:${typeof CHROMIUM_NPM_PACKAGE}` | 'system';

export interface ResolvedChromium {
  executablePath: string;
  /** Command-line flags to launch it with. */
  args: string[];
  source: ChromiumSource;
}

/** What resolution reads; tests replace it with fakes. */
export interface ChromiumContext {
  env: Readonly<Record<string, string | undefined>>;
  /** The npm Chromium's executable and flags, or undefined when the package is not installed. */
  npmChromium: () => Promise<{ executablePath: string; args: string[] } | undefined>;
  exists: (path: string) => boolean;
}

// Keep the browser from calling home during tests.
const QUIET_ARGS = [
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// A regular (distribution) Chromium, headless in a container that has no user namespaces for its sandbox.
const DESKTOP_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET_ARGS];

async function installedNpmChromium(): Promise<{ executablePath: string; args: string[] } | undefined> {
  let chromium: { executablePath(): Promise<string>; args: string[] };
  try {
    chromium = (await import(CHROMIUM_NPM_PACKAGE)).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  // Its own flags (headless shell, SwiftShader for WebGL, no sandbox) suit the build it ships.
  return { executablePath: await chromium.executablePath(), args: chromium.args };
}

const defaultContext: ChromiumContext = {
  env: process.env,
  npmChromium: installedNpmChromium,
  exists: existsSync,
};

/** The Chromium to launch: $LOCVLM_CHROMIUM, else npm @sparticuz/chromium, else /usr/bin/chromium. */
export async function resolveChromium(context: ChromiumContext = defaultContext): Promise<ResolvedChromium> {
  const fromEnv = context.env.LOCVLM_CHROMIUM;
  if (fromEnv) return { executablePath: fromEnv, args: DESKTOP_ARGS, source: 'env' };
  const npm = await context.npmChromium();
  if (npm) {
    return {
      executablePath: npm.executablePath,
      args: [...npm.args, ...QUIET_ARGS],
      source: `npm:${CHROMIUM_NPM_PACKAGE}`,
    };
  }
  if (context.exists(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: DESKTOP_ARGS, source: 'system' };
  throw new Error(
    `no Chromium for the browser tests: LOCVLM_CHROMIUM is not set, npm ${CHROMIUM_NPM_PACKAGE} (a devDependency of ` +
      `@locvlm/cli: npm ci installs it) is not installed and ${SYSTEM_CHROMIUM} does not exist`,
  );
}
