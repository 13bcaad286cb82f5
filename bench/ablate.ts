/**
 * `deno task bench:ablate`: wall time of the default ablation — the two 1-D sweeps (ratio 0…1 at
 * depth 1, depth 1…3 at ratio 0.2: 8 variants) on one task with 3 seeds, 10 epochs, PrideMM's
 * real split sizes and labels — on random features, so it needs neither CLIP nor the images.
 *
 *   deno task bench:ablate [--backend auto] [--task hate] [--seeds 3] [--epochs 10] [--workers 2]
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { PRIDEMM_TASKS } from "../lib/data/mod.ts";
import { DEFAULT_DEPTHS, DEFAULT_RATIOS, sweepVariants } from "../lib/run/mod.ts";
import { runExperiment } from "../lib/experiment/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";
import { BENCH_RUN_FLAGS, benchRunSettings, cpuSeconds, loadAverage } from "./_common.ts";

const FLAGS = defineFlags([
  ...BENCH_RUN_FLAGS,
  { name: "task", type: "choice", choices: PRIDEMM_TASKS, default: "hate", help: "task to sweep" },
  { name: "help", type: "boolean", help: "show this help" },
]);

const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:ablate [flags]");
const { config, backend, workers, seeds, inputs } = await benchRunSettings(flags, "bench:ablate");
const tasks = [flags.task];
const n = inputs.dataset.memes.length;
const variants = sweepVariants(DEFAULT_RATIOS, DEFAULT_DEPTHS);
const out = await Deno.makeTempDir({ prefix: "memesense-bench-ablate-" });
console.error(
  `bench:ablate: ${variants.length} variants × ${tasks.length} task × ${seeds.length} seeds, ` +
    `${config.train.epochs} epochs, backend ${backend}, ${workers} workers, ${n} memes; ` +
    `load average ${loadAverage()}`,
);
const t0 = performance.now();
const cpu0 = cpuSeconds();
const outcome = await runExperiment({
  name: "bench-ablate",
  title: "bench",
  tasks,
  seeds,
  variants,
  baseConfig: config,
  inputs,
  outRoot: out,
  backend,
  workers,
  log: () => {},
});
const seconds = (performance.now() - t0) / 1000;
const cpu = cpuSeconds() - cpu0;
await Deno.remove(out, { recursive: true });
const epochs = outcome.results.length * config.train.epochs;
console.log(
  `1-D sweeps: ${outcome.results.length} cells (${variants.length} variants × ${tasks.length} task × ` +
    `${seeds.length} seeds) in ${formatDuration(seconds)} on ${outcome.results[0].backend} with ` +
    `${workers} workers (${(seconds * workers / epochs).toFixed(1)} s per epoch per worker); ` +
    `CPU time ${formatDuration(cpu)} (≈ ${formatDuration(cpu / navigator.hardwareConcurrency)} ` +
    `wall on ${navigator.hardwareConcurrency} idle cores); load average after ${loadAverage()}`,
);
