// The Studio's JSON routes, beside the OpenAI-compatible ones: LocPred, RevLoc, and the list of eval reports.
// Free questions go through /v1/chat/completions (streamed) like any other client.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Codec, createCodec, type FrameTransform } from '@locvlm/coord-codec';
import { z } from 'zod';
import { parseCodecSpec } from '../commands/codec.js';
import { type DemoScene, loadDemoScenes } from '../demo-run.js';
import { CliError } from '../io.js';
import { describeRegion, locateObject } from '../location-tasks.js';
import { type ExtraRoute, HttpError } from './chat-server.js';
import { describeZodError } from './schema.js';

const locateBody = z.object({
  image: z.string().min(1),
  object: z.string().min(1).max(500),
  codec: z.string().optional(),
  shape: z.enum(['box', 'point']).optional(),
  maxTokens: z.number().int().positive().max(1024).optional(),
});

const describeBody = z.object({
  image: z.string().min(1),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  codec: z.string().optional(),
  maxTokens: z.number().int().positive().max(1024).optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, 'invalid_request', describeZodError(result.error));
  return result.data;
}

function toHttp(error: unknown): unknown {
  return error instanceof CliError ? new HttpError(400, 'bad_input', error.message) : error;
}

/** .html files under `dir` (two levels deep), as paths relative to it. */
async function listReports(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(at: string, depth: number) {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(at, e.name);
      if (e.isDirectory() && depth < 2) await walk(path, depth + 1);
      else if (e.isFile() && e.name.endsWith('.html')) found.push(relative(dir, path).split('\\').join('/'));
    }
  }
  await walk(dir, 0);
  return found.sort().slice(0, 500);
}

export interface StudioRouteOptions {
  /** The codec used when a request names none. */
  codec: Codec;
  modelName: string;
  /** The frame the model's numbers live in (default: the model's own preprocessing; none for a server). */
  frame?: FrameTransform;
  /** Where eval reports are listed from (served under /reports/). */
  reportsDir?: string;
  /** A folder of demo scenes (scenes.json + PNGs, as `locvlm demo` reads): the page opens on the first one. */
  demoScenesDir?: string;
  /** The family of a local model and the engine running it, shown on the page. */
  family?: { family: string; engine: string };
}

/** The scene the Studio page opens on: the image as a data: URL and its ground-truth objects. */
export interface StudioDemoScene {
  name: string;
  image: string;
  width: number;
  height: number;
  objects: Array<{ category: string; box: [number, number, number, number]; caption?: string }>;
  /** An object the page suggests locating (the first category with a single instance). */
  suggestion?: string;
}

async function readDemoScene(dir: string): Promise<StudioDemoScene> {
  const [scene] = await loadDemoScenes(dir);
  if (!scene) throw new HttpError(404, 'no_demo_scene', `${dir}: no scenes`);
  const bytes = await readFile(scene.path);
  const suggestion = scene.objects.find((o: DemoScene['objects'][number]) => o.single)?.category;
  return {
    name: `shapes-world scene ${scene.imageId}`,
    image: `data:image/png;base64,${bytes.toString('base64')}`,
    width: scene.width,
    height: scene.height,
    objects: scene.objects.map((o) => ({
      category: o.category,
      box: o.box,
      ...(o.caption ? { caption: o.caption } : {}),
    })),
    ...(suggestion ? { suggestion } : {}),
  };
}

export function studioRoutes(options: StudioRouteOptions): ExtraRoute[] {
  const codecFor = (spec: string | undefined): Codec => {
    if (spec === undefined || spec === '') return options.codec;
    try {
      return createCodec(parseCodecSpec(spec, 'codec'));
    } catch (error) {
      throw new HttpError(400, 'bad_codec', (error as Error).message);
    }
  };
  let demoScene: Promise<StudioDemoScene> | undefined;
  return [
    {
      method: 'GET',
      path: '/studio/api/info',
      queued: false,
      handle: async () => ({
        model: options.modelName,
        codec: options.codec.options,
        codecName: options.codec.name,
        ...(options.family ?? {}),
        reports: options.reportsDir ? await listReports(options.reportsDir) : [],
        demoScene: options.demoScenesDir !== undefined,
      }),
    },
    {
      method: 'GET',
      path: '/studio/api/demo-scene',
      queued: false,
      handle: async () => {
        const dir = options.demoScenesDir;
        if (dir === undefined) throw new HttpError(404, 'no_demo_scene', 'this Studio has no demo scenes');
        demoScene ??= readDemoScene(dir);
        try {
          return await demoScene;
        } catch (error) {
          demoScene = undefined;
          throw toHttp(error);
        }
      },
    },
    {
      method: 'POST',
      path: '/studio/api/locate',
      queued: true,
      handle: async ({ body, signal, model, resolveImage }) => {
        const request = parse(locateBody, body);
        const image = await resolveImage(request.image, 'image');
        const codec = codecFor(request.codec);
        try {
          return {
            ...(await locateObject(model, {
              image,
              object: request.object,
              codec,
              shape: request.shape ?? 'box',
              ...(options.frame ? { frame: options.frame } : {}),
              maxNewTokens: request.maxTokens ?? 64,
              signal,
            })),
            codec: codec.options,
          };
        } catch (error) {
          throw toHttp(error);
        }
      },
    },
    {
      method: 'POST',
      path: '/studio/api/describe',
      queued: true,
      handle: async ({ body, signal, model, resolveImage }) => {
        const request = parse(describeBody, body);
        const image = await resolveImage(request.image, 'image');
        const codec = codecFor(request.codec);
        try {
          return {
            ...(await describeRegion(model, {
              image,
              box: request.box,
              codec,
              ...(options.frame ? { frame: options.frame } : {}),
              maxNewTokens: request.maxTokens ?? 64,
              signal,
            })),
            codec: codec.options,
          };
        } catch (error) {
          throw toHttp(error);
        }
      },
    },
  ];
}

/**
 * The built Studio page: `studio/` next to the CLI's bundle (copied there by the build), else the dist folder of
 * the @locvlm/studio workspace package (running from the repository).
 */
export function studioPageDir(): string {
  const bundled = fileURLToPath(new URL('./studio/', import.meta.url));
  if (existsSync(join(bundled, 'index.html'))) return bundled;
  try {
    const pkg = createRequire(import.meta.url).resolve('@locvlm/studio/package.json');
    const dist = join(dirname(pkg), 'dist');
    if (existsSync(join(dist, 'index.html'))) return dist;
  } catch {
    // not installed: fall through to the error
  }
  throw new CliError('the Studio page is not built; run `npx turbo run build --filter=@locvlm/studio`');
}
