// The model's preprocessing as a @locvlm/coord-codec frame transform: its plan drives the pixel pipeline and its
// inverse maps locations back, so pixels and locations use the same numbers.
import { centerCrop, compose, type FrameTransform, padToSquare, resize } from '@locvlm/coord-codec';
import type { ImageProcessingConfig } from '../onnx/config.js';
import { padBackground } from './preprocess.js';

const RESAMPLE = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' } as const;

/** Pad to square with LLaVA's background (when `pad`), the resize (CLIP's shortest edge, or an exact size), the crop. */
export function modelFrameTransform(config: ImageProcessingConfig, pad: boolean): FrameTransform {
  const steps: FrameTransform[] = [];
  if (pad) steps.push(padToSquare({ fill: padBackground(config) }));
  steps.push(
    resize(config.resizeTo ?? { shortestEdge: config.resizeShortestEdge, rounding: 'transformers-js' }, {
      resample: RESAMPLE[config.resample],
    }),
    centerCrop({ width: config.cropWidth, height: config.cropHeight }, { rounding: 'transformers-js' }),
  );
  return compose(...steps);
}
