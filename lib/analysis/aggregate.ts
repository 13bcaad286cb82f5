/**
 * Aggregation over seeds and the comparison with the paper: mean ± std and a 95% confidence
 * interval per (variant, task, protocol, metric).
 *
 * @module
 */
import type { PrideMMTask } from "../data/mod.ts";
import { type MeanStd, meanStd } from "../metrics/mod.ts";
import {
  type CellResult,
  type Protocol,
  PROTOCOLS,
  readRunMetrics,
  RUN_FILES,
  RunIntegrityError,
  runPath,
  selectedTestMetrics,
} from "../run/mod.ts";
import type { PaperResults } from "./paper.ts";

/** The metrics summarised per cell group, in table order. */
export const SUMMARY_METRICS = ["accuracy", "auroc", "macroF1", "aurocReference"] as const;
/** A summarised metric name. */
export type SummaryMetric = typeof SUMMARY_METRICS[number];

/** Seeds of one (variant, task, protocol) summarised; metrics as fractions, like `Metrics`. */
export interface SummaryRow {
  /** Head variant name. */
  readonly variant: string;
  /** The task. */
  readonly task: string;
  /** Checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** Seeds summarised. */
  readonly seeds: readonly number[];
  /** Each test metric, mean and standard deviation over the seeds. */
  readonly metrics: Readonly<Record<SummaryMetric, MeanStd>>;
  /** Mean selected epoch (1-based). */
  readonly meanEpoch: number;
}

/**
 * Groups results by (variant, task, protocol) and summarises each metric over seeds; rows by
 * variant, then in the order of `tasks` (the dataset's task names), then by protocol.
 */
export function summarise(
  results: readonly CellResult[],
  tasks: readonly string[],
): SummaryRow[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    const k = `${r.variant}\u0000${r.task}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const rows: SummaryRow[] = [];
  for (const cells of groups.values()) {
    cells.sort((a, b) => a.seed - b.seed);
    for (const protocol of PROTOCOLS) {
      const ms = cells.map((c) => selectedTestMetrics(c, protocol));
      const metrics = Object.fromEntries(
        SUMMARY_METRICS.map((m) => [m, meanStd(ms.map((x) => x[m]))]),
      ) as Record<SummaryMetric, MeanStd>;
      const epochs = cells.map((c) => (protocol === "reference" ? c.reference : c.clean).epoch);
      rows.push({
        variant: cells[0].variant,
        task: cells[0].task,
        protocol,
        seeds: cells.map((c) => c.seed),
        metrics,
        meanEpoch: epochs.reduce((a, b) => a + b, 0) / epochs.length,
      });
    }
  }
  const taskOrder = (t: string) => tasks.indexOf(t);
  return rows.sort((a, b) =>
    a.variant.localeCompare(b.variant) || taskOrder(a.task) - taskOrder(b.task) ||
    PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol)
  );
}

/** One line of the results table beside the paper. */
export interface ComparisonRow {
  /** The task (PrideMM's). */
  readonly task: PrideMMTask;
  /** Checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** Seeds behind our figures. */
  readonly n: number;
  /** Our test metrics, mean and standard deviation over seeds. */
  readonly ours: Readonly<Record<"accuracy" | "auroc" | "macroF1", MeanStd>>;
  /** MemeCLIP's own AUROC (torchmetrics on sigmoid(logits)), closer to what the paper reports. */
  readonly oursAurocReference: MeanStd;
  /** The paper's figures for the task. */
  readonly paper: Readonly<Record<"accuracy" | "auroc" | "macroF1", number>>;
  /** 100 · ours.mean − paper, in percentage points (the paper reports percent). */
  readonly diff: Readonly<Record<"accuracy" | "auroc" | "macroF1", number>>;
}

/**
 * The comparison with the paper that a finished run's tables hold (its `metrics.json`), read back
 * rather than recomputed: empty where the run was not compared (another dataset, generated memes,
 * the tiny CLIP; its `table.md` says why), so a notebook never shows differences from the paper
 * that the run's own tables refused.
 */
export async function readRunComparison(runDir: string): Promise<readonly ComparisonRow[]> {
  const comparison = (await readRunMetrics(runDir)).comparison;
  if (comparison !== undefined && !Array.isArray(comparison)) {
    throw new RunIntegrityError(
      `${runPath(runDir, "metrics")}: "comparison" is not a list; write the run's tables ` +
        `again: deno task aggregate ${runDir}`,
      [RUN_FILES.metrics],
    );
  }
  return (comparison ?? []) as ComparisonRow[];
}

/**
 * The per-task comparison with the paper for one variant (both protocols): PrideMM's tasks only,
 * whose names the paper's table has.
 */
export function compareWithPaper(
  rows: readonly SummaryRow[],
  paper: PaperResults,
  variant: string,
): ComparisonRow[] {
  return rows.filter((r) => r.variant === variant).map((r) => {
    const task = r.task as PrideMMTask;
    const p = paper.tasks[task];
    if (p === undefined) throw new Error(`compareWithPaper: the paper has no task "${r.task}"`);
    const pick = <T>(f: (m: "accuracy" | "auroc" | "macroF1") => T) => ({
      accuracy: f("accuracy"),
      auroc: f("auroc"),
      macroF1: f("macroF1"),
    });
    return {
      task,
      protocol: r.protocol,
      n: r.seeds.length,
      ours: pick((m) => r.metrics[m]),
      oursAurocReference: r.metrics.aurocReference,
      paper: pick((m) => p[m]),
      diff: pick((m) => 100 * r.metrics[m].mean - p[m]),
    };
  });
}
