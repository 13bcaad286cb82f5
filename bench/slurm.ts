/**
 * `deno task bench:slurm`: what the Slurm path costs per cell on a private one-node Slurm (needs
 * root; installs Debian's slurmctld, slurmd and munge if absent). Submits an ablation of N cells
 * as N array tasks (one cell each, one CPU each) on the generated memes and tiny CLIP, waits for
 * the report job, and prints per cell: the scheduler's latency (submission → task start for the
 * tasks that found a free CPU), the task's own overhead (task start → result file, minus the
 * training itself: Deno start-up, loading the features, the lock, the writes), and end to end
 * against the same ablation run locally with the same CPUs. Checks that no cell was trained twice.
 *
 *   deno task bench:slurm [--cells 8] [--epochs 1]
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { readSubmissions, shardLogPath } from "../lib/cluster/mod.ts";
import { cellPath, loadCellResults } from "../lib/run/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import {
  ablationArgs,
  slurmExecutorArgs,
  slurmUnavailable,
  startLocalSlurm,
  waitForJobs,
} from "../scripts/slurm_local.ts";
import { runScript } from "../scripts/run_script.ts";
import { loadAverage } from "./_common.ts";

const FLAGS = defineFlags([
  {
    name: "cells",
    type: "integer",
    default: 8,
    help: "cells (= array tasks): seeds of 2 variants × cells/2",
  },
  { name: "epochs", type: "integer", default: 1, help: "epochs per cell" },
  { name: "help", type: "boolean", help: "show this help" },
]);
const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:slurm [flags]");
const why = slurmUnavailable();
if (why) {
  console.error(`bench:slurm needs a local Slurm: ${why}`);
  Deno.exit(2);
}
const cells = Math.max(2, Math.round(flags.cells / 2) * 2);
const seeds = Array.from({ length: cells / 2 }, (_, i) => i + 1).join(",");
const memes = await ensureSyntheticMemes();
const args = ablationArgs(memes, seeds, flags.epochs);
const out = await Deno.makeTempDir({ prefix: "memesense-bench-slurm-" });
const slurm = await startLocalSlurm();
const ms = (t: number) => `${(t / 1000).toFixed(2)} s`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
try {
  // Features extracted once beforehand: the cells, not the extraction, are measured.
  const warm = await runScript("extract", [
    "--data",
    memes.csvPath,
    "--model",
    "tiny",
    "--offline",
  ]);
  if (!warm.success) throw new Error(warm.stderr);

  const submitted = Date.now();
  const sub = await runScript("ablate", [
    ...args,
    "--out",
    `${out}/slurm`,
    ...slurmExecutorArgs(cells),
  ], slurm.env);
  if (!sub.success) throw new Error(sub.stderr);
  const submitSeconds = (Date.now() - submitted) / 1000;
  const runDir = `${out}/slurm/${[...Deno.readDirSync(`${out}/slurm`)][0].name}`;
  const [s] = await readSubmissions(runDir);
  await waitForJobs(slurm, [s.arrayJob, s.reportJob]);
  const slurmWall = (Date.now() - submitted) / 1000;

  const results = await loadCellResults(runDir);
  // One cell per task: task k trains the k-th cell in key order (cell i is in shard i mod N + 1).
  const ordered = [...results].sort((a, b) => a.key.localeCompare(b.key));
  const starts: number[] = [], perTask: number[] = [], trainings: number[] = [];
  let trainedTwice = 0;
  for (let k = 1; k <= s.count; k++) {
    const log = await Deno.readTextFile(shardLogPath(runDir, k, s.arrayJob));
    const start = Date.parse(/^(\S+) start on/m.exec(log)![1]);
    if (Number(/shard \d+\/\d+: (\d+) cells trained/.exec(log)![1]) !== 1) trainedTwice++;
    const cell = ordered[k - 1];
    const written = (await Deno.stat(cellPath(runDir, cell.key))).mtime!.getTime();
    starts.push(start - submitted);
    trainings.push(cell.seconds * 1000);
    perTask.push(written - start - cell.seconds * 1000);
  }
  const firstWave = starts.sort((a, b) => a - b).slice(0, navigator.hardwareConcurrency);

  const t0 = Date.now();
  const local = await runScript("ablate", [...args, "--out", `${out}/local`, "--workers", "2"]);
  if (!local.success) throw new Error(local.stderr);
  const localWall = (Date.now() - t0) / 1000;

  console.log(
    `bench:slurm — ${results.length} cells as ${s.count} array tasks of 1 CPU, ` +
      `${navigator.hardwareConcurrency} CPUs, tiny CLIP, ${flags.epochs} epoch(s); load ${loadAverage()}`,
  );
  console.log(
    `  submission (features loaded, scripts written, 2 × sbatch): ${submitSeconds.toFixed(2)} s`,
  );
  console.log(
    `  scheduler latency, submission → task start (first wave): ${ms(mean(firstWave))} mean`,
  );
  console.log(
    `  per cell inside its task (Deno start, features, lock, writes; training excluded): ` +
      `${ms(mean(perTask))} mean, ${ms(Math.max(...perTask))} max`,
  );
  console.log(`  training per cell: ${ms(mean(trainings))} mean`);
  console.log(
    `  end to end, submission → report written: ${slurmWall.toFixed(1)} s on Slurm vs ` +
      `${localWall.toFixed(1)} s locally with 2 workers: ${
        ((slurmWall - localWall) / results.length).toFixed(2)
      } s per cell`,
  );
  console.log(`  cells: ${results.length} of ${cells}; trained more than once: ${trainedTwice}`);
  if (results.length !== cells || trainedTwice > 0) Deno.exit(1);
} finally {
  await slurm.stop();
  await Deno.remove(out, { recursive: true });
}
