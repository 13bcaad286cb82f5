/**
 * `deno task reproduce`: the paper's per-task table. Ensures CLIP features exist (extracting them
 * on first use), trains every task of the dataset (PrideMM: hate, target, stance and humour) over
 * several seeds under both checkpoint protocols, runs the baselines, and writes
 * `results/<timestamp>-reproduce/` with the table — beside the paper's numbers for PrideMM's
 * released annotations and CLIP ViT-L/14, saying what it is otherwise — and a self-contained
 * `report.html`.
 *
 *   deno task reproduce [--dataset pridemm|harmeme|…|file.json] [--tasks hate,stance] [--seeds 3]
 *                       [--epochs 10] [--protocol both] ...
 *
 * @module
 */
import {
  assertWritableDir,
  defineFlags,
  parseFlagsOrExit,
  resolveRunSettings,
  resultsRootSetting,
} from "../lib/config/mod.ts";
import { REFERENCE_VARIANT } from "../lib/run/mod.ts";
import { checkPartialData, reproduceTitle } from "../lib/analysis/mod.ts";
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
  { name: "tasks", type: "list", help: "tasks to train (default: every task of the dataset)" },
  {
    name: "seeds",
    type: "string",
    default: "3",
    help: "number of seeds (from --seed on), or a comma list",
  },
  {
    name: "protocol",
    type: "choice",
    choices: ["both", "reference", "clean"],
    default: "both",
    help: "table columns",
  },
  {
    name: "baselines",
    type: "boolean",
    default: true,
    help: "also run zero-shot CLIP and a linear probe",
  },
  {
    name: "allow-missing",
    type: "boolean",
    help: "compare with the paper even when a split lost more than 1 % of its memes " +
      "(every table then starts with the memes used per split)",
  },
]);
const FLAGS = scriptFlags([...OWN_FLAGS, ...CLUSTER_FLAGS]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    "deno task reproduce [flags]",
    () => resumeHelp(FLAGS),
  );
  await resumeFromFlags(flags, flags.name ?? "reproduce", FLAGS, Deno.args);
  await runMain(async () => {
    const settings = resolveRunSettings(flags);
    const execution = executionFromFlags(flags);
    const seeds = parseSeeds(flags.seeds, settings.config.train.seed);
    const results = resultsRootSetting(flags.out);
    if (!flags.resume) await assertWritableDir(results.value, "--out");
    const { inputs, tasks, resolved } = await prepareFromFlags(flags, settings, {
      tasks: flags.tasks,
    });
    checkPartialData(inputs, flags["allow-missing"] === true);
    const outcome = await executeExperiment(
      {
        name: flags.name ?? "reproduce",
        title: reproduceTitle(inputs),
        tasks,
        seeds,
        variants: [REFERENCE_VARIANT],
        baseConfig: settings.config,
        inputs,
        outRoot: results.value,
        resume: flags.resume,
        gallery: !flags["no-gallery"],
        backend: settings.backend,
        workers: settings.workers,
        compareWithPaper: true,
        baselines: flags.baselines,
        saveHeads: true,
        script: "reproduce",
        flags,
        settings: { ...settings.resolved, ...resolved, results },
      },
      execution,
      "reproduce",
      Deno.args,
    );
    if (outcome) printOutcome(outcome, flags.protocol);
  });
}
