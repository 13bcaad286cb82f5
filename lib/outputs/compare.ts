/**
 * Runs compared (`deno task compare A B …`): the settings that differ between their records, then
 * paired comparisons of the same cells (variant × task) in every pair of runs, from their saved
 * per-meme predictions — difference of means, paired bootstrap interval over the same resampled
 * test memes, bootstrap p-value with Holm's adjustment across the comparisons shown, and
 * McNemar's exact test on the seed-majority predictions. Each run is compared whole or not at
 * all. {@linkcode writeComparison} writes the comparison into a new folder: an HTML page, the
 * tables as Markdown, and every run's metrics in one long-format CSV.
 *
 * @module
 */
import { UsageError } from "../config/mod.ts";
import { BOOTSTRAP_REPLICATES } from "../metrics/mod.ts";
import { type Report, type ReportSection, writeReport } from "../report/mod.ts";
import {
  type CellResult,
  completeCells,
  createRunDir,
  loadCellResults,
  loadRunPredictions,
  type Protocol,
  PROTOCOLS,
  readRecordJson,
  readRunRecord,
  type VariedSetting,
  variedSettings,
} from "../run/mod.ts";
import { writeFileAtomic } from "../util/mod.ts";
import { type LongRow, metricsLongCsv, metricsLongRows } from "./metrics_files.ts";
import { pairedComparisonTable } from "./tables.ts";
import {
  crossRunPairs,
  type PairedComparison,
  pairedComparisons,
  runReplicates,
} from "../analysis/mod.ts";

/**
 * Why runs cannot be compared as asked (exit status 2); with the settings that differ when they
 * were read before the refusal.
 */
export class RunComparisonError extends UsageError {
  /** Creates the error. */
  constructor(message: string, readonly settings?: readonly RunPairSettings[]) {
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

/** The settings that differ between two of the runs compared. */
export interface RunPairSettings {
  /** The first run's label (`A`). */
  readonly a: string;
  /** The second run's label (`B`). */
  readonly b: string;
  /** The settings that differ, a → b. */
  readonly differences: readonly SettingDifference[];
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

/** Runs compared. */
export interface RunComparison {
  /** The run directories, in the order given. */
  readonly runs: readonly string[];
  /** Their labels in the tables: `A`, `B`, `C`, … */
  readonly labels: readonly string[];
  /** The settings that differ, for every pair of runs (A–B, A–C, B–C, …). */
  readonly settings: readonly RunPairSettings[];
  /** Bootstrap replicates used. */
  readonly replicates: number;
  /**
   * The paired comparisons, for every pair of runs (`a − b`, `a` the run given first) and every
   * (variant, task) both hold, protocol by protocol; Holm's adjustment across each protocol's.
   */
  readonly comparisons: readonly PairedComparison[];
  /** Every cell of every run in the long format, and the settings that differ across them all. */
  readonly metrics: {
    readonly rows: readonly LongRow[];
    readonly settings: readonly VariedSetting[];
  };
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

/** `A`, `B`, … `Z`, then `AA`, `AB`, …: the label of the run at `index`. */
function runLabel(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  return index < 26 ? letter : `${runLabel(Math.floor(index / 26) - 1)}${letter}`;
}

/** Every pair `[i, j]`, `i < j`, of `n` runs, in order. */
function runPairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  return out;
}

/** The settings of each pair: `Settings that differ (A → B):` and a line per setting. */
function settingDifferencesText(settings: readonly RunPairSettings[]): string {
  return settings.map(({ a, b, differences }) =>
    differences.length === 0
      ? `Settings of ${a} and ${b}: identical.`
      : `Settings that differ (${a} → ${b}):\n${
        differences.map((d) => `  ${d.path}: ${d.a} → ${d.b}`).join("\n")
      }`
  ).join("\n\n");
}

/** The folder name of a run directory (`20261207-090618-demo`). */
function folderName(dir: string): string {
  return dir.replace(/\/+$/, "").split("/").at(-1) ?? dir;
}

/**
 * Compares the runs `runs` (two or more) pair by pair: every run with every later one. Refuses
 * with a {@linkcode RunComparisonError} fewer than two runs, runs trained on different feature
 * stores (their inputs differ beyond the settings, which the error carries; unless
 * `allowDifferentFeatures`), runs with no (variant, task) in common, and cells that cannot be set
 * side by side (other memes, classes or resamples). A run whose cells are incomplete or damaged
 * is refused by name, with the command that repairs it.
 */
export async function compareRuns(
  runs: readonly string[],
  options: CompareRunsOptions = {},
): Promise<RunComparison> {
  if (runs.length < 2) {
    throw new RunComparisonError(`give two or more run directories (got ${runs.length})`);
  }
  const replicates = options.replicates ?? BOOTSTRAP_REPLICATES;
  if (!(Number.isInteger(replicates) && replicates >= 1)) {
    throw new RunComparisonError(
      `--replicates: expected a positive integer, got ${replicates}`,
    );
  }
  const labels = runs.map((_, i) => runLabel(i));
  const pairs = runPairs(runs.length);
  const records = await Promise.all(runs.map((dir) => readRecordJson(dir)));
  const settings = pairs.map(([i, j]) => ({
    a: labels[i],
    b: labels[j],
    differences: settingDifferences(records[i], records[j]),
  }));
  const stores = records.map((r) => JSON.stringify(r.featureStore));
  const other = stores.findIndex((s) => s !== stores[0]);
  if (other > 0 && !options.allowDifferentFeatures) {
    throw new RunComparisonError(
      `the runs were trained on different feature stores (${records[0].featureStore} vs ` +
        `${records[other].featureStore}): their inputs differ beyond the settings above. Pass ` +
        "--allow-different-features to compare them anyway.",
      settings,
    );
  }
  // Each run whole, or not at all: a missing predictions file would thin its seeds.
  let tasks: string[] | undefined;
  const results: CellResult[][] = [];
  for (const dir of runs) {
    let cells = await loadCellResults(dir); // a damaged cell is named, with the command that repairs it
    const record = await readRunRecord(dir).catch(() => null); // older records lack fields
    if (record) cells = await completeCells(dir, record);
    results.push(cells);
    // The first run's dataset orders the tasks and picks each one's resampling stream.
    tasks ??= record?.dataset.description.tasks.map((t) => t.name);
  }
  const cells = await Promise.all(runs.map((d) => loadRunPredictions(d)));
  const keyOf = (c: { variant: string; task: string }) => `${c.variant}\u0000${c.task}`;
  const shared = (i: number, j: number) => {
    const inJ = new Set(cells[j].map(keyOf));
    return new Set(cells[i].map(keyOf).filter((k) => inJ.has(k)));
  };
  const common = pairs.map(([i, j]) => shared(i, j));
  if (common.every((c) => c.size === 0)) {
    throw new RunComparisonError(
      `no (variant, task) with saved predictions in two of the runs (${
        cells.map((c, i) => `${labels[i]} has ${c.length} cells`).join(", ")
      })`,
    );
  }
  let comparisons: PairedComparison[];
  try {
    const bootstrap = { replicates, seed: options.seed ?? 0, tasks };
    // Each run's replicates once, over its cells that another run shares.
    const used = runs.map((_, i) =>
      new Set(pairs.flatMap(([a, b], p) => (a === i || b === i ? [...common[p]] : [])))
    );
    const reps = runs.map((dir, i) =>
      runReplicates(cells[i].filter((c) => used[i].has(keyOf(c))), bootstrap, dir)
    );
    comparisons = pairedComparisons(
      pairs.flatMap(([i, j]) => crossRunPairs(reps[i], reps[j], [labels[i], labels[j]])),
    );
  } catch (e) {
    // Cells that cannot be set side by side (other memes, other classes): the runs' fault.
    throw new RunComparisonError((e as Error).message);
  }
  const protocol = options.protocol ?? "both";
  // Every run's cells in one long file: the settings that differ across all of them as columns.
  const names = runs.map(folderName);
  const unique = new Set(names).size === names.length;
  const varied = variedSettings(results.flat().map((r) => r.config));
  const rows = runs.flatMap((_, i) =>
    metricsLongRows({
      run: unique ? names[i] : `${labels[i]}:${names[i]}`,
      results: results[i],
      predictions: cells[i],
      settings: varied,
    })
  );
  return {
    runs,
    labels,
    settings,
    replicates,
    comparisons: comparisons.filter((c) => protocol === "both" || c.protocol === protocol),
    metrics: { rows, settings: varied },
  };
}

/** The head of a comparison as printed: the runs by label, then the settings that differ. */
export function runsAndSettingsText(
  runs: readonly string[],
  settings: readonly RunPairSettings[],
): string {
  return [
    ...runs.map((dir, i) => `${runLabel(i)} = ${dir}`),
    "",
    settingDifferencesText(settings),
  ].join("\n");
}

/** The sentence before the paired table: how many comparisons, how many hold, the replicates. */
function comparisonsLine(comparison: RunComparison): string {
  const { comparisons } = comparison;
  const held = comparisons.filter((c) => c.holds).length;
  const pairs = comparison.runs.length === 2
    ? "A − B"
    : `for every pair of runs, the first given minus the second`;
  return `Paired comparisons ${pairs}: ${comparisons.length} (Holm across each protocol's ` +
    `family; ${held} hold after adjustment, ✓), ${comparison.replicates} stratified bootstrap ` +
    "replicates:";
}

/** A comparison as `deno task compare` prints it: the runs, the settings, the paired table. */
export function runComparisonText(comparison: RunComparison): string {
  return [
    runsAndSettingsText(comparison.runs, comparison.settings),
    "",
    comparisonsLine(comparison),
    pairedComparisonTable(comparison.comparisons),
  ].join("\n");
}

const COMPARISON_NOTE = "Each row compares one (variant, task) trained in two runs, scored on " +
  "the same test memes: Δ is the first run's mean over seeds minus the second's, in points; the " +
  "interval is the 95 % paired bootstrap interval (the same resampled memes for both runs); p is " +
  'the two-sided bootstrap p-value of "no difference"; p (Holm) adjusts it across every ' +
  "comparison of the protocol's table, and ✓ marks a difference that holds at 0.05 after the " +
  "adjustment. McNemar (accuracy rows): the memes only the first run gets right / only the " +
  "second, using each run's seed-majority prediction, with the exact p and its Holm adjustment " +
  'across the McNemar tests of the protocol. A difference that does not hold is "not shown to ' +
  'differ", not "equal" (docs/statistics.md).';

/** The HTML page of a comparison: the paired tests first, then the runs and their settings. */
export function comparisonReport(comparison: RunComparison, title = "Runs compared"): Report {
  const sections: ReportSection[] = [];
  for (const protocol of PROTOCOLS) {
    const rows = comparison.comparisons.filter((c) => c.protocol === protocol);
    if (rows.length === 0) continue;
    sections.push({
      heading: `Paired comparisons (${protocol} protocol)`,
      text: `${rows.filter((c) => c.holds).length} of ${rows.length} hold after Holm's ` +
        `adjustment. ${COMPARISON_NOTE}`,
      markdownTable: pairedComparisonTable(rows),
    });
  }
  sections.push({
    heading: "Runs",
    table: {
      headers: ["Run", "Directory"],
      rows: comparison.runs.map((dir, i) => [comparison.labels[i], dir]),
      align: ["left", "left"],
    },
  });
  for (const { a, b, differences } of comparison.settings) {
    sections.push({
      heading: `Settings that differ (${a} → ${b})`,
      text: differences.length === 0 ? "None: the two records hold the same settings." : undefined,
      table: differences.length === 0 ? undefined : {
        headers: ["Setting (config.json)", a, b],
        rows: differences.map((d) => [d.path, d.a, d.b]),
        align: ["left", "left", "left"],
      },
    });
  }
  sections.push({
    heading: "Files",
    text: "metrics_long.csv beside this page holds every cell of every run in the long format " +
      "(a row per run, variant, task, protocol, seed, split and metric; the settings that " +
      "differ as columns); comparison.md holds the tables as text (docs/outputs.md).",
  });
  return {
    title,
    subtitle: `${comparison.runs.length} runs, ${comparison.replicates} bootstrap replicates`,
    sections,
  };
}

/**
 * Writes a comparison into a new folder `<resultsRoot>/comparisons/<YYYYMMDD-HHMMSS>-<name>/`:
 * `comparison.html` (the paired tests, the runs and their settings), `comparison.md` (the text
 * `deno task compare` prints) and `metrics_long.csv` (every run's cells in the long format). The
 * files are written into a temporary folder that is then renamed into place, so the folder
 * appears whole or not at all; an earlier comparison is never written over. Returns the folder.
 */
export async function writeComparison(
  comparison: RunComparison,
  resultsRoot: string,
  name = "compare",
): Promise<string> {
  const root = `${resultsRoot.replace(/\/+$/, "")}/comparisons`;
  const folder = await createRunDir(root, name);
  const staging = `${folder}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.mkdir(staging);
    await writeFileAtomic(`${staging}/comparison.md`, runComparisonText(comparison) + "\n");
    await writeFileAtomic(
      `${staging}/metrics_long.csv`,
      metricsLongCsv(comparison.metrics.rows, comparison.metrics.settings),
    );
    await writeReport(`${staging}/comparison.html`, comparisonReport(comparison));
    // The claimed folder is empty: renaming the full one onto it replaces it in one step.
    await Deno.rename(staging, folder);
  } catch (e) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.remove(folder).catch(() => {});
    throw e;
  }
  return folder;
}
