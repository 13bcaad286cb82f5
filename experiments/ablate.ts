/**
 * `deno task ablate`: sweeps the residual ratio and the mapping depth — as two one-dimensional
 * sweeps through the reference point or as a full grid — plus the named architectural ablations
 * (fusion, modality, classifier kind and init), over chosen tasks and seeds. Cells run in parallel
 * workers; the report has ratio × depth heatmaps and sweep plots with error bars.
 *
 *   deno task ablate [--mode sweeps|grid] [--ratios 0,0.2,...] [--depths 1,2,3] [--tasks hate] ...
 *
 * @module
 */
import { configFromFlags, type FlagSpec, parseFlagsOrExit } from "../lib/config/mod.ts";
import {
  CLUSTER_FLAGS,
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  executeExperiment,
  ExecutionError,
  executionFromFlags,
  explainSetupError,
  gridVariants,
  NAMED_ABLATIONS,
  parseSeeds,
  parseTasks,
  prepareFromFlags,
  printOutcome,
  resumeFromFlags,
  scriptFlags,
  sweepVariants,
  type Variant,
} from "../lib/experiment/mod.ts";
import { parseBackendName } from "../lib/train/mod.ts";

const OWN_FLAGS: readonly FlagSpec[] = [
  { name: "mode", type: "string", default: "sweeps", help: "sweeps (two 1-D sweeps) | grid" },
  { name: "ratios", type: "numbers", default: DEFAULT_RATIOS, help: "residual ratios α" },
  { name: "depths", type: "numbers", default: DEFAULT_DEPTHS, help: "mapping depths" },
  { name: "named", type: "boolean", default: true, help: "also run the named ablations" },
  { name: "tasks", type: "list", default: ["hate"], help: "tasks to train" },
  {
    name: "seeds",
    type: "string",
    default: "3",
    help: "number of seeds (from --seed on), or a comma list",
  },
];
const FLAGS = scriptFlags([...OWN_FLAGS, ...CLUSTER_FLAGS]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task ablate [flags]");
  await resumeFromFlags(flags, String(flags.name ?? `ablate-${flags.mode}`));
  const config = configFromFlags(flags);
  let execution;
  try {
    execution = executionFromFlags(flags);
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const ratios = flags.ratios as number[], depths = flags.depths as number[];
  const mode = String(flags.mode);
  if (mode !== "sweeps" && mode !== "grid") {
    throw new Error(`--mode: expected sweeps or grid, got "${mode}"`);
  }
  const variants: Variant[] = mode === "grid"
    ? gridVariants(ratios, depths)
    : sweepVariants(ratios, depths, {
      ratio: config.head.ratio,
      depth: config.head.numMappingLayers,
    });
  // The reference point first: it is the main variant of the report.
  const ref = `ratio=${config.head.ratio},depth=${config.head.numMappingLayers}`;
  variants.sort((a, b) => Number(b.name === ref) - Number(a.name === ref));
  if (flags.named) variants.push(...NAMED_ABLATIONS);
  const inputs = await prepareFromFlags(flags, config).catch(explainSetupError);
  const tasks = parseTasks(flags.tasks as string[]);
  const seeds = parseSeeds(flags.seeds as string, config.train.seed);
  console.error(`${variants.length} variants × ${tasks.length} task(s) × ${seeds.length} seed(s)`);
  const outcome = await executeExperiment(
    {
      name: String(flags.name ?? `ablate-${mode}`),
      title: `MemeSense ablations (${mode}): residual ratio × mapping depth${
        flags.named ? " and named variants" : ""
      }`,
      tasks,
      seeds,
      variants,
      baseConfig: config,
      inputs,
      outRoot: String(flags.out),
      resume: flags.resume as string | undefined,
      gallery: !flags["no-gallery"],
      backend: parseBackendName(String(flags.backend)),
      workers: flags.workers as number | undefined,
      extra: { flags },
    },
    execution,
    "ablate",
    Deno.args,
  );
  if (outcome) printOutcome(outcome);
}
