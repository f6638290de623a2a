// Florence-2: an encoder-decoder prompted with task tokens; the processor maps `<OD>`,
// `<CAPTION_TO_PHRASE_GROUNDING>cat`, `<REGION_TO_DESCRIPTION><loc_..>x4`, ... to their instruction text
// (construct_prompts) and stretches the image to size.height x size.width (768x768). Boxes: <loc_N> x4, x1 y1 x2 y2,
// 1000 bins of the input; post_process_generation reads them at bin centres.
import { RuntimeError } from '../../errors.js';
import type { TransformersJsFamily } from '../family.js';
import { expectImages, lastUserText } from './chat.js';
import { stretchFrame } from './paligemma.js';

export const florence2: TransformersJsFamily = {
  name: 'florence2',
  modelTypes: ['florence2'],
  modelClass: 'Florence2ForConditionalGeneration',
  codec: { kind: 'florence' },
  frame: (files) => stretchFrame(files, 768),
  tasks: {
    '<OD>': 'boxes of every object, each with its label',
    '<CAPTION_TO_PHRASE_GROUNDING>': 'boxes of the phrases of the text after the token (LocPred)',
    '<REGION_TO_DESCRIPTION>': 'a description of the region given as <loc_x1><loc_y1><loc_x2><loc_y2> (RevLoc)',
    '<REGION_TO_CATEGORY>': 'the category of the region given as <loc_x1><loc_y1><loc_x2><loc_y2>',
    '<CAPTION>': 'a short caption',
    '<DETAILED_CAPTION>': 'a detailed caption',
    '<MORE_DETAILED_CAPTION>': 'a more detailed caption',
    '<DENSE_REGION_CAPTION>': 'boxes with a caption each',
    '<REGION_PROPOSAL>': 'boxes of candidate regions',
    '<OCR>': 'the text in the image',
    '<OCR_WITH_REGION>': 'the text with its quadrilaterals',
  },
  prompts: {
    locate: (object) => `<CAPTION_TO_PHRASE_GROUNDING>${object}`,
    describe: (locationText) => `<REGION_TO_DESCRIPTION>${locationText}`,
  },
  async prepare({ processor }, messages, images) {
    const text = lastUserText(messages, 'Florence-2');
    // transformers.js would send an unknown task token through as literal text; say which tasks exist instead.
    const task = /^\s*(<[A-Z_]+>)/.exec(text)?.[1];
    const known = (processor as unknown as { tasks_answer_post_processing_type?: Map<string, string> })
      .tasks_answer_post_processing_type;
    if (task && known && !known.has(task))
      throw new RuntimeError(
        'BAD_INPUT',
        `Florence-2 has no task ${task}; its tasks: ${[...known.keys()].join(', ')} (or plain text)`,
      );
    const florence = processor as unknown as {
      construct_prompts(t: string): string[];
      (i: unknown, t: string[]): Promise<Record<string, unknown>>;
    };
    const prompts = florence.construct_prompts(text);
    const inputs = await florence(expectImages(images, 1, 'Florence-2'), prompts);
    return { prompt: prompts[0]!, inputs };
  },
};
