// The demo's picture: one row per scene with the ground truth (green, dashed) beside the model's LocPred boxes (red),
// both on the scene scaled up with nearest-neighbour pixels, and the scene's questions and answers beside them.
// Drawn as an SVG overlay composited by sharp.
import { readFile } from 'node:fs/promises';
import type { Box } from '@locvlm/eval';
import sharp, { type OverlayOptions } from 'sharp';
import type { DemoAnswer, DemoScene } from './demo-run.js';

const PANEL = 256;
const GAP = 12;
const TEXT_WIDTH = 520;
const TITLE = 22;
const HEADER = 56;
const FONT = 'DejaVu Sans, Liberation Sans, sans-serif';
const GREEN = '#00b050';
const RED = '#ff2d55';

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const iou = (a: DemoAnswer) => (a.iou ?? 0).toFixed(2);

/** Label rectangles already placed on a panel, so labels of nearby boxes do not print over each other. */
type Placed = { x: number; y: number; w: number }[];

function boxSvg(
  box: Box,
  scale: number,
  origin: { x: number; y: number; placed: Placed },
  colour: string,
  label: string,
  dashed: boolean,
) {
  // A predicted box may reach outside the image; keep it on its own panel.
  const [x1, y1, x2, y2] = box.map((v) => Math.min(PANEL, Math.max(0, v * scale))) as [number, number, number, number];
  const w = label.length * 6.6;
  const x = Math.min(x1 + 2, PANEL - w);
  let y = y1 > 14 ? y1 - 4 : y2 + 13;
  while (origin.placed.some((p) => Math.abs(p.y - y) < 12 && x < p.x + p.w && p.x < x + w)) y += 12;
  origin.placed.push({ x, y, w });
  return (
    `<rect x="${origin.x + x1}" y="${origin.y + y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" ` +
    `stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
    `<text x="${origin.x + x}" y="${origin.y + y}" font-size="11" font-family="${FONT}" fill="${colour}" ` +
    `stroke="white" stroke-width="3" paint-order="stroke">${escapeXml(label)}</text>`
  );
}

/** The lines of text beside a scene: each question, its answer and whether it counts as right. */
function sceneLines(answers: readonly DemoAnswer[]): { text: string; colour: string }[] {
  const mark = (a: DemoAnswer) => (a.correct ? { word: 'right', colour: GREEN } : { word: 'wrong', colour: RED });
  const lines: { text: string; colour: string }[] = [];
  const located = answers.filter((a) => a.task === 'locate');
  if (located.length > 0)
    lines.push({
      text: `LocPred: ${located.filter((a) => a.correct).length}/${located.length} boxes with IoU >= 0.5`,
      colour: '#222',
    });
  for (const a of located)
    lines.push({
      text: `  ${a.expected}: ${a.predictedBox ? `IoU ${iou(a)}` : 'no box in the answer'} (${mark(a).word})`,
      colour: mark(a).colour,
    });
  for (const a of answers) {
    if (a.task === 'locate') continue;
    const label = a.task === 'describe' ? `RevLoc at ${a.region?.map(Math.round).join(',')}` : 'Q';
    lines.push({ text: `${label}: ${clip(a.question, 70)}`, colour: '#222' });
    lines.push({
      text: `  A: ${clip(a.answer.trim(), 62)} (${mark(a).word}; want ${a.expected})`,
      colour: mark(a).colour,
    });
  }
  return lines;
}

/** One PNG of every scene: truth | prediction | questions and answers. */
export async function drawDemoSheet(
  scenes: readonly DemoScene[],
  answers: readonly DemoAnswer[],
  title: string,
): Promise<Buffer> {
  const width = GAP + PANEL + GAP + PANEL + GAP + TEXT_WIDTH + GAP;
  const rows = scenes.map((scene) => {
    const mine = answers.filter((a) => a.imageId === scene.imageId);
    const lines = sceneLines(mine);
    return { scene, mine, lines, height: TITLE + Math.max(PANEL, lines.length * 17 + 4) + GAP };
  });
  const height = HEADER + rows.reduce((sum, r) => sum + r.height, 0);
  const svg: string[] = [
    `<text x="${GAP}" y="22" font-size="16" font-weight="bold" font-family="${FONT}" fill="#222">${escapeXml(clip(title, 110))}</text>`,
    `<text x="${GAP}" y="44" font-size="12" font-family="${FONT}" fill="#444">left: ground truth (green, dashed) · ` +
      'right: predicted by LocPred (red) · scenes scaled up with nearest-neighbour pixels</text>',
  ];
  const composites: OverlayOptions[] = [];
  let y = HEADER;
  for (const { scene, mine, lines, height: rowHeight } of rows) {
    const scale = PANEL / Math.max(scene.width, scene.height);
    const scaled = await sharp(await readFile(scene.path))
      .resize(Math.round(scene.width * scale), Math.round(scene.height * scale), { kernel: 'nearest' })
      .png()
      .toBuffer();
    const top = y + TITLE;
    const truthX = GAP;
    const predX = GAP + PANEL + GAP;
    composites.push({ input: scaled, left: truthX, top }, { input: scaled, left: predX, top });
    svg.push(
      `<text x="${GAP}" y="${y + 15}" font-size="13" font-weight="bold" font-family="${FONT}" fill="#222">` +
        `${escapeXml(`scene ${scene.imageId} (${scene.fileName}, ${scene.width}x${scene.height})`)}</text>`,
    );
    const truth = { x: truthX, y: top, placed: [] };
    for (const o of scene.objects) svg.push(boxSvg(o.box, scale, truth, GREEN, o.category, true));
    const predicted = { x: predX, y: top, placed: [] };
    for (const a of mine)
      if (a.task === 'locate' && a.predictedBox)
        svg.push(boxSvg(a.predictedBox, scale, predicted, RED, `${a.expected} ${iou(a)}`, false));
    const textX = predX + PANEL + GAP;
    lines.forEach((line, i) => {
      svg.push(
        `<text x="${textX}" y="${top + 13 + i * 17}" font-size="12" font-family="${FONT}" fill="${line.colour}" ` +
          `xml:space="preserve">${escapeXml(line.text)}</text>`,
      );
    });
    y += rowHeight;
  }
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`;
  return sharp({ create: { width, height, channels: 3, background: '#f7f7f7' } })
    .composite([...composites, { input: Buffer.from(overlay), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
