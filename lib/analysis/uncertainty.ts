/**
 * Test-set uncertainty and paired comparisons, computed from the per-meme predictions a run
 * saved (so a run split over machines gives the same numbers as one run in one place):
 *
 * - per (variant, task, protocol): mean over seeds of accuracy, macro-F1 and AUROC with a 95 %
 *   stratified-bootstrap interval over test memes (every seed's predictions kept for the
 *   resampled memes), calibration before and after temperature scaling fitted on val, per-class
 *   precision/recall/F1 and balanced accuracy;
 * - paired comparisons of two groups scored on the same memes: difference of means, a paired
 *   bootstrap interval (the same resampled memes for both), a bootstrap p-value, Holm's
 *   adjustment across the comparisons shown, and McNemar's exact test on the seed-majority
 *   predictions.
 *
 * @module
 */
import {
  argmax,
  balancedAccuracy,
  BOOTSTRAP_METRICS,
  BOOTSTRAP_REPLICATES,
  type BootstrapMetric,
  bootstrapPValue,
  type BootstrapReplicates,
  bootstrapReplicates,
  brierScore,
  type ClassScores,
  evaluateLogits,
  expectedCalibrationError,
  fitTemperature,
  holmAdjust,
  type Interval,
  mcnemarExact,
  type McNemarResult,
  percentileInterval,
  perClassScores,
  type ReliabilityBin,
  reliabilityBins,
  type Resamples,
  scaleLogits,
  type ScoreArray,
  softmax64,
  stratifiedResamples,
  topLabel,
} from "../metrics/mod.ts";
import {
  type CellPredictions,
  loadRunPredictions,
  type Protocol,
  PROTOCOLS,
  readRunRecord,
} from "../run/mod.ts";

/** Settings of the bootstrap. */
export interface BootstrapOptions {
  /** Replicates `B` (default 2,000). */
  readonly replicates?: number;
  /** Seed of the resampling (default 0); each task draws from its own stream of it. */
  readonly seed?: number;
  /** Interval level (default 0.95). */
  readonly level?: number;
  /**
   * The dataset's task names, in its order: a task's place picks its resampling stream and its
   * place in the tables (default: the tasks in the order the cells first name them).
   */
  readonly tasks?: readonly string[];
}

/** Calibration of one group, means over seeds. */
export interface GroupCalibration {
  /** The temperature fitted on each seed's val predictions (seed order). */
  readonly temperatures: readonly number[];
  /** Test metrics with the logits as they are. */
  readonly before: {
    readonly ece: number;
    readonly brier: number;
    readonly accuracy: number;
    readonly auroc: number;
  };
  /** Test metrics with each seed's logits divided by its temperature. */
  readonly after: {
    readonly ece: number;
    readonly brier: number;
    readonly accuracy: number;
    readonly auroc: number;
  };
  /** Reliability bins (15) of the test top-label confidence, pooled over seeds, before scaling. */
  readonly reliability: readonly ReliabilityBin[];
  /** The same after scaling. */
  readonly reliabilityAfter: readonly ReliabilityBin[];
}

/** Everything computed for one (variant, task, protocol). */
export interface GroupStats {
  /** The head variant. */
  readonly variant: string;
  /** The task. */
  readonly task: string;
  /** The checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** The seeds averaged, ascending. */
  readonly seeds: readonly number[];
  /** Test memes scored. */
  readonly n: number;
  /** Mean over seeds of each metric on the test memes. */
  readonly point: Readonly<Record<BootstrapMetric, number>>;
  /** Stratified-bootstrap interval of the mean over seeds. */
  readonly interval: Readonly<Record<BootstrapMetric, Interval>>;
  /** Class names in label order. */
  readonly classNames: readonly string[];
  /** Per-class precision, recall, F1 (means over seeds) and support. */
  readonly perClass: readonly ClassScores[];
  /** Balanced accuracy, mean over seeds. */
  readonly balancedAccuracy: number;
  /** Calibration before and after temperature scaling. */
  readonly calibration: GroupCalibration;
}

/** The cells of one (variant, task), seeds ascending, scored on the same test memes. */
export interface SeedGroup {
  /** The head variant. */
  readonly variant: string;
  /** The task. */
  readonly task: string;
  /** One per seed. */
  readonly cells: readonly CellPredictions[];
}

/** The task order of `options`, or the order in which the cells first name their tasks. */
function taskOrder(cells: readonly CellPredictions[], options: BootstrapOptions): string[] {
  const order = [...(options.tasks ?? [])];
  for (const c of cells) {
    if (options.tasks !== undefined && !order.includes(c.task)) {
      throw new Error(`cell ${c.key}: task ${c.task} is not one of ${order.join(", ")}`);
    }
    if (!order.includes(c.task)) order.push(c.task);
  }
  return order;
}

/**
 * Groups cells by (variant, task), seeds sorted, checking that they score the same memes; in
 * `order`'s task order, then by variant.
 */
function groupCells(
  cells: readonly CellPredictions[],
  where: string,
  order: readonly string[],
): SeedGroup[] {
  const map = new Map<string, CellPredictions[]>();
  for (const c of cells) {
    const k = `${c.variant}\u0000${c.task}`;
    if (!map.has(k)) map.set(k, []);
    map.get(k)!.push(c);
  }
  const groups = [...map.values()].map((cs) => {
    cs.sort((a, b) => a.seed - b.seed);
    return { variant: cs[0].variant, task: cs[0].task, cells: cs };
  });
  for (const g of groups) sameMemes(g.cells, where);
  return groups.sort((a, b) =>
    order.indexOf(a.task) - order.indexOf(b.task) || a.variant.localeCompare(b.variant)
  );
}

function sameMemes(cells: readonly CellPredictions[], where: string): void {
  const first = cells[0];
  for (const c of cells.slice(1)) {
    const a = first.rows.test, b = c.rows.test;
    const same = a.names.length === b.names.length &&
      a.names.every((name, i) => name === b.names[i] && a.labels[i] === b.labels[i]);
    if (!same) {
      throw new Error(
        `${where}: cells ${first.key} and ${c.key} were tested on different memes ` +
          `(${a.names.length} vs ${b.names.length} test rows); they cannot be resampled together`,
      );
    }
  }
}

/** The resampling seed of the task at `index` in the dataset's order: the base seed's stream. */
function taskSeed(seed: number, index: number): number {
  return seed * 16 + index;
}

/** Bootstrap replicates of every group and protocol, sharing resamples per task. */
export interface RunReplicates {
  /** One set of stratified resamples per task. */
  readonly resamples: ReadonlyMap<string, Resamples>;
  /** Per (variant, task): its cells and their replicates per protocol. */
  readonly groups: ReadonlyMap<
    string,
    { group: SeedGroup; boot: Record<Protocol, BootstrapReplicates> }
  >;
}

function replicateKey(variant: string, task: string): string {
  return `${variant}\u0000${task}`;
}

/** Computes the bootstrap replicates of every (variant, task, protocol) in `cells`. */
export function runReplicates(
  cells: readonly CellPredictions[],
  options: BootstrapOptions = {},
  where = "runReplicates",
): RunReplicates {
  const B = options.replicates ?? BOOTSTRAP_REPLICATES;
  const seed = options.seed ?? 0;
  const resamples = new Map<string, Resamples>();
  const groups = new Map<
    string,
    { group: SeedGroup; boot: Record<Protocol, BootstrapReplicates> }
  >();
  const order = taskOrder(cells, options);
  for (const g of groupCells(cells, where, order)) {
    const C = g.cells[0].classNames.length;
    let res = resamples.get(g.task);
    if (!res) {
      const stream = taskSeed(seed, order.indexOf(g.task));
      res = stratifiedResamples(g.cells[0].rows.test.labels, C, B, stream);
      resamples.set(g.task, res);
    } else {
      sameMemes([cellsOfTask(groups, g.task)!, g.cells[0]], where);
    }
    const boot = Object.fromEntries(
      PROTOCOLS.map((p) => [p, bootstrapReplicates(g.cells.map((c) => c.logits[p].test), res!, C)]),
    ) as Record<Protocol, BootstrapReplicates>;
    groups.set(replicateKey(g.variant, g.task), { group: g, boot });
  }
  return { resamples, groups };
}

function cellsOfTask(
  groups: Map<string, { group: SeedGroup }>,
  task: string,
): CellPredictions | undefined {
  for (const { group } of groups.values()) if (group.task === task) return group.cells[0];
  return undefined;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Test metrics of one cell's logits as they are, or divided by a temperature. */
export interface CalibrationMetrics {
  /** Expected calibration error of the top label, 15 equal-width bins (a fraction). */
  readonly ece: number;
  /** Multi-class Brier score: mean over memes of `Σ_k (p_k − 1[y = k])²` (0 best, 2 worst). */
  readonly brier: number;
  /** Accuracy (a fraction; temperature scaling never changes it). */
  readonly accuracy: number;
  /** One-vs-rest macro AUROC of the softmax (a fraction). */
  readonly auroc: number;
}

/** One cell's calibration under a protocol: its val-fitted temperature, test before and after. */
export interface CellCalibration {
  /** The temperature fitted on the cell's val logits (minimum cross-entropy). */
  readonly temperature: number;
  /** Test metrics of the logits as they are. */
  readonly before: CalibrationMetrics;
  /** Test metrics of the logits divided by the temperature. */
  readonly after: CalibrationMetrics;
}

/**
 * The calibration of one cell's predictions under `protocol`: the temperature fitted on its val
 * logits, and the test split's ECE, Brier score, accuracy and AUROC before and after dividing
 * the logits by it. {@linkcode groupStats} averages these over seeds.
 */
export function cellCalibration(cell: CellPredictions, protocol: Protocol): CellCalibration {
  const C = cell.classNames.length;
  const temperature = fitTemperature(cell.logits[protocol].val, cell.rows.val.labels, C);
  const labels = cell.rows.test.labels;
  const metrics = (logits: ScoreArray): CalibrationMetrics => {
    const m = evaluateLogits(logits, labels, C);
    return {
      ece: expectedCalibrationError(logits, labels, C),
      brier: brierScore(logits, labels, C),
      accuracy: m.accuracy,
      auroc: m.auroc,
    };
  };
  return {
    temperature,
    before: metrics(cell.logits[protocol].test),
    after: metrics(scaleLogits(cell.logits[protocol].test, temperature)),
  };
}

function calibrationOf(cells: readonly CellPredictions[], protocol: Protocol): GroupCalibration {
  const C = cells[0].classNames.length;
  const perSeed = cells.map((c) => cellCalibration(c, protocol));
  const pooled = {
    before: [[], []] as [number[], number[]],
    after: [[], []] as [number[], number[]],
  };
  cells.forEach((c, i) => {
    const labels = c.rows.test.labels;
    const test = c.logits[protocol].test;
    for (
      const [which, logits] of [
        ["before", test],
        ["after", scaleLogits(test, perSeed[i].temperature)],
      ] as const
    ) {
      const top = topLabel(logits, labels, C);
      pooled[which][0].push(...top.confidence);
      pooled[which][1].push(...top.correct);
    }
  });
  const summary = (which: "before" | "after") => ({
    ece: mean(perSeed.map((s) => s[which].ece)),
    brier: mean(perSeed.map((s) => s[which].brier)),
    accuracy: mean(perSeed.map((s) => s[which].accuracy)),
    auroc: mean(perSeed.map((s) => s[which].auroc)),
  });
  return {
    temperatures: perSeed.map((s) => s.temperature),
    before: summary("before"),
    after: summary("after"),
    reliability: reliabilityBins(pooled.before[0], pooled.before[1]),
    reliabilityAfter: reliabilityBins(pooled.after[0], pooled.after[1]),
  };
}

/**
 * Intervals, calibration and per-class detail of every (variant, task, protocol) of a run's
 * predictions, in task then variant order. Pass `replicates` from {@linkcode runReplicates} to
 * reuse them (e.g. for comparisons).
 */
export function groupStats(
  cells: readonly CellPredictions[],
  options: BootstrapOptions = {},
  replicates: RunReplicates = runReplicates(cells, options, "groupStats"),
): GroupStats[] {
  const level = options.level ?? 0.95;
  const out: GroupStats[] = [];
  for (const { group, boot } of replicates.groups.values()) {
    const C = group.cells[0].classNames.length;
    for (const protocol of PROTOCOLS) {
      const b = boot[protocol];
      const perSeed = group.cells.map((c) =>
        perClassScores(argmax(c.logits[protocol].test, C), c.rows.test.labels, C)
      );
      const perClass = perSeed[0].map((s, k) => ({
        precision: mean(perSeed.map((p) => p[k].precision)),
        recall: mean(perSeed.map((p) => p[k].recall)),
        f1: mean(perSeed.map((p) => p[k].f1)),
        support: s.support,
      }));
      out.push({
        variant: group.variant,
        task: group.task,
        protocol,
        seeds: group.cells.map((c) => c.seed),
        n: group.cells[0].rows.test.names.length,
        point: b.point,
        interval: Object.fromEntries(
          BOOTSTRAP_METRICS.map((m) => [m, percentileInterval(b.replicates[m], level)]),
        ) as Record<BootstrapMetric, Interval>,
        classNames: group.cells[0].classNames,
        perClass,
        balancedAccuracy: mean(
          group.cells.map((c) =>
            balancedAccuracy(argmax(c.logits[protocol].test, C), c.rows.test.labels, C)
          ),
        ),
        calibration: calibrationOf(group.cells, protocol),
      });
    }
  }
  return out;
}

/**
 * The seed-majority prediction of each test meme: the class most seeds predict, ties broken by
 * the highest mean softmax probability over seeds (then the lowest class).
 */
export function seedMajority(cells: readonly CellPredictions[], protocol: Protocol): Int32Array {
  const C = cells[0].classNames.length;
  const n = cells[0].rows.test.names.length;
  const votes = new Float64Array(n * C);
  const probs = new Float64Array(n * C);
  for (const c of cells) {
    const pred = argmax(c.logits[protocol].test, C);
    const p = softmax64(c.logits[protocol].test, C);
    for (let i = 0; i < n; i++) votes[i * C + pred[i]]++;
    for (let j = 0; j < p.length; j++) probs[j] += p[j];
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < C; k++) {
      const v = votes[i * C + k], bv = votes[i * C + best];
      if (v > bv || (v === bv && probs[i * C + k] > probs[i * C + best])) best = k;
    }
    out[i] = best;
  }
  return out;
}

/** One paired comparison `a − b` of a metric, on the same test memes. */
export interface PairedComparison {
  /** The task. */
  readonly task: string;
  /** The checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** The metric compared. */
  readonly metric: BootstrapMetric;
  /** What is compared (a variant name, or `run:variant`). */
  readonly a: string;
  /** What `a` is compared against. */
  readonly b: string;
  /** Mean over seeds of `a` minus that of `b` (fractions). */
  readonly diff: number;
  /** Paired bootstrap interval of the difference. */
  readonly interval: Interval;
  /** Two-sided bootstrap p-value of "no difference". */
  readonly p: number;
  /** Holm-adjusted p across the family the comparison was shown in. */
  readonly pHolm: number;
  /** Whether the difference holds at the level after adjustment (`pHolm ≤ 1 − level`). */
  readonly holds: boolean;
  /** McNemar's exact test on the seed-majority predictions (accuracy rows only), Holm-adjusted
   * across the McNemar tests of the family. */
  readonly mcnemar?: McNemarResult & { readonly pHolm: number };
}

/** Two groups to compare, by label and replicates. */
export interface ComparisonPair {
  /** The task both sides were scored on. */
  readonly task: string;
  /** The first side (the difference is `a − b`). */
  readonly a: {
    readonly label: string;
    readonly cells: readonly CellPredictions[];
    readonly boot: Record<Protocol, BootstrapReplicates>;
  };
  /** The second side. */
  readonly b: {
    readonly label: string;
    readonly cells: readonly CellPredictions[];
    readonly boot: Record<Protocol, BootstrapReplicates>;
  };
}

/**
 * Paired comparisons of every pair, protocol and metric; Holm's adjustment runs across all
 * comparisons of one protocol (the family of one table), and separately across the McNemar
 * tests of that protocol.
 */
export function pairedComparisons(
  pairs: readonly ComparisonPair[],
  level = 0.95,
): PairedComparison[] {
  const out: PairedComparison[] = [];
  for (const protocol of PROTOCOLS) {
    const rows: Omit<PairedComparison, "pHolm" | "holds" | "mcnemar">[] = [];
    const mcnemars: McNemarResult[] = [];
    for (const pair of pairs) {
      sameMemes([pair.a.cells[0], pair.b.cells[0]], "pairedComparisons");
      const A = pair.a.boot[protocol], Bb = pair.b.boot[protocol];
      for (const metric of BOOTSTRAP_METRICS) {
        const ra = A.replicates[metric], rb = Bb.replicates[metric];
        const d = new Float64Array(ra.length);
        for (let i = 0; i < d.length; i++) d[i] = ra[i] - rb[i];
        rows.push({
          task: pair.task,
          protocol,
          metric,
          a: pair.a.label,
          b: pair.b.label,
          diff: A.point[metric] - Bb.point[metric],
          interval: percentileInterval(d, level),
          p: bootstrapPValue(d),
        });
      }
      const labels = pair.a.cells[0].rows.test.labels;
      const pa = seedMajority(pair.a.cells, protocol), pb = seedMajority(pair.b.cells, protocol);
      mcnemars.push(
        mcnemarExact(
          Uint8Array.from(labels, (y, i) => (pa[i] === y ? 1 : 0)),
          Uint8Array.from(labels, (y, i) => (pb[i] === y ? 1 : 0)),
        ),
      );
    }
    const adjusted = holmAdjust(rows.map((r) => r.p));
    const mcAdjusted = holmAdjust(mcnemars.map((m) => m.p));
    rows.forEach((r, i) => {
      const pair = Math.floor(i / BOOTSTRAP_METRICS.length);
      out.push({
        ...r,
        pHolm: adjusted[i],
        holds: adjusted[i] <= 1 - level,
        mcnemar: r.metric === "accuracy"
          ? { ...mcnemars[pair], pHolm: mcAdjusted[pair] }
          : undefined,
      });
    });
  }
  return out;
}

/**
 * The pairs of an ablation: every variant against `reference` (the reference point), per task.
 */
export function ablationPairs(replicates: RunReplicates, reference: string): ComparisonPair[] {
  const pairs: ComparisonPair[] = [];
  for (const { group, boot } of replicates.groups.values()) {
    if (group.variant === reference) continue;
    const ref = replicates.groups.get(replicateKey(reference, group.task));
    if (!ref) continue;
    pairs.push({
      task: group.task,
      a: { label: group.variant, cells: group.cells, boot },
      b: { label: reference, cells: ref.group.cells, boot: ref.boot },
    });
  }
  return pairs;
}

/**
 * The pairs of two runs: the same (variant, task) in both, `a` from the first run. Both runs'
 * replicates must come from the same resamples (same seed and `B`; checked by the memes).
 */
export function crossRunPairs(
  first: RunReplicates,
  second: RunReplicates,
  labels: readonly [string, string],
): ComparisonPair[] {
  const pairs: ComparisonPair[] = [];
  for (const [key, a] of first.groups) {
    const b = second.groups.get(key);
    if (!b) continue;
    sameMemes([a.group.cells[0], b.group.cells[0]], `crossRunPairs (${labels.join(" vs ")})`);
    const ra = first.resamples.get(a.group.task)!, rb = second.resamples.get(b.group.task)!;
    const same = ra.replicates === rb.replicates && ra.seed === rb.seed &&
      ra.weights.every((w, i) => w === rb.weights[i]);
    if (!same) {
      throw new Error(
        `crossRunPairs: the two runs' ${a.group.task} replicates were drawn differently ` +
          "(another seed or B): a paired bootstrap needs the same resampled memes",
      );
    }
    pairs.push({
      task: a.group.task,
      a: { label: `${labels[0]}:${a.group.variant}`, cells: a.group.cells, boot: a.boot },
      b: { label: `${labels[1]}:${b.group.variant}`, cells: b.group.cells, boot: b.boot },
    });
  }
  return pairs;
}

/** The uncertainty analysis of a run, as written to `metrics.json` and the tables. */
export interface RunUncertainty {
  /** Bootstrap settings used. */
  readonly bootstrap: {
    readonly replicates: number;
    readonly seed: number;
    readonly level: number;
  };
  /** Per (variant, task, protocol). */
  readonly groups: readonly GroupStats[];
  /** Every variant against the reference variant (empty with one variant). */
  readonly comparisons: readonly PairedComparison[];
  /** The reference variant of the comparisons. */
  readonly reference?: string;
  /** Cells of the run without a predictions file (left out). */
  readonly missing: readonly string[];
}

/**
 * Analyses the predictions saved in `runDir` for the cells `keys` (all by default): intervals,
 * calibration and per-class detail per group, and paired comparisons of every variant against
 * `reference` when given. Reads only files (the task order is the one the run's record gives
 * its dataset, unless `tasks` is given), so a run assembled from shards gives the same result.
 */
export async function analyseRunPredictions(
  runDir: string,
  options: BootstrapOptions & { readonly keys?: readonly string[]; readonly reference?: string } =
    {},
): Promise<RunUncertainty> {
  const all = await loadRunPredictions(runDir);
  const wanted = options.keys ? new Set(options.keys) : null;
  const cells = wanted ? all.filter((c) => wanted.has(c.key)) : all;
  const found = new Set(cells.map((c) => c.key));
  const missing = wanted ? [...wanted].filter((k) => !found.has(k)).sort() : [];
  const bootstrap = {
    replicates: options.replicates ?? BOOTSTRAP_REPLICATES,
    seed: options.seed ?? 0,
    level: options.level ?? 0.95,
  };
  if (cells.length === 0) {
    return { bootstrap, groups: [], comparisons: [], reference: options.reference, missing };
  }
  // The run's dataset orders its tasks (a directory without a readable record: the cells').
  const tasks = options.tasks ??
    await readRunRecord(runDir).then(
      (r) => r.dataset.description.tasks.map((t) => t.name),
      () => undefined,
    );
  const reps = runReplicates(cells, { ...bootstrap, tasks }, runDir);
  const groups = groupStats(cells, bootstrap, reps);
  const pairs = options.reference ? ablationPairs(reps, options.reference) : [];
  const comparisons = pairs.length > 0 ? pairedComparisons(pairs, bootstrap.level) : [];
  return { bootstrap, groups, comparisons, reference: options.reference, missing };
}
