import sharp from 'sharp';
import { ShapesLabError } from './errors.js';
import type { Scene, SceneObject } from './scene.js';

function shapeSvg(o: SceneObject): string {
  const [x, y, w, h] = o.bbox;
  const fill = `fill="${o.fill}"`;
  switch (o.shape) {
    case 'circle':
      return `<circle cx="${x + w / 2}" cy="${y + h / 2}" r="${w / 2}" ${fill}/>`;
    case 'square':
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" ${fill}/>`;
    case 'triangle':
      return `<polygon points="${x + w / 2},${y} ${x + w},${y + h} ${x},${y + h}" ${fill}/>`;
    case 'diamond':
      return `<polygon points="${x + w / 2},${y} ${x + w},${y + h / 2} ${x + w / 2},${y + h} ${x},${y + h / 2}" ${fill}/>`;
  }
}

/** The scene as an SVG document (the source of the PNG; handy to inspect a scene in a browser). */
export function sceneToSvg(scene: Scene): string {
  const { width, height, background } = scene;
  let defs = '';
  let bgFill = background.colours[0] ?? 'white';
  if (background.kind === 'gradient') {
    const rad = (background.angle * Math.PI) / 180;
    const dx = Math.cos(rad) / 2;
    const dy = Math.sin(rad) / 2;
    defs =
      `<defs><linearGradient id="bg" x1="${0.5 - dx}" y1="${0.5 - dy}" x2="${0.5 + dx}" y2="${0.5 + dy}">` +
      `<stop offset="0" stop-color="${background.colours[0]}"/><stop offset="1" stop-color="${background.colours[1]}"/>` +
      '</linearGradient></defs>';
    bgFill = 'url(#bg)';
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `${defs}<rect x="0" y="0" width="${width}" height="${height}" fill="${bgFill}"/>` +
    `${scene.objects.map(shapeSvg).join('')}</svg>`
  );
}

/** Render a scene to an RGB PNG (no alpha channel) of exactly width x height pixels. */
export async function renderScenePng(scene: Scene): Promise<Buffer> {
  try {
    return await sharp(Buffer.from(sceneToSvg(scene)), { density: 72 })
      .removeAlpha()
      .png({ compressionLevel: 9 })
      .toBuffer();
  } catch (cause) {
    throw new ShapesLabError('RENDER', `sharp could not render a ${scene.width}x${scene.height} scene`, { cause });
  }
}
