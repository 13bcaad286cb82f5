/**
 * `deno task report <run-dir>`: writes a run's tables and report from its finished cells —
 * the same aggregation a single-machine run ends with — for runs trained in shards (on several
 * machines, or as a Slurm array). Refuses while cells are missing or a shard still trains.
 *
 *   deno task report results/20260301-120000-ablate-grid
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit, UsageError } from "../lib/config/mod.ts";
import { printOutcome, reportRun, runMain } from "../lib/experiment/mod.ts";

const FLAGS = defineFlags([{ name: "help", type: "boolean", help: "show this help" }]);
const USAGE = "deno task report <run-dir>";

if (import.meta.main) {
  const positional = Deno.args.filter((a) => !a.startsWith("--"));
  parseFlagsOrExit(Deno.args.filter((a) => a.startsWith("--")), FLAGS, USAGE);
  await runMain(async () => {
    if (positional.length !== 1) {
      throw new UsageError(`give exactly one run directory\n\nusage: ${USAGE}`);
    }
    const outcome = await reportRun(positional[0]);
    printOutcome({ ...outcome, trained: 0, pending: 0 });
  });
}
