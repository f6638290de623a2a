// ---- metrics (evalmetrics): METEOR 1.5, BLEU, CIDEr-D, POPE, VQAv2/GQA, grounding, keyword, video-QA judge ----
export * from './metrics/index.js';
// ---- end metrics ----
