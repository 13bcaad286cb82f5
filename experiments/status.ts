/**
 * `deno task status <run-dir>`: where a run stands — finished, running, queued, failed and
 * missing cells; for Slurm runs the job states (`squeue`, and `sacct` where accounting runs)
 * and the last log lines of each failed shard; processes working in the directory now.
 *
 *   deno task status results/20260301-120000-ablate-grid [--cells]
 *
 * @module
 */
import { defineFlags, parseArgsOrExit, UsageError } from "../lib/config/mod.ts";
import { readSubmissions } from "../lib/cluster/mod.ts";
import { type RunStatus, runStatus } from "../lib/run/mod.ts";
import { CACHE_FLAG, runMain } from "../lib/experiment/mod.ts";

const FLAGS = defineFlags([
  { name: "cells", type: "boolean", default: false, help: "list every cell with its state" },
  { name: "lines", type: "integer", default: 10, help: "log lines shown per failed shard" },
  CACHE_FLAG,
  { name: "help", type: "boolean", help: "show this help" },
]);
const USAGE = "deno task status <run-dir> [flags]";

if (import.meta.main) {
  const { flags, positional } = parseArgsOrExit(Deno.args, FLAGS, USAGE);
  await runMain(async () => {
    if (positional.length !== 1) {
      throw new UsageError(`give exactly one run directory\n\nusage: ${USAGE}`);
    }
    const runDir = positional[0];
    const status = await runStatus(runDir, flags.lines, { cacheDir: flags.cache });
    await printStatus(status, flags.cells);
  });
}

async function printStatus(status: RunStatus, cells: boolean): Promise<void> {
  const runDir = status.runDir;
  const c = status.counts;
  console.log(`${status.runDir} (${status.name}): ${c.finished}/${status.total} cells finished`);
  const outputs = status.outputsIntact
    ? "written"
    : status.outputProblems.length > 0
    ? `damaged (${status.outputProblems.join("; ")})`
    : status.outputsWritten
    ? "written, but not all the cells they count are complete now"
    : "not written yet";
  console.log(
    `  running ${c.running}, queued ${c.queued}, failed ${c.failed}, missing ${c.missing}, ` +
      `damaged ${c.damaged}; tables and report ${outputs}`,
  );
  for (const w of status.workers) console.log(`  working: ${w}`);
  if (status.features) {
    const f = status.features;
    console.log(
      f.present
        ? `  features: ${f.dir} (store ${f.key})`
        : `  features: store ${f.key} not found (recorded in ${f.recorded ?? "?"}); the report ` +
          "needs it: point to its cache with --cache DIR (or MEMESENSE_CACHE)",
    );
  }
  const submissions = await readSubmissions(runDir);
  for (const s of submissions) {
    const state = (id: string) => status.jobs.get(id) ?? "ended";
    const tasks = s.shards.map((k) => `${k}:${state(`${s.arrayJob}_${k}`)}`).join(" ");
    console.log(
      `  Slurm array ${s.arrayJob} (${s.submittedAt}, ${s.cells} cells) tasks ${tasks}; ` +
        `report job ${s.reportJob}: ${state(s.reportJob)}`,
    );
  }
  if (submissions.length > 0 && status.jobSource === "none") {
    console.log("  (squeue not available here: job states unknown)");
  }
  for (const cell of status.cells) {
    if (cell.state === "damaged") {
      console.log(`  damaged  ${cell.key}: ${cell.problems?.join("; ")}`);
    } else if (cells) {
      console.log(
        `  ${cell.state.padEnd(8)} ${cell.key}${cell.shard ? ` (shard ${cell.shard})` : ""}`,
      );
    }
  }
  for (const [shard, log] of status.failedLogs) {
    const failed = status.cells.filter((x) => x.state === "failed" && x.shard === shard);
    console.log(
      `\nshard ${shard} ended without ${failed.map((x) => x.key).join(", ")}; ${log.path}:`,
    );
    for (const line of log.tail) console.log(`  | ${line}`);
  }
  if (c.failed + c.missing + c.damaged > 0) {
    console.log(
      `\nto train the missing and damaged cells: ${status.resumeCommand}` +
        (submissions.length > 0 ? " (with --executor slurm: only those shards are submitted)" : ""),
    );
  } else if (!status.outputsIntact && c.running + c.queued === 0) {
    console.log(`\nto write the tables and report: deno task aggregate ${runDir}`);
  }
}
