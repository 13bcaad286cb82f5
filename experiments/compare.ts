/**
 * `deno task compare`: paired comparisons of the same cells (variant × task) in two runs, from
 * their saved per-meme predictions — difference of means, paired bootstrap interval over the same
 * resampled test memes, bootstrap p-value with Holm's adjustment across the comparisons shown,
 * and McNemar's exact test on the seed-majority predictions — after the settings that differ
 * between the runs.
 *
 *   deno task compare results/<run A> results/<run B> [--protocol clean] [--md out.md]
 *
 * Cells trained on different feature stores are refused (their inputs differ in more than the
 * settings shown) unless `--allow-different-features` is given.
 *
 * @module
 */
import { defineFlags, type ParsedFlags, parseFlagsOrExit, UsageError } from "../lib/config/mod.ts";
import {
  completeCells,
  loadCellResults,
  loadRunPredictions,
  PROTOCOLS,
  readRecordJson,
  readRunRecord,
} from "../lib/run/mod.ts";
import {
  crossRunPairs,
  EXIT,
  exitCodeOf,
  pairedComparisons,
  pairedComparisonTable,
  runMain,
  runReplicates,
} from "../lib/experiment/mod.ts";
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
  { name: "help", type: "boolean", help: "show this help" },
]);
const USAGE = "deno task compare <run A> <run B> [flags]";

function fail(message: string): never {
  throw new UsageError(message);
}

/** Leaf settings of a JSON value, as `path → value`. */
function leaves(value: unknown, path = "", out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, JSON.stringify(value));
  }
  return out;
}

/** The settings that differ between two runs' `config.json` (bookkeeping fields left out). */
export function configDiff(a: unknown, b: unknown): [string, string, string][] {
  const skip = /^(createdAt|name|checksum|flags\.out|flags\.resume|flags\.name)$/;
  const la = leaves(a), lb = leaves(b);
  const keys = [...new Set([...la.keys(), ...lb.keys()])].filter((k) => !skip.test(k)).sort();
  return keys.filter((k) => la.get(k) !== lb.get(k)).map((
    k,
  ) => [k, la.get(k) ?? "(absent)", lb.get(k) ?? "(absent)"]);
}

if (import.meta.main) {
  // The two run directories come first, then the flags.
  const split = Deno.args.findIndex((a) => a.startsWith("--"));
  const runs = split < 0 ? Deno.args : Deno.args.slice(0, split);
  const flags = parseFlagsOrExit(split < 0 ? [] : Deno.args.slice(split), FLAGS, USAGE);
  await runMain(() => compare(runs, flags));
}

async function compare(runs: readonly string[], flags: ParsedFlags<typeof FLAGS>): Promise<void> {
  if (runs.length !== 2) fail(`give exactly two run directories, then flags\n\nusage: ${USAGE}`);
  const protocol = flags.protocol;
  const replicates = flags.replicates;
  if (replicates < 1) fail(`--replicates: expected a positive integer, got ${replicates}`);
  const metas = await Promise.all(runs.map((dir) => readRecordJson(dir)));
  const out: string[] = [`A = ${runs[0]}`, `B = ${runs[1]}`, ""];
  const diff = configDiff(metas[0], metas[1]);
  out.push(
    diff.length === 0
      ? "Settings: identical."
      : `Settings that differ (A → B):\n${
        diff.map(([k, a, b]) => `  ${k}: ${a} → ${b}`).join("\n")
      }`,
  );
  if (
    JSON.stringify(metas[0].featureStore) !== JSON.stringify(metas[1].featureStore) &&
    !flags["allow-different-features"]
  ) {
    console.log(out.join("\n"));
    fail(
      `the runs were trained on different feature stores (${metas[0].featureStore} vs ` +
        `${metas[1].featureStore}): their inputs differ beyond the settings above. ` +
        "Pass --allow-different-features to compare them anyway.",
    );
  }
  let comparisons;
  try {
    // Each run whole, or not at all: a missing predictions file would thin its seeds.
    for (const dir of runs) {
      await loadCellResults(dir); // a damaged cell is named, with the command that repairs it
      const record = await readRunRecord(dir).catch(() => null); // older records lack fields
      if (record) await completeCells(dir, record);
    }
    const [cellsA, cellsB] = await Promise.all(runs.map((d) => loadRunPredictions(d)));
    const keyOf = (c: { variant: string; task: string }) => `${c.variant}\u0000${c.task}`;
    const inB = new Set(cellsB.map(keyOf));
    const common = new Set(cellsA.map(keyOf).filter((k) => inB.has(k)));
    if (common.size === 0) {
      fail(
        `no (variant, task) with saved predictions in both runs (A has ${cellsA.length} cells, ` +
          `B ${cellsB.length})`,
      );
    }
    const options = { replicates, seed: flags.seed };
    const repA = runReplicates(cellsA.filter((c) => common.has(keyOf(c))), options, runs[0]);
    const repB = runReplicates(cellsB.filter((c) => common.has(keyOf(c))), options, runs[1]);
    comparisons = pairedComparisons(crossRunPairs(repA, repB, ["A", "B"]))
      .filter((c) => protocol === "both" || c.protocol === protocol);
  } catch (e) {
    // Cells that cannot be set side by side (other memes, other classes) are a usage error.
    if (exitCodeOf(e) !== EXIT.failure) throw e;
    fail((e as Error).message);
  }
  const held = comparisons.filter((c) => c.holds).length;
  out.push(
    "",
    `Paired comparisons A − B: ${comparisons.length} (Holm across each protocol's family; ` +
      `${held} hold after adjustment, ✓), ${replicates} stratified bootstrap replicates:`,
    pairedComparisonTable(comparisons),
  );
  console.log(out.join("\n"));
  if (flags.md) await writeFileAtomic(flags.md, out.join("\n") + "\n");
}
