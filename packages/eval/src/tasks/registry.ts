// Tasks by name from annotation files on disk: what `locvlm eval <task> --data ...` builds. Every task of this
// package is reachable here, so the CLI stays a thin layer of flags.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EvaluationError } from '../errors.js';
import { readCocoInstances } from './coco.js';
import {
  buildCocoSpatialPaper,
  loadCocoSpatialReleased,
  readCocoSpatialReleased,
  type SpatialAxis,
} from './coco-spatial.js';
import { buildCocoGrounding, buildRefGrounding } from './grounding.js';
import { buildHalAct, buildHalAde, buildHalCoco, readVideoObjects } from './hallucination.js';
import type { LocationFormat } from './locations.js';
import {
  attachPopeLabels,
  buildPopeQuestions,
  POPE_SPLITS,
  type PopeLine,
  type PopeSplit,
  popeObjectsFromCoco,
  popeTask,
  readPopeFile,
} from './pope.js';
import { type RefDataset, readRefs } from './refs.js';
import { buildRegionDescription } from './region-description.js';
import type { EvalTask, GenerationSettings } from './types.js';
import { buildVideoQa, readVideoQaPair, readVideoQaRaw, type VideoQaDataset } from './video-qa.js';
import { buildGqa, buildVqav2, readGqaQuestions, readVqaAnnotations, readVqaQuestions } from './vqa.js';

/** Options of building a task from its data files. */
export interface TaskFileOptions {
  /** Annotation files, in the order the task lists them (see TASKS). */
  data: string[];
  /** Image folder the annotations' file names are relative to. */
  images?: string;
  /** Videos: per video a sub-folder of extracted frames or a video file (mp4, webm, mkv, avi, gif ...). */
  frames?: string;
  frameCount?: number;
  /** Size frames decoded from video files are resized to (default the video's own size). */
  frameSize?: { width: number; height: number };
  split?: string;
  dataset?: string;
  axis?: SpatialAxis;
  prompt?: 'direct' | 'icl';
  centralBand?: number;
  mirrored?: boolean;
  seed?: number;
  limit?: number;
  template?: number;
  /** Location format for grounding and region description (codec in the model's input frame). */
  format?: LocationFormat;
  generation?: Partial<GenerationSettings>;
}

/** A task the registry knows: its name, what it measures and which files it reads. */
export interface TaskDescription {
  name: string;
  /** What `--data` takes, in order. */
  data: string;
  summary: string;
}

/** The tasks `createTaskFromFiles` knows. */
export const TASKS: readonly TaskDescription[] = [
  { name: 'coco-spatial', data: 'instances_train2017.json', summary: "COCO-Spatial, the paper's protocol (Table 4)" },
  {
    name: 'coco-spatial-released',
    data: 'coco_spatial.json (or coco_up_down.json with --axis vertical)',
    summary: 'COCO-Spatial, released data',
  },
  { name: 'hal-coco', data: 'instances_val2014.json', summary: 'Hal-COCO (Table 8)' },
  { name: 'hal-ade', data: 'ADE20K per-image JSON files or folders holding them', summary: 'Hal-ADE (Table 8)' },
  {
    name: 'hal-act',
    data: 'objects.jsonl ({video, objects, frames?} per line)',
    summary: 'Hal-Act (Table 8), needs --frames',
  },
  {
    name: 'pope',
    data: 'coco_pope_{split}.json (POPE JSONL)',
    summary: 'POPE from the official question files (Table 9)',
  },
  {
    name: 'pope-build',
    data: 'instances_val2014.json',
    summary: 'POPE built from COCO annotations; --split random|popular|adversarial',
  },
  { name: 'vqav2', data: 'questions.json [annotations.json]', summary: 'VQAv2 (Table 5)' },
  { name: 'gqa', data: 'testdev_balanced_questions.json', summary: 'GQA (Table 5)' },
  {
    name: 'rd',
    data: 'refs.json instances.json',
    summary: 'Region description, METEOR (Table 10); --dataset, --split',
  },
  {
    name: 'grounding',
    data: 'refs.json instances.json',
    summary: 'Grounding on referring expressions; --dataset, --split',
  },
  { name: 'grounding-coco', data: 'instances_val2017.json', summary: 'Grounding of single-instance COCO objects' },
  {
    name: 'video-qa',
    data: 'test_q.json test_a.json, or MSRVTT/MSVD test_qa.json',
    summary: 'Video QA (Table 6); --dataset, --frames',
  },
];

function need(options: TaskFileOptions, count: number, task: string): string[] {
  if (options.data.length < count) {
    const described = TASKS.find((t) => t.name === task)?.data ?? `${count} file(s)`;
    throw new EvaluationError('BAD_INPUT', `${task} needs --data ${described}; got ${options.data.length} file(s)`);
  }
  return options.data;
}

function needFormat(options: TaskFileOptions, task: string): LocationFormat {
  if (!options.format) throw new EvaluationError('BAD_INPUT', `${task} needs a location format (codec and frame)`);
  return options.format;
}

function jsonFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) return jsonFilesUnder(full);
      return entry.name.endsWith('.json') ? [full] : [];
    });
}

function refDataset(value: string | undefined): RefDataset {
  if (value === 'refcoco' || value === 'refcoco+' || value === 'refcocog') return value;
  throw new EvaluationError(
    'BAD_INPUT',
    `--dataset must be refcoco, refcoco+ or refcocog, got ${JSON.stringify(value)}`,
  );
}

/** Build a task by name from files (see TASKS for what each name reads). */
export function createTaskFromFiles(name: string, options: TaskFileOptions): EvalTask {
  const common = {
    ...(options.images !== undefined ? { imageRoot: options.images } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.generation !== undefined ? { generation: options.generation } : {}),
  };
  const seed = options.seed !== undefined ? { seed: options.seed } : {};
  switch (name) {
    case 'coco-spatial': {
      const [file] = need(options, 1, name);
      return buildCocoSpatialPaper(readCocoInstances(file!), {
        ...common,
        ...(options.axis ? { axis: options.axis } : {}),
        ...(options.prompt ? { prompt: options.prompt } : {}),
        ...(options.centralBand !== undefined ? { centralBand: options.centralBand } : {}),
      });
    }
    case 'coco-spatial-released': {
      const [file] = need(options, 1, name);
      return loadCocoSpatialReleased(
        readCocoSpatialReleased(file!),
        { ...common, ...(options.axis ? { axis: options.axis } : {}), mirrored: options.mirrored ?? false },
        file,
      );
    }
    case 'hal-coco': {
      const [file] = need(options, 1, name);
      return buildHalCoco(readCocoInstances(file!), { ...common, ...seed });
    }
    case 'hal-ade':
      return buildHalAde(need(options, 1, name).flatMap(jsonFilesUnder), { ...common, ...seed });
    case 'hal-act': {
      const [file] = need(options, 1, name);
      return buildHalAct(readVideoObjects(file!), {
        ...common,
        ...seed,
        ...(options.frames ? { framesRoot: options.frames } : {}),
        ...(options.frameCount ? { frameCount: options.frameCount } : {}),
        ...(options.frameSize ? { frameSize: options.frameSize } : {}),
      });
    }
    case 'pope': {
      // Question files, plus (for LLaVA's llava_pope_test.jsonl) POPE's coco_pope_{category}.json label files.
      const files = need(options, 1, name).map((file) => ({ file, lines: readPopeFile(file) }));
      const labelled = files.filter((f) => f.lines.every((l) => l.label !== undefined));
      const unlabelled = files.filter((f) => !labelled.includes(f));
      let lines = labelled.flatMap((f) => f.lines);
      if (unlabelled.length > 0) {
        const labelFiles = new Map<string, PopeLine[]>();
        for (const f of labelled) {
          const category = /coco_pope_(\w+)\.json$/.exec(f.file)?.[1];
          if (category) labelFiles.set(category, f.lines);
        }
        lines = attachPopeLabels(
          unlabelled.flatMap((f) => f.lines),
          labelFiles,
        );
      }
      return popeTask(lines, { ...common, ...(options.split ? { split: options.split } : {}) });
    }
    case 'pope-build': {
      const [file] = need(options, 1, name);
      const split = (options.split ?? 'random') as PopeSplit;
      if (!POPE_SPLITS.includes(split)) {
        throw new EvaluationError('BAD_INPUT', `--split must be one of ${POPE_SPLITS.join(', ')}, got ${split}`);
      }
      const questions = buildPopeQuestions(popeObjectsFromCoco(readCocoInstances(file!)), seed)[split];
      return popeTask(questions, { ...common, split });
    }
    case 'vqav2': {
      const [questions, annotations] = need(options, 1, name);
      return buildVqav2(readVqaQuestions(questions!), annotations ? readVqaAnnotations(annotations) : undefined, {
        ...common,
        ...(options.split ? { split: options.split } : {}),
      });
    }
    case 'gqa': {
      const [file] = need(options, 1, name);
      return buildGqa(readGqaQuestions(file!), common);
    }
    case 'rd': {
      const [refs, instances] = need(options, 2, name);
      return buildRegionDescription(readRefs(refs!), readCocoInstances(instances!), {
        ...common,
        format: needFormat(options, name),
        dataset: refDataset(options.dataset),
        ...(options.split ? { split: options.split } : {}),
        ...(options.template !== undefined ? { template: options.template } : {}),
      });
    }
    case 'grounding': {
      const [refs, instances] = need(options, 2, name);
      return buildRefGrounding(readRefs(refs!), readCocoInstances(instances!), {
        ...common,
        ...seed,
        format: needFormat(options, name),
        dataset: refDataset(options.dataset),
        ...(options.split ? { split: options.split } : {}),
        ...(options.template !== undefined ? { template: options.template } : {}),
      });
    }
    case 'grounding-coco': {
      const [file] = need(options, 1, name);
      return buildCocoGrounding(readCocoInstances(file!), {
        ...common,
        ...seed,
        format: needFormat(options, name),
        ...(options.template !== undefined ? { template: options.template } : {}),
      });
    }
    case 'video-qa': {
      const files = need(options, 1, name);
      const dataset = (options.dataset ?? 'activitynet') as VideoQaDataset;
      if (!['activitynet', 'msrvtt', 'msvd', 'tgif'].includes(dataset)) {
        throw new EvaluationError('BAD_INPUT', `--dataset must be activitynet, msrvtt, msvd or tgif, got ${dataset}`);
      }
      if (!options.frames)
        throw new EvaluationError(
          'BAD_INPUT',
          'video-qa needs --frames DIR (per video a folder of frames or a video file)',
        );
      let records: ReturnType<typeof readVideoQaPair>;
      if (files.length >= 2) records = readVideoQaPair(files[0]!, files[1]!);
      else if (dataset === 'msrvtt' || dataset === 'msvd') records = readVideoQaRaw(files[0]!, dataset);
      else throw new EvaluationError('BAD_INPUT', `video-qa on ${dataset} needs --data test_q.json test_a.json`);
      return buildVideoQa(records, {
        dataset,
        framesRoot: options.frames,
        ...(options.frameCount ? { frameCount: options.frameCount } : {}),
        ...(options.frameSize ? { frameSize: options.frameSize } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.generation ? { generation: options.generation } : {}),
      });
    }
    default:
      throw new EvaluationError(
        'BAD_INPUT',
        `unknown task ${JSON.stringify(name)}; expected one of ${TASKS.map((t) => t.name).join(', ')}`,
      );
  }
}
