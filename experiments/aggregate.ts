/**
 * `deno task aggregate <run-dir>`: writes a run's tables and report from its finished cells —
 * the same aggregation a single-machine run ends with — for runs trained in shards (on several
 * machines, or as a Slurm array). Refuses while cells are missing or a shard still trains.
 *
 *   deno task aggregate results/20260301-120000-ablate-grid [--cache DIR] [--dataset NAME]
 *
 * The features come from the store the run recorded (or the one under `--cache`): the report
 * never extracts them again; the dataset is the one the run recorded (`--dataset` checks it).
 *
 * @module
 */
import { defineFlags, parseArgsOrExit, UsageError } from "../lib/config/mod.ts";
import { aggregateRun } from "../lib/outputs/mod.ts";
import { readRunRecord } from "../lib/run/mod.ts";
import { CACHE_FLAG, describedDataset, printOutcome, runMain } from "../lib/experiment/mod.ts";

const FLAGS = defineFlags([
  CACHE_FLAG,
  {
    name: "dataset",
    type: "string",
    help: "the dataset the run must have been trained on: a preset or a description file " +
      "(default: the one it recorded)",
  },
  { name: "help", type: "boolean", help: "show this help" },
]);
const USAGE = "deno task aggregate <run-dir> [--cache DIR] [--dataset NAME|file.json]";

if (import.meta.main) {
  const { flags, positional } = parseArgsOrExit(Deno.args, FLAGS, USAGE);
  await runMain(async () => {
    if (positional.length !== 1) {
      throw new UsageError(`give exactly one run directory\n\nusage: ${USAGE}`);
    }
    if (flags.dataset !== undefined) {
      const { description } = await describedDataset({ value: flags.dataset, source: "flag" });
      const recorded = (await readRunRecord(positional[0])).dataset.description;
      if (recorded.name !== description.name) {
        throw new UsageError(
          `${positional[0]} was trained on ${recorded.name} (${recorded.title}), not ` +
            `${description.name}`,
        );
      }
    }
    const outcome = await aggregateRun(positional[0], undefined, { cacheDir: flags.cache });
    printOutcome(outcome);
  });
}
