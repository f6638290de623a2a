// Regenerates demo-scenes/: the few held-out scenes `locvlm demo` runs on (bundled into @locvlm/cli by its build).
// Renders the first scenes of the TEST split (seed 0, never in training) with the world generator, keeps the first
// ones that have a left/right relation between two single-instance objects (so every demo task has a question), and
// writes their PNGs plus one COCO-style scenes.json (images, annotations with region captions, categories, relations).
//
//   npm run demo-scenes -w @locvlm/shapes-lab            (from the repository root)
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWorld, type CocoInstances, type SceneGraph } from '../src/index.js';

const SEED = 0;
const RENDERED = 8;
const KEPT = 4;
const out = fileURLToPath(new URL('../demo-scenes/', import.meta.url));

const work = await mkdtemp(join(tmpdir(), 'shapes-demo-'));
try {
  await buildWorld({ out: work, seed: SEED, splits: { test: RENDERED } });
  const instances = JSON.parse(
    await readFile(join(work, 'annotations', 'instances_test.json'), 'utf8'),
  ) as CocoInstances;
  const { scenes } = JSON.parse(await readFile(join(work, 'annotations', 'scenes_test.json'), 'utf8')) as {
    scenes: SceneGraph[];
  };

  const singles = (graph: SceneGraph) =>
    new Set(
      graph.objects
        .map((o, i) => ({ o, i }))
        .filter(({ o }) => graph.objects.filter((p) => p.category_id === o.category_id).length === 1)
        .map(({ i }) => i),
    );
  const kept = scenes
    .filter((graph) => {
      const single = singles(graph);
      return graph.relations.some(
        (r) =>
          (r.predicate === 'left of' || r.predicate === 'right of') && single.has(r.subject) && single.has(r.object),
      );
    })
    .slice(0, KEPT);
  if (kept.length < KEPT) throw new Error(`only ${kept.length} of ${RENDERED} test scenes have a left/right pair`);

  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const ids = new Set(kept.map((g) => g.image_id));
  const images = instances.images
    .filter((image) => ids.has(image.id))
    .map((image) => ({ ...image, file_name: `${image.id}.png` }));
  for (const graph of kept) await copyFile(join(work, 'images', graph.file_name), join(out, `${graph.image_id}.png`));
  const scenesJson = {
    info: {
      ...instances.info,
      description: 'LocVLM-TS shapes world: sample scenes for `locvlm demo` (held-out test split)',
      regenerate: 'npm run demo-scenes -w @locvlm/shapes-lab',
    },
    images,
    annotations: instances.annotations.filter((a) => ids.has(a.image_id)),
    categories: instances.categories.map(({ id, name, supercategory }) => ({ id, name, supercategory })),
    // Every unambiguous relation of a scene (no overlap along the axis), by annotation id.
    relations: kept.flatMap((graph) =>
      graph.relations.map((r) => ({
        image_id: graph.image_id,
        subject: graph.objects[r.subject]!.annotation_id,
        predicate: r.predicate,
        object: graph.objects[r.object]!.annotation_id,
      })),
    ),
  };
  const tmp = join(out, 'scenes.json.tmp');
  await writeFile(tmp, `${JSON.stringify(scenesJson, null, 2)}\n`);
  await rename(tmp, join(out, 'scenes.json'));
  process.stdout.write(`${JSON.stringify({ out, scenes: kept.map((g) => g.image_id) })}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
