// @locvlm/pseudo-data: turn annotations, images and videos into LocVLM instruction data in LLaVA's format.
export {
  type CocoAnnotation,
  type CocoBox,
  type CocoCategory,
  type CocoDataset,
  type CocoImage,
  checkReferences,
  type ReadCocoOptions,
  readCocoInstances,
} from './coco.js';
export { COCO_CATEGORIES } from './coco-categories.js';
export {
  createDetector,
  type Detection,
  type Detector,
  type DetectorOptions,
  type RgbImage,
  readRgb,
} from './detector.js';
export { PseudoDataError, type PseudoDataErrorCode } from './errors.js';
export { type JsonElement, readTopLevelArrayElements } from './json-elements.js';
export {
  type CategoryInfo,
  type LocalizeInstructOptions,
  type LocalizeSource,
  type LocalizeStats,
  localizeInstructRecords,
  type NegativeChoice,
  type NegativeChooser,
  newStats,
  OBJECTIVES,
  type Objective,
  type WriteLocalizeInstructOptions,
  type WriteLocalizeInstructResult,
  writeLocalizeInstruct,
} from './localize.js';
export {
  type AnnotatedImage,
  type AnnotatedObject,
  absentCategoryIds,
  cocoBoxToCorners,
  cocoImages,
  type ImageCollection,
  imagesFromCoco,
  type SkipReason,
  selectUniqueObjects,
} from './objects.js';
export { openRecordWriter, type RecordFormat, type RecordWriter } from './output.js';
export {
  type PanopticAnnotation,
  type PanopticCategory,
  type PanopticDataset,
  type PanopticImagesOptions,
  type PanopticSegmentInfo,
  type PanopticSegmentPixels,
  panopticImages,
  readPanopticJson,
  readPanopticPng,
} from './panoptic.js';
export {
  type BlurFolderOptions,
  type BlurOptions,
  type BlurStats,
  blurFacesInFolder,
  blurRegions,
  blurStats,
  type DerivedImageOptions,
  writeDerivedImage,
} from './privacy.js';
export {
  detectPseudoBoxes,
  type ImageDetections,
  listImageFiles,
  type PseudoBoxDataset,
  type PseudoBoxesOptions,
  type ScoredAnnotation,
  writeCocoInstances,
} from './pseudo-boxes.js';
export {
  captionsFromRefs,
  type RefcocoDataset,
  type ReferringExpression,
  readRefcoco,
  readRefsFile,
} from './refcoco.js';
export {
  buildPrefcoco,
  type CaptionItem,
  type CaptionObjectsOptions,
  type CaptionResult,
  captionItems,
  captionObjects,
  cleanCaption,
  type PrefcocoOptions,
  type PrefcocoResult,
} from './selftrain.js';
export { planTiles, type Tile, type TilePlan, type TilePlanOptions } from './tiles.js';
export {
  buildVideoData,
  type FrameExtractor,
  type VideoDataOptions,
  type VideoDataStats,
  type VideoFrames,
} from './video.js';
export { type FrameAnnotations, type VideoObject, type VideoObjectsResult, videoObjects } from './video-objects.js';
