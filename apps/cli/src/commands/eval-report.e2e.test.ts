/// <reference lib="dom" />
// Eval reports in headless Chromium (npm @sparticuz/chromium unless LOCVLM_CHROMIUM names another, driven by
// playwright-core): every sample picture must load (naturalWidth > 0) whether the run was made with relative paths
// (as the README writes them), with absolute paths, or re-rendered after the run folder moved with its images; a
// report copied alone to another folder still shows them (embedded); a picture that is gone is a placeholder
// counted in the header. Screenshots go to apps/cli/test-screenshots/ (gitignored).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveChromium } from '../test-browser.js';
import { locvlm, shapesPng } from '../test-helpers.js';

const screenshots = fileURLToPath(new URL('../../test-screenshots/', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Three 160x120 scenes (a red circle left, a blue rectangle right), two single-instance objects each. */
function writeWorld(project: string): void {
  mkdirSync(join(project, 'world', 'annotations'), { recursive: true });
  mkdirSync(join(project, 'world', 'images'), { recursive: true });
  const coco = {
    images: [1, 2, 3].map((id) => ({ id, file_name: `scene ${id}.png`, width: 160, height: 120 })),
    categories: [
      { id: 1, name: 'red circle' },
      { id: 2, name: 'blue rectangle' },
    ],
    annotations: [1, 2, 3].flatMap((image) => [
      { id: image * 10 + 1, image_id: image, category_id: 1, bbox: [16, 36, 48, 48], iscrowd: 0 },
      { id: image * 10 + 2, image_id: image, category_id: 2, bbox: [96, 36, 40, 48], iscrowd: 0 },
    ]),
  };
  writeFileSync(join(project, 'world', 'annotations', 'instances_test.json'), JSON.stringify(coco));
}

/** What the page says about its pictures once loaded. */
interface PageFacts {
  cards: number;
  pictures: { loaded: boolean; src: string }[];
  placeholders: string[];
  header: Record<string, string>;
}

let server: Server;
let endpoint: string;
let context: BrowserContext;
let work: string;

beforeAll(async () => {
  // Every question gets the same IVB box (bins 224): the report draws it over each picture.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'It is at (22, 67, 90, 157)' }, finish_reason: 'stop' },
          ],
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await resolveChromium();
  mkdirSync(screenshots, { recursive: true });
  work = await mkdtemp(join(tmpdir(), 'locvlm-report-e2e-'));
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: browser.executablePath,
    headless: true,
    args: browser.args,
    viewport: { width: 1280, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `locvlm ...` in a child process whose working directory is `cwd` (so relative paths are relative to it). */
async function locvlmIn(cwd: string, ...argv: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, bin, ...argv], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stderr };
}

async function openReport(file: string, screenshot?: string): Promise<PageFacts> {
  const page = await context.newPage();
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    if (screenshot) await page.screenshot({ path: join(screenshots, screenshot), fullPage: true });
    return await page.evaluate(() => {
      const pictures = Array.from(document.querySelectorAll<HTMLImageElement>('.card img')).map((img) => ({
        loaded: img.complete && img.naturalWidth > 0,
        src: img.getAttribute('src')!.slice(0, 40),
      }));
      const header = document.querySelector<HTMLElement>('p.pictures');
      return {
        cards: document.querySelectorAll('.card').length,
        pictures,
        placeholders: Array.from(document.querySelectorAll('.card .ph')).map((p) => p.getAttribute('aria-label') ?? ''),
        header: { ...(header?.dataset ?? {}), text: header?.textContent ?? '' },
      };
    });
  } finally {
    await page.close();
  }
}

/** Every card shows a picture and every picture loaded. */
function expectAllLoaded(facts: PageFacts, cards: number): void {
  expect(facts.cards).toBe(cards);
  expect(facts.pictures).toHaveLength(cards);
  expect(facts.pictures.filter((p) => !p.loaded)).toEqual([]);
  expect(facts.placeholders).toEqual([]);
  expect(facts.header.missing).toBe('0');
}

describe('eval reports in headless Chromium', () => {
  it('shows every sample picture for relative, absolute and moved runs, and placeholders for missing ones', async () => {
    const project = join(work, 'project');
    writeWorld(project);
    for (const id of [1, 2, 3]) writeFileSync(join(project, 'world', 'images', `scene ${id}.png`), await shapesPng());
    const model = ['--endpoint', endpoint, '--model-name', 'fake', '--no-progress'];

    // Relative paths, as the README writes them, from the project folder.
    const relative = await locvlmIn(
      project,
      ...['eval', 'grounding-coco', '--data', 'world/annotations/instances_test.json', '--images', 'world/images'],
      ...['--out', 'evout', ...model],
    );
    expect(relative.code, relative.stderr).toBe(0);
    expect(relative.stderr).toMatch(/report: evout\/report\.html \(6 pictures embedded\)/);
    const task = JSON.parse(readFileSync(join(project, 'evout', 'task.json'), 'utf8'));
    expect(task.samples[0].view).toMatchObject({
      image: 'world/images/scene 1.png',
      imageResolved: join(project, 'world', 'images', 'scene 1.png'),
    });
    const relativeFacts = await openReport(join(project, 'evout', 'report.html'), 'report-relative.png');
    expectAllLoaded(relativeFacts, 6);
    expect(relativeFacts.pictures[0]!.src).toMatch(/^data:image\/webp;base64,/);
    expect(relativeFacts.header.embedded).toBe('6');

    // Absolute paths, from anywhere (here the test's own folder).
    const absolute = await locvlm(
      ...['eval', 'grounding-coco', '--data', join(project, 'world', 'annotations', 'instances_test.json')],
      ...['--images', join(project, 'world', 'images'), '--out', join(project, 'abs-out'), ...model],
    );
    expect(absolute.code, absolute.err).toBe(0);
    expectAllLoaded(await openReport(join(project, 'abs-out', 'report.html')), 6);

    // The whole project moves; the report is rendered again from another folder (relative paths and the recorded
    // absolute ones both point at nothing now: only the run folder's place relative to the images is left).
    const moved = join(work, 'moved');
    renameSync(project, moved);
    const reports = join(work, 'reports');
    const report = await locvlm('eval', 'report', `mine=${join(moved, 'evout')}`, '--out', reports, '--no-progress');
    expect(report.code, report.err).toBe(0);
    expectAllLoaded(await openReport(join(reports, 'report.html'), 'report-moved.png'), 6);
    const rescored = await locvlm('eval', 'rescore', join(moved, 'evout'), '--no-progress');
    expect(rescored.code, rescored.err).toBe(0);
    expect(rescored.err).toContain(`report: ${join(moved, 'evout', 'report.html')} (6 pictures embedded)`);
    expectAllLoaded(await openReport(join(moved, 'evout', 'report.html')), 6);
    // Linked instead of embedded: the links are relative to the report and load from the files.
    const linked = await locvlm(
      ...['eval', 'report', join(moved, 'evout'), '--out', join(work, 'linked'), '--images', 'link'],
      '--no-progress',
    );
    expect(linked.code, linked.err).toBe(0);
    const linkedFacts = await openReport(join(work, 'linked', 'report.html'));
    expectAllLoaded(linkedFacts, 6);
    expect(linkedFacts.pictures[0]!.src).toBe('../moved/world/images/scene%201.png');

    // The embedded report opens anywhere: a copy alone in another folder, the images gone.
    mkdirSync(join(work, 'elsewhere'));
    copyFileSync(join(reports, 'report.html'), join(work, 'elsewhere', 'report.html'));
    rmSync(join(moved, 'world', 'images', 'scene 2.png'));
    expectAllLoaded(await openReport(join(work, 'elsewhere', 'report.html')), 6);

    // Rendered again now that scene 2 is gone: its two samples are labelled placeholders, counted in the header.
    const gone = await locvlm('eval', 'report', join(moved, 'evout'), '--out', reports, '--no-progress');
    expect(gone.code, gone.err).toBe(0);
    expect(gone.err).toContain('2 not found (world/images/scene 2.png): drawn as placeholders');
    const goneFacts = await openReport(join(reports, 'report.html'), 'report-missing.png');
    expect(goneFacts.cards).toBe(6);
    expect(goneFacts.pictures).toHaveLength(4);
    expect(goneFacts.pictures.filter((p) => !p.loaded)).toEqual([]);
    expect(goneFacts.placeholders).toEqual([
      'picture not found: world/images/scene 2.png',
      'picture not found: world/images/scene 2.png',
    ]);
    expect(goneFacts.header).toMatchObject({ embedded: '4', missing: '2' });
    expect(goneFacts.header.text).toContain('2 not found (world/images/scene 2.png)');
  }, 180_000);
});
