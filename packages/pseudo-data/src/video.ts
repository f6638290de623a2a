// Video data (paper Appendix D, Pseudo-ActNet / Localize-ActivityNet): 8 uniformly sampled frames per video, pseudo
// boxes per frame from the embedded detector, static or single-frame objects with their averaged box, absent
// categories for NegPred, as Video-ChatGPT training records. Frames written out have faces blurred by default.
import { join, posix, relative, sep } from 'node:path';
import { type Codec, clampLocation, type FrameTransform, type Location } from '@locvlm/coord-codec';
import { createRng, localizeVideoRecords, type VideoRecord } from '@locvlm/prompts';
import { type JobProgress, openRunFile, runJob, writeFileAtomic } from '@locvlm/runtime';
import { COCO_CATEGORIES } from './coco-categories.js';
import type { Detection, Detector, RgbImage } from './detector.js';
import { PseudoDataError } from './errors.js';
import { openRecordWriter, type RecordFormat } from './output.js';
import { type BlurStats, blurStats, writeDerivedImage } from './privacy.js';
import { type FrameAnnotations, videoObjects } from './video-objects.js';

/** Decodes `count` uniformly sampled frames of a video (e.g. @locvlm/video-pool's `extractFrames`). */
export type FrameExtractor = (
  file: string,
  options: { count: number; signal?: AbortSignal },
) => Promise<{ frames: Array<RgbImage & { frameIndex?: number; timestamp?: number }> }>;

/** What the run file keeps per video. */
export interface VideoFrames {
  width: number;
  height: number;
  frames: Array<{
    file: string | null;
    frameIndex: number | null;
    timestamp: number | null;
    detections: Detection[];
    /** Faces blurred in the written frame (0 when faces are not blurred; absent in run files of 0.1.0). */
    faces?: number;
  }>;
}

/** Options of `writeVideoData` (Localize-ActivityNet). */
export interface VideoDataOptions {
  /** Video files. */
  videos: readonly string[];
  /** Record `video` paths are relative to this folder (default: the videos' common folder is not guessed: '.'). */
  videosRoot?: string;
  extractFrames: FrameExtractor;
  detector: Detector;
  outDir: string;
  codec: Codec;
  seed: number | string;
  repr?: 'box' | 'point';
  /** Frame the locations are written in (as in Localize-Instruct); default the video's own frame size. */
  frame?: FrameTransform;
  format?: RecordFormat;
  /** Frames per video (default 8, the paper's). */
  frames?: number;
  /** Write the sampled frames as JPEGs under `<outDir>/frames` (default true), faces blurred unless `blurFaces` is false. */
  writeFrames?: boolean;
  blurFaces?: boolean;
  /** Paper: 5 px. */
  staticRadius?: number;
  negativesPerVideo?: number;
  runFile?: string;
  concurrency?: number;
  /** Called after each video. */
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}

/** Counts of the video data written. */
export interface VideoDataStats {
  videos: number;
  records: number;
  objects: number;
  dropped: { 'repeated-category': number; moving: number };
  negatives: number;
  /** Faces blurred in the frames written (per frame file, relative to the output folder). */
  blurredFaces: BlurStats;
}

const toPosix = (path: string) => path.split(sep).join(posix.sep);

/**
 * Sample frames, detect objects, keep static ones and write Localize-ActivityNet records (`localize-video.json|jsonl`)
 * plus `stats.json` to `outDir`. Resumable per video through the run file; the final data is built from it in video
 * order, so an interrupted-and-resumed run writes the same bytes.
 */
export async function buildVideoData(
  options: VideoDataOptions,
): Promise<{ dataFile: string; statsFile: string; stats: VideoDataStats }> {
  const count = options.frames ?? 8;
  if (!Number.isInteger(count) || count < 1)
    throw new PseudoDataError('BAD_OPTION', `frames must be a positive integer, got ${count}`);
  const writeFrames = options.writeFrames ?? true;
  const blurFaces = options.blurFaces ?? true;
  const root = options.videosRoot ?? '.';
  const keyOf = (video: string) => toPosix(relative(root, video));
  const runFile = await openRunFile<VideoFrames>(options.runFile ?? join(options.outDir, 'video.run.jsonl'), {
    job: 'video-pseudo-boxes',
    frames: count,
    writeFrames,
    blurFaces,
    videos: options.videos.length,
  }).catch((error: Error) => {
    throw new PseudoDataError('RUN_FILE', error.message, { cause: error });
  });
  let entries: Array<{ item: string; key: string; result: VideoFrames }>;
  try {
    entries = await runJob<string, VideoFrames>({
      items: options.videos,
      keyOf,
      runFile,
      concurrency: options.concurrency ?? 1,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      work: async (video, { signal }) => {
        let decoded: Awaited<ReturnType<FrameExtractor>>;
        try {
          decoded = await options.extractFrames(video, { count, signal });
        } catch (error) {
          throw new PseudoDataError('BAD_INPUT', `${video}: cannot decode frames: ${(error as Error).message}`, {
            cause: error,
          });
        }
        const first = decoded.frames[0];
        if (first === undefined) throw new PseudoDataError('BAD_INPUT', `${video}: no frames decoded`);
        const frames: VideoFrames['frames'] = [];
        for (const [i, frame] of decoded.frames.entries()) {
          const detections = await options.detector.detectObjects(frame);
          let file: string | null = null;
          let faces = 0;
          if (writeFrames) {
            file = posix.join('frames', keyOf(video).replace(/\.[^./]+$/, ''), `${String(i).padStart(2, '0')}.jpg`);
            const blurred = await writeDerivedImage(frame, join(options.outDir, file), {
              blurFaces,
              detector: options.detector,
            });
            faces = blurred.length;
          }
          frames.push({
            file,
            frameIndex: frame.frameIndex ?? null,
            timestamp: frame.timestamp ?? null,
            detections,
            faces,
          });
        }
        return { width: first.width, height: first.height, frames };
      },
    });
  } finally {
    await runFile.close();
  }

  const idOf = new Map(COCO_CATEGORIES.map((c) => [c.name, c.id]));
  const nameOf = new Map(COCO_CATEGORIES.map((c) => [c.id, c.name]));
  const allIds = COCO_CATEGORIES.map((c) => c.id);
  const format = options.format ?? 'json';
  const dataFile = join(options.outDir, `localize-video.${format}`);
  const statsFile = join(options.outDir, 'stats.json');
  const stats: VideoDataStats = {
    videos: 0,
    records: 0,
    objects: 0,
    dropped: { 'repeated-category': 0, moving: 0 },
    negatives: 0,
    blurredFaces: blurStats(
      entries.flatMap(({ result }) =>
        result.frames.flatMap((f) => (f.file === null ? [] : [[f.file, f.faces ?? 0] as const])),
      ),
    ),
  };
  const frame = options.frame;
  const writer = await openRecordWriter(dataFile, format);
  try {
    for (const { key, result } of entries) {
      stats.videos++;
      const annotations: FrameAnnotations[] = result.frames.map((f) => ({
        objects: f.detections.flatMap((d) => {
          const categoryId = idOf.get(d.label);
          return categoryId === undefined ? [] : [{ categoryId, box: d.box }];
        }),
      }));
      const found = videoObjects(annotations, allIds, { staticRadius: options.staticRadius ?? 5 });
      for (const d of found.dropped) stats.dropped[d.reason]++;
      // A detector is not exhaustive: "absent" means detected in none of the frames.
      const negatives = sampleNegatives(found.absentCategoryIds, options.negativesPerVideo ?? 1, options.seed, key).map(
        (id) => nameOf.get(id) as string,
      );
      const size = { width: result.width, height: result.height };
      const records: VideoRecord[] = localizeVideoRecords({
        key,
        video: key,
        ...(writeFrames ? { frames: result.frames.map((f) => f.file as string) } : {}),
        imageSize: frame === undefined ? size : frame.outputSize(size),
        objects: found.objects.map((o) => {
          const box: Location = { box: o.box };
          const location = frame === undefined ? box : clampLocation(frame.forward(box, size), frame.outputSize(size));
          return { description: { category: nameOf.get(o.categoryId) as string }, location };
        }),
        negatives,
        codec: options.codec,
        seed: options.seed,
        shape: options.repr ?? 'box',
      });
      stats.objects += found.objects.length;
      stats.negatives += negatives.length;
      for (const record of records) {
        await writer.write(record);
        stats.records++;
      }
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
  await writeFileAtomic(statsFile, `${JSON.stringify(stats, null, 2)}\n`);
  return { dataFile, statsFile, stats };
}

/** Same seeded stream family as the image pipeline: createRng(seed, key, 'negatives'). */
function sampleNegatives(absent: readonly number[], n: number, seed: number | string, key: string): number[] {
  return createRng(seed, key, 'negatives').sample(absent, Math.min(n, absent.length));
}
