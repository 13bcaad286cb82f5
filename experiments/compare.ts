/**
 * `deno task compare`: paired comparisons of the same cells (variant × task) in every pair of the
 * runs given, from their saved per-meme predictions — difference of means, paired bootstrap
 * interval over the same resampled test memes, bootstrap p-value with Holm's adjustment across
 * the comparisons shown, and McNemar's exact test on the seed-majority predictions — after the
 * settings that differ between the runs. Printed, and written into a new folder
 * `<out>/comparisons/<timestamp>-compare/`: `comparison.html`, `comparison.md` and
 * `metrics_long.csv` (every run's cells in the long format).
 *
 *   deno task compare results/<run A> results/<run B> [results/<run C> …] [--protocol clean]
 *
 * Cells trained on different feature stores are refused (their inputs differ in more than the
 * settings shown) unless `--allow-different-features` is given.
 *
 * @module
 */
import { defineFlags, parseArgsOrExit, resultsRootSetting, UsageError } from "../lib/config/mod.ts";
import { PROTOCOLS } from "../lib/run/mod.ts";
import {
  compareRuns,
  RunComparisonError,
  runComparisonText,
  runsAndSettingsText,
  writeComparison,
} from "../lib/outputs/mod.ts";
import { RESULTS_FLAG, runMain } from "../lib/experiment/mod.ts";
import { BOOTSTRAP_REPLICATES } from "../lib/metrics/mod.ts";
import { writeFileAtomic } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  {
    name: "protocol",
    type: "choice",
    choices: ["both", ...PROTOCOLS],
    default: "both",
    help: "protocols to compare",
  },
  {
    name: "replicates",
    type: "integer",
    default: BOOTSTRAP_REPLICATES,
    help: "bootstrap replicates B",
  },
  { name: "seed", type: "integer", default: 0, help: "bootstrap seed" },
  {
    name: "allow-different-features",
    type: "boolean",
    default: false,
    help: "compare runs trained on different feature stores",
  },
  { name: "md", type: "string", help: "also write the tables to this markdown file" },
  {
    ...RESULTS_FLAG,
    help: "results root: the comparison goes to <out>/comparisons/<timestamp>-compare/ " +
      "(default: $MEMESENSE_RESULTS, else <repo>/results)",
  },
  { name: "help", type: "boolean", help: "show this help" },
]);
const USAGE = "deno task compare <run A> <run B> [<run C> …] [flags]";

if (import.meta.main) {
  // The two run directories come first, then the flags.
  const { flags, positional: runs } = parseArgsOrExit(Deno.args, FLAGS, USAGE);
  await runMain(async () => {
    if (runs.length < 2) {
      throw new UsageError(`give two or more run directories, then flags\n\nusage: ${USAGE}`);
    }
    const comparison = await compareRuns(runs, {
      protocol: flags.protocol,
      replicates: flags.replicates,
      seed: flags.seed,
      allowDifferentFeatures: flags["allow-different-features"],
    }).catch((e) => {
      // What the runs differ in, before the reason they are not compared.
      if (e instanceof RunComparisonError && e.settings) {
        console.log(runsAndSettingsText(runs, e.settings));
      }
      throw e;
    });
    const text = runComparisonText(comparison);
    console.log(text);
    if (flags.md) await writeFileAtomic(flags.md, text + "\n");
    const folder = await writeComparison(comparison, resultsRootSetting(flags.out).value);
    console.log(
      `\nwritten to ${folder}/: comparison.html (the paired tests), comparison.md, ` +
        "metrics_long.csv (every run's cells, long format)",
    );
  });
}
