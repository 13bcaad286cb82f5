/**
 * `deno task transfer`: cross-dataset evaluation. Heads of the source task are trained and
 * selected on the source dataset (both checkpoint protocols, on its splits, over several seeds),
 * then tested once on each target's test split, the target's labels read as the source's
 * classes; the table gives each with its stratified bootstrap interval beside the source's own
 * test split and, where there is one, a within-dataset run on the target. Resumable like every
 * run: `--resume <run-dir>` (or `latest`) trains only the cells that are not complete.
 *
 *   deno task transfer --from pridemm:hate --to harmeme:harmful,fhm:hateful \
 *     [--data pridemm=/data/PrideMM.csv,harmeme=/data/harmeme] [--map 0=0,1=1] [--seeds 3]
 *
 * @module
 */
import {
  assertWritableDir,
  CONFIG_FLAGS,
  defineFlags,
  parseFlagsOrExit,
  resolveRunSettings,
  resultsRootSetting,
} from "../lib/config/mod.ts";
import { REFERENCE_VARIANT } from "../lib/run/mod.ts";
import {
  OUTPUT_FLAGS,
  parseSeeds,
  prepareTransfer,
  printOutcome,
  resumeTransferFlags,
  runExperiment,
  runMain,
} from "../lib/experiment/mod.ts";

const FLAGS = defineFlags([
  {
    name: "from",
    type: "string",
    help: "the source task: dataset:task (a preset or a description file .json, then its task)",
  },
  { name: "to", type: "list", help: "the targets: dataset:task, comma-separated" },
  {
    name: "map",
    type: "string",
    help: "source=target class indices for every target (e.g. 0=0,1=1; default: the " +
      "descriptions' transfer fields)",
  },
  {
    name: "within",
    type: "list",
    help: "finished runs on the targets to show beside (default: the newest found under --out)",
  },
  {
    name: "data",
    type: "list",
    help: "name=path per dataset: its folder (PrideMM: its CSV; default as --data of one dataset)",
  },
  { name: "images", type: "list", help: "name=path per dataset: its images folder" },
  { name: "splits", type: "list", help: "name.role=split pairs (e.g. fhm.test=dev_seen)" },
  { name: "seeds", type: "string", default: "3", help: "number of seeds, or a comma list" },
  ...OUTPUT_FLAGS,
  ...CONFIG_FLAGS,
]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task transfer --from D:T --to D:T,…");
  await runMain(async () => {
    const name = flags.name ?? "transfer";
    const results = resultsRootSetting(flags.out);
    if (flags.resume !== undefined) {
      await resumeTransferFlags(flags, name, FLAGS, Deno.args, results.value);
    } else await assertWritableDir(results.value, "--out");
    const settings = resolveRunSettings(flags);
    const seeds = parseSeeds(flags.seeds, settings.config.train.seed);
    const prepared = await prepareTransfer(flags, settings, { resultsRoot: results.value });
    const outcome = await runExperiment({
      name,
      title: prepared.title,
      tasks: [prepared.task],
      seeds,
      variants: [REFERENCE_VARIANT],
      baseConfig: settings.config,
      inputs: prepared.inputs,
      transfer: prepared.targets,
      outRoot: results.value,
      resume: flags.resume,
      gallery: !flags["no-gallery"],
      backend: settings.backend,
      workers: settings.workers,
      compareWithPaper: true,
      saveHeads: true,
      script: "transfer",
      flags,
      settings: { ...settings.resolved, ...prepared.resolved, results },
    });
    printOutcome(outcome);
  });
}
