// The JSON report: runs, the paper-style tables (published reference rows + one row per run label) and a metrics
// table per task. Plain data, so it can be diffed, stored and rendered by anything (the HTML report renders it).
import type { TaskScore } from '../tasks/types.js';
import { type SpreadValue, spreadOf } from './charts.js';
import { PAPER_TABLES, type ReportRun } from './paper-tables.js';

/** One row of a report table. */
export interface ReportTableRow {
  method: string;
  setting?: string;
  /** `paper` rows are published numbers; `run` rows were measured here. */
  source: 'paper' | 'run';
  /** One value per column; for a label several runs measured (seeds), their mean. */
  values: (number | null)[];
  /**
   * Per column, the runs behind a mean (n, min, max) when several runs with this row's label measured it; absent
   * when every value comes from one run.
   */
  spread?: (SpreadValue | null)[];
}

/** A table of a report: columns and one row per run or published model. */
export interface ReportTable {
  id: string;
  title: string;
  caption: string;
  columns: string[];
  rows: ReportTableRow[];
}

/** One run in a report: its label, folder, task, model and scores. */
export interface ReportRunSummary {
  label: string;
  model: string;
  task: string;
  kind: string;
  config: Record<string, unknown>;
  metrics: TaskScore['metrics'];
  counts: TaskScore['counts'];
}

/** The JSON report (`report.json`): the runs compared, their scores and the paper tables filled in. */
export interface EvalReport {
  createdAt: string;
  runs: ReportRunSummary[];
  /** Paper tables that at least one run fills. */
  tables: ReportTable[];
  /**
   * Every headline metric per task (rows = run labels; runs sharing a label, e.g. seeds, give one row of means),
   * including tasks the paper has no table for.
   */
  taskTables: ReportTable[];
}

function labelsInOrder(runs: readonly ReportRun[]): string[] {
  return [...new Set(runs.map((r) => r.label))];
}

/**
 * A row from the values each column got from the runs of one label: the mean per column, and the spread when some
 * column had values from several runs.
 */
function measuredRow(method: string, perColumn: number[][]): ReportTableRow {
  const spreads = perColumn.map((values) => spreadOf(values));
  const row: ReportTableRow = { method, source: 'run', values: spreads.map((s) => (s ? s.mean : null)) };
  if (spreads.some((s) => s !== null && s.n > 1)) row.spread = spreads;
  return row;
}

/**
 * Assemble the report from measured runs. Runs with the same label fill the same row of a table; where several of
 * them measure the same column (seeds of one setting), the row holds their mean and `spread` their range.
 */
export function buildReport(runs: readonly ReportRun[], now: Date = new Date()): EvalReport {
  const tables: ReportTable[] = [];
  for (const table of PAPER_TABLES) {
    const matching = runs.filter((run) => table.matches(run));
    if (matching.length === 0) continue;
    const measured: ReportTableRow[] = labelsInOrder(matching).map((label) => {
      const own = matching.filter((r) => r.label === label);
      return measuredRow(
        label,
        table.columns.map((column) =>
          own.map((run) => column.read(run)).filter((v): v is number => v !== undefined && Number.isFinite(v)),
        ),
      );
    });
    tables.push({
      id: table.id,
      title: table.title,
      caption: table.caption,
      columns: table.columns.map((c) => c.header),
      rows: [
        ...table.reference.map((r) => ({
          method: r.method,
          source: 'paper' as const,
          values: r.values,
          ...(r.setting ? { setting: r.setting } : {}),
        })),
        ...measured,
      ],
    });
  }

  const taskTables: ReportTable[] = [];
  for (const taskName of [...new Set(runs.map((r) => r.task.name))]) {
    const own = runs.filter((r) => r.task.name === taskName);
    const columns = [...new Set(own.flatMap((r) => Object.keys(r.score.metrics)))];
    taskTables.push({
      id: `task-${taskName}`,
      title: taskName,
      caption: `${own[0]!.task.kind}; ${describeConfig(own[0]!.task.config)}`,
      columns: [...columns, 'answered', 'missing'],
      rows: labelsInOrder(own).map((label) => {
        const same = own.filter((r) => r.label === label);
        const read = (value: (r: ReportRun) => number | undefined) =>
          same.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
        return measuredRow(label, [
          ...columns.map((c) => read((r) => r.score.metrics[c])),
          read((r) => r.score.counts.answered),
          read((r) => r.score.counts.missing),
        ]);
      }),
    });
  }

  return {
    createdAt: now.toISOString(),
    runs: runs.map((r) => ({
      label: r.label,
      model: r.model,
      task: r.task.name,
      kind: r.task.kind,
      config: r.task.config,
      metrics: r.score.metrics,
      counts: r.score.counts,
    })),
    tables,
    taskTables,
  };
}

function describeConfig(config: Record<string, unknown>): string {
  return Object.entries(config)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
