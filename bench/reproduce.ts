/**
 * `deno task bench:reproduce`: wall time of the whole reproduce — 4 tasks × 3 seeds × 10 epochs,
 * both protocols, the baselines and the report — through the same `runExperiment` path as
 * `deno task reproduce`, at PrideMM's split sizes on random features (no CLIP, no images), with
 * its parts: training, evaluation (per-epoch val/test logits, metrics, checkpoints), baselines,
 * and tables + report.
 *
 *   deno task bench:reproduce [--backend auto] [--workers 2] [--seeds 3] [--epochs 10]
 *
 * Training and evaluation are summed over workers (worker-seconds); the phases are wall time.
 * The process's CPU time is printed too: on a shared machine the wall time mostly measures the
 * other jobs, the CPU time does not.
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { PRIDEMM_TASKS } from "../lib/data/mod.ts";
import { REFERENCE_VARIANT } from "../lib/run/mod.ts";
import { runExperiment } from "../lib/experiment/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";
import { BENCH_RUN_FLAGS, benchRunSettings, cpuSeconds, loadAverage } from "./_common.ts";

const FLAGS = defineFlags([
  ...BENCH_RUN_FLAGS,
  { name: "help", type: "boolean", help: "show this help" },
]);

const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:reproduce [flags]");
const { config, backend, workers, seeds, inputs } = await benchRunSettings(
  flags,
  "bench:reproduce",
);
const out = await Deno.makeTempDir({ prefix: "memesense-bench-reproduce-" });
console.error(
  `bench:reproduce: ${PRIDEMM_TASKS.length} tasks × ${seeds.length} seeds × ${config.train.epochs} ` +
    `epochs, both protocols, baselines, report; backend ${backend}, ${workers} workers, ` +
    `${inputs.dataset.memes.length} memes; load average ${loadAverage()}`,
);
const t0 = performance.now();
const cpu0 = cpuSeconds();
let outcome;
try {
  outcome = await runExperiment({
    name: "bench-reproduce",
    title: "MemeSense: MemeCLIP head on PrideMM, beside the paper",
    tasks: PRIDEMM_TASKS,
    seeds,
    variants: [REFERENCE_VARIANT],
    baseConfig: config,
    inputs,
    outRoot: out,
    backend,
    workers,
    compareWithPaper: true,
    baselines: true,
    saveHeads: true,
  });
} finally {
  await Deno.remove(out, { recursive: true });
}
const seconds = (performance.now() - t0) / 1000;
const cpu = cpuSeconds() - cpu0;
const epochs = outcome.results.flatMap((r) => r.curves);
const evalSeconds = epochs.reduce((s, e) => s + e.evalSeconds, 0);
const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0) - evalSeconds;
const t = outcome.timings;
console.log(
  `reproduce: ${outcome.results.length} cells (${PRIDEMM_TASKS.length} tasks × ${seeds.length} seeds, ` +
    `${config.train.epochs} epochs) in ${formatDuration(seconds)} on ` +
    `${outcome.results[0].backend} with ${workers} workers`,
);
console.log(
  `  cells ${formatDuration(t.cells)} wall: training ${formatDuration(trainSeconds)} + ` +
    `evaluation ${formatDuration(evalSeconds)} worker-seconds`,
);
console.log(
  `  baselines ${formatDuration(t.baselines)}, analysis, tables + report ${
    formatDuration(t.outputs)
  }, ` +
    `other ${formatDuration(seconds - t.cells - t.baselines - t.outputs)}`,
);
console.log(
  `  CPU time ${formatDuration(cpu)} (all threads): on ${navigator.hardwareConcurrency} idle ` +
    `cores ≈ ${formatDuration(cpu / navigator.hardwareConcurrency)} wall; load average after: ` +
    loadAverage(),
);
