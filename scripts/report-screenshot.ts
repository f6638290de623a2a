// Regenerates docs/report.png, the root README's picture of a real eval report: the built CLI runs the bundled model
// on the bundled demo scenes (`locvlm eval grounding-coco`, relative paths as the README writes them), and the
// headless Chromium of the browser tests captures the top of the report.html it wrote (header, metrics and their
// bars, the first two rows of sample cards). Run from the repository root:
//   npm run build && npx tsx scripts/report-screenshot.ts
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { resolveChromium } from '../apps/cli/src/test-browser.ts';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'apps/cli/dist/bin.js');
const work = mkdtempSync(join(tmpdir(), 'locvlm-report-shot-'));

function locvlm(...argv: string[]): void {
  const result = spawnSync(process.execPath, [bin, ...argv], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`locvlm ${argv.join(' ')} exited with ${result.status}`);
}

try {
  // Relative paths, as the README writes them.
  cpSync(join(root, 'apps/shapes-lab/demo-scenes'), join(work, 'scenes'), { recursive: true });
  locvlm(
    ...['eval', 'grounding-coco', '--data', 'scenes/scenes.json', '--images', 'scenes', '--codec', 'ivb:bins=32'],
    ...['--out', 'locvlm-shapes-tiny', '--no-progress'],
  );

  const browser = await resolveChromium();
  const context = await chromium.launch({ executablePath: browser.executablePath, args: browser.args, headless: true });
  const page = await context.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(join(work, 'locvlm-shapes-tiny', 'report.html')).href, { waitUntil: 'load' });
  const loaded = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLImageElement>('.card img')).every((img) => img.naturalWidth > 0),
  );
  if (!loaded) throw new Error('a sample picture did not load');
  // Down to the end of the second row of sample cards.
  const bottom = await page.evaluate(() => {
    const cards = Array.from(document.querySelectorAll('section.browser .card')).slice(0, 6);
    return Math.ceil(Math.max(...cards.map((c) => c.getBoundingClientRect().bottom)) + window.scrollY + 12);
  });
  const png = await page.screenshot({ fullPage: true, clip: { x: 0, y: 0, width: 1100, height: bottom } });
  await context.close();
  const out = join(root, 'docs/report.png');
  writeFileSync(out, await sharp(png).png({ palette: true, colours: 128, compressionLevel: 9 }).toBuffer());
  console.log(`wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
