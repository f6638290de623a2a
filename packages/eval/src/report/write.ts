// Reports from run folders: read each run's files, score them (no model needed), write report.json and a
// self-contained report.html atomically.
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '@locvlm/runtime';
import { loadRunFolder } from '../runs/run-eval.js';
import { scoreTask } from '../runs/score.js';
import { type HtmlReportOptions, type ReportPictureSummary, renderHtmlReportWithPictures } from './html.js';
import type { ReportRun } from './paper-tables.js';
import { buildReport, type EvalReport } from './report.js';

/** A run folder to put in a report, with the label it is shown under. */
export interface RunFolderRef {
  dir: string;
  /** Row label in the tables (default: the folder name). */
  label?: string;
}

/** Load and score run folders for a report. */
export async function loadReportRuns(folders: readonly (RunFolderRef | string)[]): Promise<ReportRun[]> {
  const runs: ReportRun[] = [];
  for (const folder of folders) {
    const ref = typeof folder === 'string' ? { dir: folder } : folder;
    const run = await loadRunFolder(ref.dir);
    const score = scoreTask(run.task, { answers: run.answers, ...(run.judgments ? { judgments: run.judgments } : {}) });
    runs.push({
      label: ref.label ?? basename(resolve(ref.dir)),
      model: run.model,
      task: run.task,
      score,
      dir: ref.dir,
    });
  }
  return runs;
}

/** Options of `writeReport`: the HTML report's options (its folder is the one written to) and the report's date. */
export interface WriteReportOptions extends Omit<HtmlReportOptions, 'outDir'> {
  /** The report's creation time (default now). */
  now?: Date;
}

/** What `writeReport` wrote: the report, the two files, and how the HTML's sample pictures came out. */
export interface WrittenReport {
  report: EvalReport;
  /** Path of report.json. */
  json: string;
  /** Path of report.html. */
  html: string;
  pictures: ReportPictureSummary;
}

/** Write report.json and report.html into outDir, each atomically (a temporary file renamed into place). */
export async function writeReport(
  outDir: string,
  runs: readonly ReportRun[],
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const report = buildReport(runs, options.now);
  const json = join(outDir, 'report.json');
  const html = join(outDir, 'report.html');
  const rendered = await renderHtmlReportWithPictures(report, runs, { ...options, outDir });
  await writeFileAtomic(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(html, rendered.html);
  return { report, json, html, pictures: rendered.pictures };
}
