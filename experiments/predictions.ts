/**
 * `deno task predictions`: exports the per-meme predictions a run saved (one file per cell, at
 * the epoch each protocol selected) as one CSV, or lists what the run holds.
 *
 *   deno task predictions results/<run> [--task hate] [--variant reference] --csv out.csv
 *
 * One CSV row per (cell, protocol, split, meme): variant, task, seed, protocol, epoch, split,
 * meme, true and predicted class, and one probability column per class.
 *
 * @module
 */
import { defineFlags, parseArgsOrExit, SettingError, UsageError } from "../lib/config/mod.ts";
import {
  loadCellResults,
  loadRunPredictions,
  predictionsCsv,
  readRunRecord,
} from "../lib/run/mod.ts";
import { runMain } from "../lib/experiment/mod.ts";
import { writeFileAtomic } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "task", type: "string", help: "only this task (a task of the run's dataset)" },
  { name: "variant", type: "string", help: "only this variant" },
  { name: "csv", type: "string", help: "write the predictions to this CSV file" },
  { name: "help", type: "boolean", help: "show this help" },
]);
const USAGE = "deno task predictions <run-dir> [--task T] [--variant V] [--csv out.csv]";

if (import.meta.main) {
  const { flags, positional } = parseArgsOrExit(Deno.args, FLAGS, USAGE);
  await runMain(async () => {
    if (positional.length !== 1) {
      throw new UsageError(`give exactly one run directory\n\nusage: ${USAGE}`);
    }
    const runDir = positional[0];
    const record = await readRunRecord(runDir);
    if (flags.task !== undefined && !record.tasks.includes(flags.task)) {
      throw new SettingError("--task", flags.task, `a task of the run: ${record.tasks.join(", ")}`);
    }
    // A damaged cell is named with the command that trains it again; unfinished ones are not
    // there yet, and the summary below counts what is.
    await loadCellResults(runDir);
    const task = flags.task;
    const variant = flags.variant;
    const cells = await loadRunPredictions(runDir, { task, variant });
    if (cells.length === 0) {
      const what = [task && `task ${task}`, variant && `variant ${variant}`].filter(Boolean);
      throw new UsageError(
        `${runDir}: no predictions${what.length ? ` for ${what.join(", ")}` : ""} ` +
          "(runs made before predictions were saved have none; re-run the experiment)",
      );
    }
    const groups = new Map<string, number>();
    for (const c of cells) {
      const k = `${c.variant} · ${c.task}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
    }
    console.error(`${cells.length} cell(s) with predictions in ${runDir}:`);
    for (const [k, n] of groups) console.error(`  ${k}: ${n} seed(s)`);
    const csvPath = flags.csv;
    if (csvPath) {
      const csv = predictionsCsv(cells);
      await writeFileAtomic(csvPath, csv);
      console.error(`wrote ${csv.split("\n").length - 2} rows to ${csvPath}`);
    } else {
      console.error("(add --csv out.csv to export them)");
    }
  });
}
