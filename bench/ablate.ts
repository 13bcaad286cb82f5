/**
 * `deno task bench:ablate`: wall time of the default ablation — the two 1-D sweeps (ratio 0…1 at
 * depth 1, depth 1…3 at ratio 0.2: 8 variants) on one task with 3 seeds, 10 epochs, PrideMM's
 * real split sizes and labels — on random features, so it needs neither CLIP nor the images.
 *
 *   deno task bench:ablate [--backend wasm] [--task hate] [--seeds 3] [--epochs 10] [--workers 2]
 *
 * @module
 */
import {
  DEFAULT_CONFIG,
  type FlagSpec,
  makeConfig,
  parseFlagsOrExit,
  TASK_NAMES,
  TASKS,
} from "../lib/config/mod.ts";
import { findPrideMMCsv, loadPrideMM, SPLITS } from "../lib/data/mod.ts";
import {
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  type ExperimentInputs,
  parseSeeds,
  parseTasks,
  runExperiment,
  sweepVariants,
} from "../lib/experiment/mod.ts";
import { parseBackendName } from "../lib/train/mod.ts";
import { formatDuration, Rng } from "../lib/util/mod.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "backend", type: "string", default: "wasm", help: "training backend" },
  { name: "task", type: "string", default: "hate", help: "task to sweep" },
  { name: "seeds", type: "string", default: "3", help: "number of seeds" },
  { name: "epochs", type: "number", default: 10, help: "epochs per cell" },
  { name: "workers", type: "number", help: "parallel workers (default: one per core)" },
  { name: "help", type: "boolean", help: "show this help" },
];

const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:ablate [flags]");
const csv = findPrideMMCsv();
if (!csv) {
  console.error(
    "bench:ablate needs PrideMM.csv for its split sizes and labels (see data/README.md)",
  );
  Deno.exit(2);
}
const dataset = await loadPrideMM(csv);
const n = dataset.memes.length, dim = DEFAULT_CONFIG.head.unmappedDim;
const rng = new Rng(0);
const random = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
const prompts = Object.fromEntries(TASK_NAMES.map((t) => {
  const c = TASKS[t].classNames.length;
  return [t, {
    promptEmbeds: random(c * dim),
    classifierInit: random(c * DEFAULT_CONFIG.head.mapDim),
  }];
})) as ExperimentInputs["prompts"];
const inputs: ExperimentInputs = {
  dataset,
  datasetSha256: "random-features",
  features: {
    dim,
    names: dataset.memes.map((m) => m.name),
    image: random(n * dim),
    text: random(n * dim),
    imageOk: new Uint8Array(n).fill(1),
  },
  featureKey: "random-features",
  featureDir: "",
  modelId: "random-features",
  prompts,
  missingImages: Object.fromEntries(SPLITS.map((s) => [s, 0])) as ExperimentInputs["missingImages"],
};
const config = makeConfig({ train: { epochs: flags.epochs as number } });
const tasks = parseTasks([String(flags.task)]);
const seeds = parseSeeds(flags.seeds as string, config.train.seed);
const variants = sweepVariants(DEFAULT_RATIOS, DEFAULT_DEPTHS);
const out = await Deno.makeTempDir({ prefix: "memesense-bench-ablate-" });
const backend = parseBackendName(String(flags.backend));
const workers = (flags.workers as number | undefined) ?? navigator.hardwareConcurrency;
console.error(
  `bench:ablate: ${variants.length} variants × ${tasks.length} task × ${seeds.length} seeds, ` +
    `${config.train.epochs} epochs, backend ${backend}, ${workers} workers, ${n} memes`,
);
const t0 = performance.now();
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
await Deno.remove(out, { recursive: true });
const epochs = outcome.results.length * config.train.epochs;
console.log(
  `1-D sweeps: ${outcome.results.length} cells (${variants.length} variants × ${tasks.length} task × ` +
    `${seeds.length} seeds) in ${formatDuration(seconds)} on ${outcome.results[0].backend} with ` +
    `${workers} workers (${(seconds * workers / epochs).toFixed(1)} s per epoch per worker)`,
);
