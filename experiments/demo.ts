/**
 * `deno task demo`: the whole pipeline end to end with no network — a generated meme set (labels
 * drawn as visible properties and caption words), the generated tiny CLIP, feature extraction,
 * the reproduce table on one seed, and a short ratio × depth ablation, each with its report.
 * Its numbers say whether the pipeline learns, not how MemeCLIP performs. `--dataset` runs the
 * same on any described dataset found here (still offline, still the tiny model unless `--model`
 * names another).
 *
 *   deno task demo [--count 480] [--seeds 1] [--epochs 10] [--out results]
 *   deno task demo --dataset harmeme [--data data/harmeme]
 *
 * @module
 */
import {
  assertWritableDir,
  cacheSetting,
  CONFIG_FLAGS,
  defineFlags,
  DEMO_DATASET,
  makeConfig,
  parseFlagsOrExit,
  readEnvironment,
  resolveRunSettings,
  resultsRootSetting,
  SettingError,
} from "../lib/config/mod.ts";
import {
  checkTaskSplits,
  describeResume,
  listRuns,
  prepareInputs,
  readRunRecord,
  REFERENCE_VARIANT,
  resolveResume,
  runPath,
  sweepVariants,
} from "../lib/run/mod.ts";
import {
  BACKEND_FLAG,
  CACHE_FLAG,
  DATASET_FLAGS,
  datasetFromFlags,
  type ExperimentOutcome,
  type ExperimentSpec,
  givenFlagNames,
  parseSeeds,
  printOutcome,
  restoreRecordedFlags,
  RESULTS_FLAG,
  resumeHelp,
  runExperiment,
  runMain,
  WORKERS_FLAG,
} from "../lib/experiment/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  ...DATASET_FLAGS.map((f) =>
    f.name === "dataset"
      ? {
        ...f,
        help: "the dataset: synthetic (generated), a preset or a description file .json " +
          "(default: synthetic; MEMESENSE_DATASET does not apply)",
      }
      : f
  ),
  {
    name: "count",
    type: "integer",
    default: 480,
    help: "synthetic memes to generate (the synthetic dataset)",
  },
  { name: "seeds", type: "string", default: "1", help: "number of seeds, or a comma list" },
  { name: "ablation", type: "boolean", default: true, help: "also run the short ablation" },
  RESULTS_FLAG,
  BACKEND_FLAG,
  WORKERS_FLAG,
  CACHE_FLAG,
  {
    name: "no-gallery",
    type: "boolean",
    default: false,
    help: "leave the gallery of confident errors out of the reports",
  },
  {
    name: "resume",
    type: "string",
    help: "latest: continue the newest demo and demo ablation runs where they stopped",
  },
  { name: "help", type: "boolean", help: "show this help" },
  ...CONFIG_FLAGS,
]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    "deno task demo [flags]",
    () => resumeHelp(FLAGS),
  );
  await runMain(async () => {
    const t0 = performance.now();
    if (flags.resume !== undefined && flags.resume !== "latest") {
      throw new SettingError("--resume", flags.resume, "latest (the demo resumes its latest runs)");
    }
    const results = resultsRootSetting(flags.out);
    const resultsRoot = results.value;
    if (flags.resume !== undefined) {
      // The demo's settings are those its newest run recorded; flags given must agree.
      // The reproduce part's record: the ablation's config differs from the flags (fewer epochs).
      const runs = await listRuns(resultsRoot);
      const newest = runs.find((r) => r.meta.name === "demo") ??
        runs.find((r) => r.meta.name === "demo-ablate");
      if (newest) {
        restoreRecordedFlags(
          flags,
          newest.dir,
          await readRunRecord(newest.dir),
          givenFlagNames(Deno.args, FLAGS),
          FLAGS,
        );
      }
    }
    // The demo runs the tiny model offline unless --model names another: it ignores
    // MEMESENSE_CLIP_MODEL, which usually names the full-size model of real runs.
    const settings = resolveRunSettings(flags, {
      base: makeConfig({ clip: { model: "tiny" } }),
      env: { ...readEnvironment(), clipModel: undefined },
    });
    const config = settings.config;
    if (flags.count < 1) throw new SettingError("--count", flags.count, "an integer ≥ 1");
    const seeds = parseSeeds(flags.seeds, config.train.seed);
    if (flags.resume === undefined) await assertWritableDir(resultsRoot, "--out");
    const cache = cacheSetting(flags.cache);
    // Like the CLIP model, the demo's dataset is its own unless --dataset names one:
    // MEMESENSE_DATASET usually names the data of real runs.
    const loaded = await datasetFromFlags(flags, {
      default: DEMO_DATASET,
      env: { ...readEnvironment(), dataset: undefined },
      offline: true,
      syntheticCount: flags.count,
      log: (line) => console.error(line),
    });
    const { dataset } = loaded;
    const synthetic = dataset.description.name === "synthetic";
    const tasks = dataset.tasks.map((t) => t.name);
    // Stance on the synthetic set: its hate is learnt perfectly in one epoch by every variant.
    const ablationTask = synthetic ? "stance" : tasks[0];
    checkTaskSplits(dataset, null, tasks);
    const inputs = await prepareInputs({
      dataset,
      source: loaded.source,
      model: config.clip.model,
      preprocess: config.clip.preprocess,
      imageMode: config.clip.imageMode,
      offline: true,
      cacheDir: cache.value,
    });
    const common = {
      baseConfig: config,
      inputs,
      outRoot: resultsRoot,
      backend: settings.backend,
      workers: settings.workers,
      script: "demo",
      flags,
      settings: {
        model: settings.resolved.model,
        backend: settings.resolved.backend,
        ...loaded.resolved,
        cache,
        results,
      },
    };
    const reproduce = await runDemoPart(resultsRoot, flags.resume !== undefined, {
      ...common,
      name: "demo",
      title: synthetic
        ? "MemeSense demo: synthetic memes and tiny CLIP (not comparable with the paper)"
        : `MemeSense demo on ${dataset.description.title}`,
      tasks,
      seeds,
      variants: [REFERENCE_VARIANT],
      // Asked for, and declined by the experiment for generated memes and the tiny model: every
      // table says why there is no paper row.
      compareWithPaper: true,
      baselines: true,
      saveHeads: true,
      // Per-meme predictions of every cell, exported as `deno task predictions` does.
      predictionsCsv: true,
    });
    if (reproduce) printOutcome(reproduce);
    if (flags.ablation) {
      const ablation = await runDemoPart(resultsRoot, flags.resume !== undefined, {
        ...common,
        name: "demo-ablate",
        title: synthetic
          ? "MemeSense demo ablation: residual ratio × mapping depth on synthetic stance"
          : `MemeSense demo ablation: residual ratio × mapping depth on ${dataset.description.title} ${ablationTask}`,
        tasks: [ablationTask],
        seeds,
        variants: sweepVariants([0, 0.2, 0.6, 1], [1, 2], { ratio: 0.2, depth: 1 }),
        baseConfig: makeConfig({ train: { epochs: Math.min(5, config.train.epochs) } }, config),
      });
      if (ablation) printOutcome(ablation);
    }
    if (reproduce) {
      const csv = runPath(reproduce.runDir, "predictionsCsv");
      console.log(
        `\nper-meme predictions of every cell: ${csv} (deno task predictions <run> --csv ` +
          "out.csv); compare the same cells of two runs: deno task compare <run A> <run B>",
      );
    }
    console.log(`demo finished in ${formatDuration((performance.now() - t0) / 1000)}`);
  });
}

/**
 * Runs one part of the demo; with `--resume latest`, continues its newest run if that did not
 * finish, and leaves it alone (null) if it did.
 */
async function runDemoPart(
  out: string,
  resume: boolean,
  spec: ExperimentSpec,
): Promise<ExperimentOutcome | null> {
  if (!resume) return await runExperiment(spec);
  const newest = (await listRuns(out)).find((r) => r.meta.name === spec.name);
  if (!newest) {
    console.error(`${spec.name}: no earlier run under ${out}; starting one`);
    return await runExperiment(spec);
  }
  if (newest.finished) {
    console.error(`${spec.name}: the newest run has finished, nothing to resume: ${newest.dir}`);
    return null;
  }
  const target = await resolveResume(newest.dir, { outRoot: out, name: spec.name }, {});
  console.error(describeResume(target));
  return await runExperiment({ ...spec, resume: newest.dir });
}
