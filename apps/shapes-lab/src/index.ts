export { categoryName, indefinite, referringName, regionCaption, relationBetween, sceneCaption } from './captions.js';
export {
  type CocoAnnotation,
  type CocoCaptions,
  type CocoImage,
  type CocoInstances,
  type SceneEntry,
  type SceneGraph,
  SPLIT_ID_BASE,
  toCoco,
} from './coco.js';
export {
  type EvalItem,
  type InstructionDataOptions,
  instructionData,
  readWorldSplit,
  type WorldSplit,
} from './dataset.js';
export { ShapesLabError, type ShapesLabErrorCode } from './errors.js';
export {
  answerItems,
  DEFAULT_KINDS,
  type EvaluatedItem,
  type EvaluateOptions,
  evaluateModel,
  GOALS,
  missedGoals,
  type ShapesMetrics,
  scoreItems,
  selectItems,
} from './evaluate.js';
export {
  type BaseDataOptions,
  baseQa,
  type LlavaRecord,
  presenceQuestion,
  type QaPair,
  sideQuestion,
  toRecord,
} from './instructions.js';
export {
  hardNegatives,
  type Objective,
  type ObjectiveOptions,
  type ObjectiveQa,
  type ObjectiveSource,
  objectiveQa,
} from './objectives.js';
export { renderScenePng, sceneToSvg } from './render.js';
export { createRng, hashString, type Rng, sceneRng } from './rng.js';
export {
  type Background,
  DEFAULT_SCENE_OPTIONS,
  type Predicate,
  type Relation,
  relationsOf,
  type Scene,
  type SceneObject,
  type SceneOptions,
  sampleScene,
  type XywhBox,
} from './scene.js';
export {
  CATEGORIES,
  type Category,
  COLOURS,
  type Colour,
  categoryOf,
  SHAPES,
  type Shape,
  SIZES,
  type Size,
} from './vocabulary.js';
export { buildWorld, type SplitName, type WorldOptions, type WorldSummary, worldScene } from './world.js';
