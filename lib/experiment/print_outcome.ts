/**
 * What a script prints when an experiment ends: its tables (restricted to one protocol if asked),
 * for a shard what is left to others, and where the run's files are.
 *
 * @module
 */
import { transferMarkdown } from "../analysis/mod.ts";
import {
  baselineTable,
  calibrationTable,
  clampedTemperatureNote,
  comparisonTable,
  intervalTable,
  pairedComparisonTable,
  summaryTable,
} from "../outputs/mod.ts";
import { formatDuration, formatShard } from "../util/mod.ts";
import type { ExperimentOutcome } from "./experiment.ts";

/** Prints an experiment's table (restricted to one protocol if asked) and where it was written. */
export function printOutcome(
  outcome: Omit<ExperimentOutcome, "timings" | "trained" | "pending"> & {
    readonly trained?: number;
    readonly pending?: number;
  },
  protocol: "both" | "reference" | "clean" = "both",
): void {
  if (outcome.shard) {
    console.log(
      `shard ${formatShard(outcome.shard)}: ${outcome.trained} cells trained in ` +
        `${formatDuration(outcome.seconds)}; ` +
        ((outcome.pending ?? 0) > 0
          ? `${outcome.pending} cells of the run still pending in other shards. Once they are ` +
            `in: deno task aggregate ${outcome.runDir}`
          : outcome.table === ""
          ? `another shard writes the tables into ${outcome.runDir}/`
          : "the last shard: tables and report follow"),
    );
    if (outcome.table === "") return;
  }
  for (const line of outcome.preface ?? []) console.log(`${line}\n`);
  if (outcome.comparison.length > 0) {
    const rows = outcome.comparison.filter((r) => protocol === "both" || r.protocol === protocol);
    console.log(comparisonTable(rows, outcome.tasks));
  } else {
    console.log(summaryTable(outcome.summary));
  }
  for (const note of outcome.tableNotes ?? []) console.log(`\n${note}`);
  if (outcome.transfer) {
    console.log(`\n${transferMarkdown(outcome.transfer, outcome.uncertainty.bootstrap).trimEnd()}`);
  }
  if (outcome.baselines.length > 0) {
    const main = outcome.results[0]?.variant;
    console.log(
      `\nBaselines (test split):\n${
        baselineTable(outcome.baselines, outcome.summary, main, outcome.tasks)
      }`,
    );
  }
  const u = outcome.uncertainty;
  const shown = <T extends { protocol: string }>(rows: readonly T[]) =>
    rows.filter((r) => protocol === "both" || r.protocol === protocol);
  if (u.groups.length > 0) {
    console.log(
      `\nTest-set uncertainty (mean over seeds, 95% stratified bootstrap over test memes, ` +
        `B = ${u.bootstrap.replicates}):\n${intervalTable(shown(u.groups))}`,
    );
  }
  if (u.groups.length > 0) {
    const main = u.reference ?? u.groups[0].variant;
    const calibration = shown(u.groups).filter((g) => g.variant === main);
    console.log(
      `\nCalibration of ${main} (temperature fitted on val; per-class detail in table.md):\n` +
        calibrationTable(calibration),
    );
    const clamped = clampedTemperatureNote(calibration);
    if (clamped) console.log(`\n${clamped}`);
  }
  if (u.comparisons.length > 0) {
    const held = u.comparisons.filter((c) => c.holds).length;
    console.log(
      `\nPaired comparisons against ${u.reference} (✓ = holds after Holm's adjustment; ` +
        `${held} of ${u.comparisons.length} do):\n${pairedComparisonTable(shown(u.comparisons))}`,
    );
  }
  console.log(
    `\n${outcome.results.length} cells in ${formatDuration(outcome.seconds)}; ` +
      `results in ${outcome.runDir}/ (report.html, table.md with calibration and per-class ` +
      "tables, metrics.csv, metrics.json, predictions/)",
  );
}
