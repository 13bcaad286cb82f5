/**
 * `deno task reproduce`: the paper's per-task table. Ensures CLIP features exist (extracting them
 * on first use), trains hate, target, stance and humour over several seeds under both checkpoint
 * protocols, runs the baselines, and writes `results/<timestamp>-reproduce/` with the table beside
 * the paper's numbers and a self-contained `report.html`.
 *
 *   deno task reproduce [--tasks hate,stance] [--seeds 3] [--epochs 10] [--protocol both] ...
 *
 * @module
 */
import { configFromFlags, type FlagSpec, parseFlagsOrExit } from "../lib/config/mod.ts";
import {
  checkPartialData,
  CLUSTER_FLAGS,
  executeExperiment,
  ExecutionError,
  executionFromFlags,
  explainSetupError,
  notComparableReason,
  parseSeeds,
  parseTasks,
  prepareFromFlags,
  printOutcome,
  REFERENCE_VARIANT,
  resumeFromFlags,
  scriptFlags,
} from "../lib/experiment/mod.ts";
import { parseBackendName } from "../lib/train/mod.ts";

const OWN_FLAGS: readonly FlagSpec[] = [
  {
    name: "tasks",
    type: "list",
    default: ["hate", "target", "stance", "humour"],
    help: "tasks to train",
  },
  {
    name: "seeds",
    type: "string",
    default: "3",
    help: "number of seeds (from --seed on), or a comma list",
  },
  {
    name: "protocol",
    type: "string",
    default: "both",
    help: "table columns: both | reference | clean",
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
];
const FLAGS = scriptFlags([...OWN_FLAGS, ...CLUSTER_FLAGS]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task reproduce [flags]");
  await resumeFromFlags(flags, String(flags.name ?? "reproduce"));
  const config = configFromFlags(flags);
  let execution;
  try {
    execution = executionFromFlags(flags);
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const protocol = String(flags.protocol);
  if (!["both", "reference", "clean"].includes(protocol)) {
    throw new Error(`--protocol: expected both, reference or clean, got "${protocol}"`);
  }
  const inputs = await prepareFromFlags(flags, config).catch(explainSetupError);
  try {
    checkPartialData(inputs, flags["allow-missing"] === true);
  } catch (e) {
    explainSetupError(e);
  }
  const notComparable = notComparableReason(inputs);
  const outcome = await executeExperiment(
    {
      name: String(flags.name ?? "reproduce"),
      title: notComparable
        ? `MemeSense: MemeCLIP head (${notComparable})`
        : "MemeSense: MemeCLIP head on PrideMM, beside the paper",
      tasks: parseTasks(flags.tasks as string[]),
      seeds: parseSeeds(flags.seeds as string, config.train.seed),
      variants: [REFERENCE_VARIANT],
      baseConfig: config,
      inputs,
      outRoot: String(flags.out),
      resume: flags.resume as string | undefined,
      gallery: !flags["no-gallery"],
      backend: parseBackendName(String(flags.backend)),
      workers: flags.workers as number | undefined,
      compareWithPaper: true,
      baselines: Boolean(flags.baselines),
      saveHeads: true,
      extra: { flags, protocolColumns: protocol },
    },
    execution,
    "reproduce",
    Deno.args,
  );
  if (outcome) printOutcome(outcome, protocol as "both" | "reference" | "clean");
}
