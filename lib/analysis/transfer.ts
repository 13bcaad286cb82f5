/**
 * The results of a transfer run: the source task's heads, trained and selected on the source
 * dataset, tested once on each target's test split — with the same stratified bootstrap
 * intervals as every other table — beside the source's own test split and, where there is one,
 * a within-dataset run on the target.
 *
 * @module
 */
import { BOOTSTRAP_METRICS, type BootstrapMetric, type Interval } from "../metrics/mod.ts";
import { formatPct, markdownTable, type ReportSection, type TableData } from "../report/mod.ts";
import {
  type CellPredictions,
  type CellResult,
  type Protocol,
  PROTOCOLS,
  readCellPredictions,
  readRunMetrics,
  readRunRecord,
  runPath,
  type RunRecord,
  transferPredictionsFile,
} from "../run/mod.ts";
import { type GroupStats, groupStats, type RunUncertainty } from "./uncertainty.ts";

/** One line of the transfer table. */
export interface TransferRow {
  /** What the row is: the source's own test split, a target, or a target's own run. */
  readonly kind: "source" | "target" | "within";
  /** The dataset tested on (its title). */
  readonly dataset: string;
  /** Its task. */
  readonly task: string;
  /** The within-dataset run the row comes from (kind `within`). */
  readonly run?: string;
  /** The checkpoint protocol. */
  readonly protocol: Protocol;
  /** Seeds averaged. */
  readonly seeds: number;
  /** Test memes scored. */
  readonly n: number;
  /** Mean over seeds of each metric. */
  readonly point: Readonly<Record<BootstrapMetric, number>>;
  /** The 95 % stratified bootstrap interval over the test memes. */
  readonly interval: Readonly<Record<BootstrapMetric, Interval>>;
}

/** One target, as the table's notes describe it. */
export interface TransferTargetSummary {
  /** The target's name in the run. */
  readonly id: string;
  /** Its dataset's title. */
  readonly dataset: string;
  /** Its task. */
  readonly task: string;
  /** `not harmful → Benign Meme, harmful → Harmful Meme`. */
  readonly classMap: string;
  /** Where the class map comes from. */
  readonly classMapFrom: string;
  /** The target task's test memes, and those left out without a readable image. */
  readonly testMemes: number;
  /** Test memes left out because their image is missing or unreadable. */
  readonly excluded: number;
}

/** A transfer run's results. */
export interface TransferResults {
  /** The source dataset's title and task. */
  readonly source: { readonly dataset: string; readonly task: string };
  /** The targets. */
  readonly targets: readonly TransferTargetSummary[];
  /** The table's rows: the source first, then each target and its within-dataset run. */
  readonly rows: readonly TransferRow[];
  /** Lines under the table (within-dataset runs that could not be read). */
  readonly notes: readonly string[];
}

/** What {@linkcode analyseTransfer} reads. */
export interface TransferInput {
  /** The run directory. */
  readonly runDir: string;
  /** Its record (with `transfer`). */
  readonly record: RunRecord;
  /** Its finished cells. */
  readonly results: readonly CellResult[];
  /** The run's own uncertainty: its groups give the source's rows. */
  readonly uncertainty: RunUncertainty;
  /** The variant whose heads are shown (the main one). */
  readonly mainVariant: string;
}

/** The rows of a group's two protocols. */
function rowsOf(
  groups: readonly GroupStats[],
  base: Pick<TransferRow, "kind" | "dataset" | "task" | "run">,
): TransferRow[] {
  return PROTOCOLS.flatMap((protocol) => {
    const g = groups.find((x) => x.protocol === protocol);
    return g === undefined ? [] : [{
      ...base,
      protocol,
      seeds: g.seeds.length,
      n: g.n,
      point: g.point,
      interval: g.interval,
    }];
  });
}

/**
 * The transfer results of a finished transfer run: each target's saved logits (every seed of
 * the main variant) with their stratified bootstrap intervals — the resampling the run's other
 * tables use (its B and seed) —, the source's own test rows from the run's uncertainty, and the
 * rows of each target's within-dataset run from its `metrics.json`.
 */
export async function analyseTransfer(input: TransferInput): Promise<TransferResults> {
  const { record, runDir, results, uncertainty, mainVariant } = input;
  const transfer = record.transfer;
  if (transfer === undefined) throw new Error(`${runDir} is not a transfer run`);
  const sourceTask = record.tasks[0];
  const sourceTitle = record.dataset.description.title;
  const sourceClasses = record.dataset.description.tasks.find((t) => t.name === sourceTask)!
    .classes;
  const rows: TransferRow[] = rowsOf(
    uncertainty.groups.filter((g) => g.variant === mainVariant && g.task === sourceTask),
    { kind: "source", dataset: sourceTitle, task: sourceTask },
  );
  const notes: string[] = [];
  const targets: TransferTargetSummary[] = [];
  const keys = results.filter((r) => r.variant === mainVariant).map((r) => r.key).sort();
  for (const target of transfer.targets) {
    const title = target.dataset.description.title;
    const classes = target.dataset.description.tasks.find((t) => t.name === target.task)!.classes;
    targets.push({
      id: target.id,
      dataset: title,
      task: target.task,
      classMap: classes.map((c, k) => `${c} → ${sourceClasses[target.targetToSource[k]]}`)
        .join(", "),
      classMapFrom: target.classMapFrom,
      testMemes: target.testMemes,
      excluded: target.excludedWithoutImage,
    });
    const cells: CellPredictions[] = [];
    for (const key of keys) {
      cells.push(await readCellPredictions(`${runDir}/${transferPredictionsFile(target.id, key)}`));
    }
    const stats = groupStats(cells, {
      replicates: uncertainty.bootstrap.replicates,
      seed: uncertainty.bootstrap.seed,
      level: uncertainty.bootstrap.level,
      tasks: [sourceTask],
    });
    rows.push(...rowsOf(stats, { kind: "target", dataset: title, task: target.task }));
    if (target.within !== undefined) {
      const within = await withinRows(target.within, target.task, title);
      if (typeof within === "string") notes.push(within);
      else rows.push(...within);
    }
  }
  return { source: { dataset: sourceTitle, task: sourceTask }, targets, rows, notes };
}

/** The rows of a within-dataset run on a target, or why they cannot be read. */
async function withinRows(
  runDir: string,
  task: string,
  dataset: string,
): Promise<TransferRow[] | string> {
  const unreadable = (why: string) =>
    `The within-dataset run ${runDir} on ${dataset} could not be read (${why}): its rows are left out.`;
  let metrics: Record<string, unknown>, record: RunRecord;
  try {
    [metrics, record] = await Promise.all([readRunMetrics(runDir), readRunRecord(runDir)]);
  } catch (e) {
    return unreadable((e as Error).message);
  }
  const main = record.variants[0]?.name;
  const groups = ((metrics.uncertainty as RunUncertainty | undefined)?.groups ?? [])
    .filter((g) => g.variant === main && g.task === task);
  if (groups.length === 0) return unreadable(`it has no intervals for ${task}`);
  return rowsOf(groups, { kind: "within", dataset, task, run: runDir });
}

const METRIC_LABEL: Readonly<Record<BootstrapMetric, string>> = {
  accuracy: "Accuracy",
  macroF1: "Macro-F1",
  auroc: "AUROC",
};

/** The transfer table as data: one row per (source or target, protocol). */
export function transferTableData(t: TransferResults): TableData {
  const headers = [
    "Tested on",
    "Task",
    "Protocol",
    "Seeds",
    "Test memes",
    ...BOOTSTRAP_METRICS.map((m) => `${METRIC_LABEL[m]} [95% bootstrap]`),
  ];
  const what = (r: TransferRow) =>
    r.kind === "source"
      ? `${r.dataset} (source, within)`
      : r.kind === "within"
      ? `${r.dataset} (within: ${r.run!.split("/").pop()})`
      : r.dataset;
  const rows = t.rows.map((r) => [
    what(r),
    r.task,
    r.protocol,
    r.seeds,
    r.n,
    ...BOOTSTRAP_METRICS.map((m) =>
      `${formatPct(r.point[m])} [${formatPct(r.interval[m].lo)}, ${formatPct(r.interval[m].hi)}]`
    ),
  ]);
  return {
    headers,
    rows,
    align: headers.map((_, i) => (i < 3 ? "left" : "right")),
  };
}

/** How to read the transfer table, in the words of its section. */
function transferNote(t: TransferResults, bootstrap: RunUncertainty["bootstrap"]): string {
  return `Heads trained on ${t.source.dataset} (${t.source.task}) and selected on its splits ` +
    "(reference: the epoch with the best test AUROC, as MemeCLIP's code does; clean: the best " +
    "val AUROC), then tested once on each target's test split, the target's labels read as " +
    `the classes of ${t.source.dataset} (${t.source.task}). Mean over seeds with the ${
      Math.round(100 * bootstrap.level)
    }% stratified bootstrap interval over the test memes (B = ${
      bootstrap.replicates.toLocaleString("en-US")
    }, seed ${bootstrap.seed}). The source's own test split comes first; a within-dataset run ` +
    "on a target, where there is one, follows that target's rows.";
}

/** The class maps and the memes each target lost, one line each. */
function targetLines(t: TransferResults): string[] {
  return t.targets.map((g) =>
    `${g.dataset} (${g.task}), classes as ${t.source.task}'s: ${g.classMap} (from ` +
    `${g.classMapFrom}); test memes ${g.testMemes - g.excluded} of ${g.testMemes}` +
    (g.excluded > 0 ? ` (${g.excluded} without a readable image, left out)` : "") + "."
  );
}

/** The transfer section of `table.md`. */
export function transferMarkdown(
  t: TransferResults,
  bootstrap: RunUncertainty["bootstrap"],
): string {
  const table = transferTableData(t);
  return `## Cross-dataset transfer: ${t.source.dataset} ${t.source.task} → other test sets\n\n` +
    `${transferNote(t, bootstrap)}\n\n` +
    `${markdownTable(table.headers, table.rows, table.align)}\n\n` +
    [...targetLines(t), ...t.notes].map((l) => `${l}\n`).join("");
}

/** The transfer section of the report. */
export function transferReportSection(
  t: TransferResults,
  bootstrap: RunUncertainty["bootstrap"],
): ReportSection {
  return {
    heading: `Cross-dataset transfer: ${t.source.dataset} ${t.source.task} → other test sets`,
    text: [transferNote(t, bootstrap), ...targetLines(t), ...t.notes].join("\n\n"),
    table: transferTableData(t),
  };
}
