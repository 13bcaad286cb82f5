/**
 * Two runs compared (`deno task compare`): the settings that differ between their records, then
 * paired comparisons of the same cells (variant × task) in both, from their saved per-meme
 * predictions — difference of means, paired bootstrap interval over the same resampled test memes,
 * bootstrap p-value with Holm's adjustment across the comparisons shown, and McNemar's exact test
 * on the seed-majority predictions. Each run is compared whole or not at all.
 *
 * @module
 */
import { UsageError } from "../config/mod.ts";
import { BOOTSTRAP_REPLICATES } from "../metrics/mod.ts";
import {
  completeCells,
  loadCellResults,
  loadRunPredictions,
  type Protocol,
  readRecordJson,
  readRunRecord,
} from "../run/mod.ts";
import { pairedComparisonTable } from "./run_tables.ts";
import {
  crossRunPairs,
  type PairedComparison,
  pairedComparisons,
  runReplicates,
} from "./uncertainty.ts";

/**
 * Why two runs cannot be compared as asked (exit status 2); with the settings that differ when
 * they were read before the refusal.
 */
export class RunComparisonError extends UsageError {
  /** Creates the error. */
  constructor(message: string, readonly settings?: readonly SettingDifference[]) {
    super(message);
    this.name = "RunComparisonError";
  }
}

/** One setting that differs between two runs' records: its path, and its value in each. */
export interface SettingDifference {
  /** The setting's path in `config.json`, e.g. `config.head.ratio`. */
  readonly path: string;
  /** Its value in the first run, as JSON (`(absent)` when it has none). */
  readonly a: string;
  /** Its value in the second run, likewise. */
  readonly b: string;
}

/** Options of {@linkcode compareRuns}. */
export interface CompareRunsOptions {
  /** The protocols compared (default both). */
  readonly protocol?: "both" | Protocol;
  /** Bootstrap replicates `B` (default 2,000). */
  readonly replicates?: number;
  /** Seed of the resampling (default 0). */
  readonly seed?: number;
  /** Compare runs trained on different feature stores (default false: refused). */
  readonly allowDifferentFeatures?: boolean;
}

/** Two runs compared. */
export interface RunComparison {
  /** The two run directories, A then B. */
  readonly runs: readonly [string, string];
  /** The settings that differ, A → B. */
  readonly settings: readonly SettingDifference[];
  /** Bootstrap replicates used. */
  readonly replicates: number;
  /** The paired comparisons A − B, protocol by protocol. */
  readonly comparisons: readonly PairedComparison[];
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

/**
 * The settings that differ between two runs' records, leaf by leaf in path order; bookkeeping
 * (the name, the creation time, the seal, the flags that only say where a run went) is left out.
 */
export function settingDifferences(a: unknown, b: unknown): SettingDifference[] {
  const skip = /^(createdAt|name|checksum|flags\.out|flags\.resume|flags\.name)$/;
  const la = leaves(a), lb = leaves(b);
  const paths = [...new Set([...la.keys(), ...lb.keys()])].filter((k) => !skip.test(k)).sort();
  return paths.filter((k) => la.get(k) !== lb.get(k))
    .map((path) => ({ path, a: la.get(path) ?? "(absent)", b: lb.get(path) ?? "(absent)" }));
}

/** `Settings that differ (A → B):` and one line per setting, or `Settings: identical.` */
function settingDifferencesText(settings: readonly SettingDifference[]): string {
  return settings.length === 0
    ? "Settings: identical."
    : `Settings that differ (A → B):\n${
      settings.map((d) => `  ${d.path}: ${d.a} → ${d.b}`).join("\n")
    }`;
}

/**
 * Compares run `a` with run `b`. Refuses with a {@linkcode RunComparisonError} runs trained on
 * different feature stores (their inputs differ beyond the settings, which the error carries;
 * unless `allowDifferentFeatures`), runs with no
 * (variant, task) in common, and cells that cannot be set side by side (other memes, classes or
 * resamples). A run whose cells are incomplete or damaged is refused by name, with the command
 * that repairs it.
 */
export async function compareRuns(
  a: string,
  b: string,
  options: CompareRunsOptions = {},
): Promise<RunComparison> {
  const replicates = options.replicates ?? BOOTSTRAP_REPLICATES;
  if (!(Number.isInteger(replicates) && replicates >= 1)) {
    throw new RunComparisonError(
      `--replicates: expected a positive integer, got ${replicates}`,
    );
  }
  const runs = [a, b] as const;
  const records = await Promise.all(runs.map((dir) => readRecordJson(dir)));
  const settings = settingDifferences(records[0], records[1]);
  const [storeA, storeB] = records.map((r) => r.featureStore);
  if (JSON.stringify(storeA) !== JSON.stringify(storeB) && !options.allowDifferentFeatures) {
    throw new RunComparisonError(
      `the runs were trained on different feature stores (${storeA} vs ${storeB}): their ` +
        "inputs differ beyond the settings above. Pass --allow-different-features to compare " +
        "them anyway.",
      settings,
    );
  }
  // Each run whole, or not at all: a missing predictions file would thin its seeds.
  let tasks: string[] | undefined;
  for (const dir of runs) {
    await loadCellResults(dir); // a damaged cell is named, with the command that repairs it
    const record = await readRunRecord(dir).catch(() => null); // older records lack fields
    if (record) await completeCells(dir, record);
    // The first run's dataset orders the tasks and picks each one's resampling stream.
    tasks ??= record?.dataset.description.tasks.map((t) => t.name);
  }
  const [cellsA, cellsB] = await Promise.all(runs.map((d) => loadRunPredictions(d)));
  const keyOf = (c: { variant: string; task: string }) => `${c.variant}\u0000${c.task}`;
  const inB = new Set(cellsB.map(keyOf));
  const common = new Set(cellsA.map(keyOf).filter((k) => inB.has(k)));
  if (common.size === 0) {
    throw new RunComparisonError(
      `no (variant, task) with saved predictions in both runs (A has ${cellsA.length} cells, ` +
        `B ${cellsB.length})`,
    );
  }
  let comparisons: PairedComparison[];
  try {
    const bootstrap = { replicates, seed: options.seed ?? 0, tasks };
    const repA = runReplicates(cellsA.filter((c) => common.has(keyOf(c))), bootstrap, a);
    const repB = runReplicates(cellsB.filter((c) => common.has(keyOf(c))), bootstrap, b);
    comparisons = pairedComparisons(crossRunPairs(repA, repB, ["A", "B"]));
  } catch (e) {
    // Cells that cannot be set side by side (other memes, other classes): the runs' fault.
    throw new RunComparisonError((e as Error).message);
  }
  const protocol = options.protocol ?? "both";
  return {
    runs,
    settings,
    replicates,
    comparisons: comparisons.filter((c) => protocol === "both" || c.protocol === protocol),
  };
}

/** The head of a comparison as printed: the two runs, then the settings that differ. */
export function runsAndSettingsText(
  runs: readonly [string, string],
  settings: readonly SettingDifference[],
): string {
  return [`A = ${runs[0]}`, `B = ${runs[1]}`, "", settingDifferencesText(settings)].join("\n");
}

/** A comparison as `deno task compare` prints it: the runs, the settings, the paired table. */
export function runComparisonText(comparison: RunComparison): string {
  const { comparisons } = comparison;
  const held = comparisons.filter((c) => c.holds).length;
  return [
    runsAndSettingsText(comparison.runs, comparison.settings),
    "",
    `Paired comparisons A − B: ${comparisons.length} (Holm across each protocol's family; ` +
    `${held} hold after adjustment, ✓), ${comparison.replicates} stratified bootstrap replicates:`,
    pairedComparisonTable(comparisons),
  ].join("\n");
}
