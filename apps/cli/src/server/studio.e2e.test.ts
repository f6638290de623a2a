/// <reference lib="dom" />
// The Studio page end to end in headless Chromium (npm @sparticuz/chromium unless LOCVLM_CHROMIUM names another,
// driven by playwright-core): open an image, draw a box and describe it, locate an object, ask a streamed question,
// open eval reports. Screenshots go to apps/cli/test-screenshots/ (gitignored).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec } from '@locvlm/coord-codec';
import { loadOnnxModel, type OnnxVisionLanguageModel, type VisionLanguageModel } from '@locvlm/runtime';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultScenesDir, loadDemoScenes } from '../demo-run.js';
import { resolveChromium } from '../test-browser.js';
import { GatedModel, shapesPng, tinyModelDir } from '../test-helpers.js';
import { type ChatCompletionServer, createChatCompletionServer } from './chat-server.js';
import { studioPageDir, studioRoutes } from './studio-routes.js';

const screenshots = fileURLToPath(new URL('../../test-screenshots/', import.meta.url));
const codec = createCodec({ kind: 'ivb', bins: 224 });

async function startStudio(model: VisionLanguageModel, reportsDir?: string, demoScenesDir?: string) {
  const server = createChatCompletionServer(model, {
    port: 0,
    staticDir: studioPageDir(),
    ...(reportsDir ? { staticMounts: { '/reports': reportsDir } } : {}),
    routes: studioRoutes({
      codec,
      modelName: 'tiny-llava',
      ...(reportsDir ? { reportsDir } : {}),
      ...(demoScenesDir ? { demoScenesDir } : {}),
    }),
    modelName: 'tiny-llava',
  });
  return { server, url: await server.listen() };
}

async function drag(page: Page, from: [number, number], to: [number, number]) {
  const box = await page.locator('#overlay').boundingBox();
  if (!box) throw new Error('no overlay on the page');
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + (from[0] + to[0]) / 2, box.y + (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(box.x + to[0], box.y + to[1], { steps: 4 });
  await page.mouse.up();
}

describe('Studio in headless Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let work: string;
  let model: OnnxVisionLanguageModel;
  let studio: { server: ChatCompletionServer; url: string };
  let scene: string;

  beforeAll(async () => {
    const browser = await resolveChromium();
    // In this repository the npm Chromium runs unless LOCVLM_CHROMIUM chooses another.
    expect(browser.source).toBe(process.env.LOCVLM_CHROMIUM ? 'env' : 'npm:@sparticuz/chromium');
    await mkdir(screenshots, { recursive: true });
    work = await mkdtemp(join(tmpdir(), 'locvlm-studio-'));
    profile = join(work, 'profile');
    scene = join(work, 'scene.png');
    await writeFile(scene, await shapesPng(480, 360));
    const reports = join(work, 'reports');
    await mkdir(join(reports, 'run-1'), { recursive: true });
    await writeFile(
      join(reports, 'run-1', 'report.html'),
      '<!doctype html><title>Eval report</title><h1 id="title">POPE accuracy 0.87</h1>',
    );
    await writeFile(join(work, 'local-report.html'), '<!doctype html><h1 id="title">Local report: RefCOCO</h1>');
    model = await loadOnnxModel(tinyModelDir);
    studio = await startStudio(model, reports);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath,
      headless: true,
      args: browser.args,
      viewport: { width: 1280, height: 900 },
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await studio?.server.close(0);
    await model?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('describes a drawn box, locates an object, streams an answer, and opens reports', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(studio.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#model-info')).toContain('tiny-llava');

    await page.setInputFiles('#image-file', scene);
    await page.waitForSelector('#locate:not([disabled])');
    expect(await page.textContent('#image-info')).toContain('480x360');

    // Draw a box over the left half: the page reports it in image pixels.
    const shown = await page.locator('#image').boundingBox();
    expect(shown).not.toBeNull();
    const k = 480 / (shown?.width ?? 480);
    await drag(page, [20, 40], [200, 250]);
    const boxText = (await page.textContent('#box-text')) ?? '';
    const [x1, y1, x2, y2] = (boxText.match(/box (\d+),(\d+),(\d+),(\d+)/)?.slice(1) ?? []).map(Number);
    for (const [got, want] of [
      [x1, 20 * k],
      [y1, 40 * k],
      [x2, 200 * k],
      [y2, 250 * k],
    ] as const)
      expect(Math.abs((got ?? -99) - want)).toBeLessThanOrEqual(Math.ceil(k) + 1);

    await page.click('#describe');
    await page.waitForFunction(() => document.querySelector('#describe-answer')?.textContent?.includes('A: '));
    expect(await page.textContent('#describe-answer')).toMatch(
      /Q: Describe the object located at \(\d+, \d+, \d+, \d+\)\?/,
    );

    await page.fill('#object', 'red circle');
    await page.click('#locate');
    await page.waitForFunction(() => document.querySelector('#locate-answer')?.textContent?.includes('A: '));
    expect(await page.textContent('#locate-answer')).toContain(
      'Q: Where is the object described red circle located in image in terms of (x1,y1,x2,y2) bbox?',
    );

    await page.fill('#question', 'Is the circle left of the square?');
    await page.click('#ask');
    await page.waitForSelector('#ask-answer[data-done="true"]');
    expect(((await page.textContent('#ask-answer')) ?? '').length).toBeGreaterThan(0);

    // A report the server lists, then a local file.
    await page.selectOption('#report-list', 'run-1/report.html');
    const frame = page.frameLocator('#report');
    await expect.poll(() => frame.locator('#title').textContent({ timeout: 5000 })).toBe('POPE accuracy 0.87');
    await page.screenshot({ path: join(screenshots, 'studio-tiny-model.png'), fullPage: true });
    await page.setInputFiles('#report-file', join(work, 'local-report.html'));
    await expect.poll(() => frame.locator('#title').textContent({ timeout: 5000 })).toBe('Local report: RefCOCO');
    expect(await page.textContent('#status')).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('opens on the demo scene with its ground-truth boxes drawn and an object to locate', async () => {
    const withScene = await startStudio(
      new GatedModel('It is located at (1, 2, 3, 4)', true),
      undefined,
      defaultScenesDir(),
    );
    const [scene] = await loadDemoScenes(defaultScenesDir());
    const page = await context.newPage();
    await page.goto(withScene.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#image-info')).toContain(`scene ${scene?.imageId}`);
    expect(await page.inputValue('#object')).toBe(scene?.objects.find((o) => o.single)?.category);
    expect(await page.isEnabled('#locate')).toBe(true);
    // Every ground-truth box has the truth colour on its top edge, in display pixels.
    const colours = await page.evaluate(
      (boxes) => {
        const canvas = document.querySelector('#overlay') as HTMLCanvasElement;
        const image = document.querySelector('#image') as HTMLImageElement;
        const s = image.naturalWidth / image.clientWidth;
        return boxes.map((b) =>
          Array.from(
            canvas.getContext('2d')?.getImageData(Math.round((b[0]! + b[2]!) / 2 / s), Math.round(b[1]! / s), 1, 1)
              .data ?? [],
          ).slice(0, 3),
        );
      },
      scene?.objects.map((o) => o.box) ?? [],
    );
    expect(colours.length).toBeGreaterThan(0);
    for (const colour of colours)
      expect(Math.max(...[30, 111, 217].map((want, i) => Math.abs((colour[i] ?? -99) - want)))).toBeLessThanOrEqual(3);
    await page.screenshot({ path: join(screenshots, 'studio-demo-scene.png'), fullPage: true });
    await page.close();
    await withScene.server.close(0);
  }, 60_000);

  it('draws the predicted box where the answer puts it', async () => {
    // IVB (224 bins) over the 480x360 original (a remote-style model answers in original pixels): the blue square.
    const answer = 'It is located at (134, 67, 190, 156)';
    const located = await startStudio(new GatedModel(answer, true));
    const page = await context.newPage();
    await page.goto(located.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.setInputFiles('#image-file', scene);
    await page.waitForSelector('#locate:not([disabled])');
    await page.fill('#object', 'blue square');
    await page.click('#locate');
    await page.waitForSelector('#locate-answer .loc');
    const expected = codec.decode('(134, 67, 190, 156)', { width: 480, height: 360 })[0];
    const box = expected && 'box' in expected ? expected.box.map(Math.round) : [];
    expect(await page.textContent('#locate-answer .loc')).toBe(`box ${box.join(',')}  (from "(134, 67, 190, 156)")`);
    // The overlay has the highlight colour on the box's top edge, in display pixels.
    const onEdge = await page.evaluate((b) => {
      const canvas = document.querySelector('#overlay') as HTMLCanvasElement;
      const image = document.querySelector('#image') as HTMLImageElement;
      const s = image.naturalWidth / image.clientWidth;
      const x = Math.round((b[0]! + b[2]!) / 2 / s);
      const y = Math.round(b[1]! / s);
      return Array.from(canvas.getContext('2d')?.getImageData(x, y, 1, 1).data ?? []);
    }, box);
    expect(onEdge.slice(0, 3)).toEqual([255, 45, 85]);
    await page.screenshot({ path: join(screenshots, 'studio-locate.png'), fullPage: true });
    await page.close();
    await located.server.close(0);
  }, 60_000);
});
