// One entry point that scores any task from its answers, dispatching on the task's kind. Scoring never needs a
// model: answers (and, for video QA, the judge's replies) come from the run files.
import { EvaluationError } from '../errors.js';
import { type CocoSpatialTarget, scoreCocoSpatial } from '../tasks/coco-spatial.js';
import { type GroundingTarget, scoreGrounding } from '../tasks/grounding.js';
import { type PresenceTarget, scorePresence } from '../tasks/hallucination.js';
import { createLocationFormat, type LocationFormatSpec } from '../tasks/locations.js';
import { type PopeTarget, scorePope } from '../tasks/pope.js';
import { type RegionTarget, scoreRegionDescription } from '../tasks/region-description.js';
import type { EvalTask, TaskScore } from '../tasks/types.js';
import { scoreVideoQa, type VideoQaTarget, videoQaJudgeRequest } from '../tasks/video-qa.js';
import { type GqaTarget, scoreGqa, scoreVqav2, type VqaTarget } from '../tasks/vqa.js';
import type { JudgeRequestBuilder } from './judge.js';

/** What scoring a run needs: the task and the answers by sample id. */
export interface ScoreInputs {
  /** The model's answer per sample id. */
  answers: ReadonlyMap<string, string>;
  /** The judge model's raw reply per sample id (video QA with a judge). */
  judgments?: ReadonlyMap<string, string>;
}

/** Score a task from its answers; the scorer is chosen by `task.kind`. */
export function scoreTask(task: EvalTask, inputs: ScoreInputs): TaskScore {
  switch (task.kind) {
    case 'coco-spatial':
      return scoreCocoSpatial(task as EvalTask<CocoSpatialTarget>, inputs.answers);
    case 'hallucination':
      return scorePresence(task as EvalTask<PresenceTarget>, inputs.answers);
    case 'pope':
      return scorePope(task as EvalTask<PopeTarget>, inputs.answers);
    case 'grounding':
      return scoreGrounding(
        task as EvalTask<GroundingTarget>,
        inputs.answers,
        createLocationFormat(task.config.location as LocationFormatSpec),
      );
    case 'region-description':
      return scoreRegionDescription(task as EvalTask<RegionTarget>, inputs.answers);
    case 'vqav2':
      return scoreVqav2(task as EvalTask<VqaTarget>, inputs.answers);
    case 'gqa':
      return scoreGqa(task as EvalTask<GqaTarget>, inputs.answers);
    case 'video-qa':
      return scoreVideoQa(task as EvalTask<VideoQaTarget>, inputs.answers, inputs.judgments);
    default:
      throw new EvaluationError('NOT_SCORABLE', `no scorer for task kind ${task.kind} (task ${task.name})`);
  }
}

/** The judge request for tasks graded by a second model (video QA), or undefined for tasks scored by rule. */
export function judgeRequestBuilder(task: EvalTask): JudgeRequestBuilder | undefined {
  return task.kind === 'video-qa' ? videoQaJudgeRequest : undefined;
}
