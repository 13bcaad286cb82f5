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
import {
  assertWritableDir,
  defineFlags,
  makeConfig,
  parseFlagsOrExit,
  resolveRunSettings,
  resultsRootSetting,
  SettingError,
} from "../lib/config/mod.ts";
import {
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  gridVariants,
  NAMED_ABLATIONS,
  sweepVariants,
  type Variant,
} from "../lib/run/mod.ts";
import {
  CLUSTER_FLAGS,
  executeExperiment,
  executionFromFlags,
  parseSeeds,
  prepareFromFlags,
  printOutcome,
  resumeFromFlags,
  resumeHelp,
  runMain,
  scriptFlags,
} from "../lib/experiment/mod.ts";

const OWN_FLAGS = defineFlags([
  {
    name: "mode",
    type: "choice",
    choices: ["sweeps", "grid"],
    default: "sweeps",
    help: "two 1-D sweeps through the reference point, or the full grid",
  },
  { name: "ratios", type: "numbers", default: DEFAULT_RATIOS, help: "residual ratios α" },
  { name: "depths", type: "numbers", default: DEFAULT_DEPTHS, help: "mapping depths" },
  { name: "named", type: "boolean", default: true, help: "also run the named ablations" },
  {
    name: "tasks",
    type: "list",
    help: "tasks to train (default: the dataset's first: hate on PrideMM)",
  },
  {
    name: "seeds",
    type: "string",
    default: "3",
    help: "number of seeds (from --seed on), or a comma list",
  },
]);
const FLAGS = scriptFlags([...OWN_FLAGS, ...CLUSTER_FLAGS]);

/** ` on HarMeme (Harm-C)` in an ablation's title: on PrideMM, nothing (as it always read). */
function ablationDataset(description: { readonly name: string; readonly title: string }): string {
  return description.name === "pridemm" ? "" : ` on ${description.title}`;
}

if (import.meta.main) {
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    "deno task ablate [flags]",
    () => resumeHelp(FLAGS),
  );
  await resumeFromFlags(flags, flags.name ?? `ablate-${flags.mode}`, FLAGS, Deno.args);
  await runMain(async () => {
    const settings = resolveRunSettings(flags);
    const config = settings.config;
    const execution = executionFromFlags(flags);
    const { mode, ratios, depths } = flags;
    // The swept values are settings too: check them before anything starts.
    for (const ratio of ratios) {
      try {
        makeConfig({ head: { ratio } }, config);
      } catch {
        throw new SettingError("--ratios", ratios, "numbers in [0, 1]");
      }
    }
    for (const numMappingLayers of depths) {
      if (!Number.isInteger(numMappingLayers) || numMappingLayers < 1) {
        throw new SettingError("--depths", depths, "integers ≥ 1");
      }
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
    const seeds = parseSeeds(flags.seeds, config.train.seed);
    const results = resultsRootSetting(flags.out);
    if (!flags.resume) await assertWritableDir(results.value, "--out");
    const { inputs, tasks, resolved } = await prepareFromFlags(flags, settings, {
      tasks: flags.tasks,
      defaultTasks: "first",
    });
    console.error(
      `${variants.length} variants × ${tasks.length} task(s) × ${seeds.length} seed(s)`,
    );
    const outcome = await executeExperiment(
      {
        name: flags.name ?? `ablate-${mode}`,
        title: `MemeSense ablations (${mode}): residual ratio × mapping depth${
          flags.named ? " and named variants" : ""
        }${ablationDataset(inputs.dataset.description)}`,
        tasks,
        seeds,
        variants,
        baseConfig: config,
        inputs,
        outRoot: results.value,
        resume: flags.resume,
        gallery: !flags["no-gallery"],
        backend: settings.backend,
        workers: settings.workers,
        script: "ablate",
        flags,
        settings: { ...settings.resolved, ...resolved, results },
      },
      execution,
      "ablate",
      Deno.args,
    );
    if (outcome) printOutcome(outcome);
  });
}
