/**
 * Error analysis of a run from its per-meme predictions: each test meme's class probabilities
 * averaged over seeds, the most confident false positives and false negatives per task with
 * thumbnails for the report's gallery, one-vs-rest ROC and precision–recall curves per task,
 * and metrics on slices of the test memes (without text / with text, text-length quartiles and,
 * for a task another task's rows depend on — PrideMM's hate — that task's classes).
 *
 * @module
 */
import type { Dataset, DatasetMeme, TaskDescription } from "../data/mod.ts";
import {
  BOOTSTRAP_METRICS,
  type BootstrapMetric,
  bootstrapReplicates,
  type ClassCurves,
  ECE_BINS,
  expectedCalibrationError,
  type Interval,
  ovrCurves,
  percentileInterval,
  type ReliabilityBin,
  reliabilityBins,
  stratifiedResamples,
  topLabel,
} from "../metrics/mod.ts";
import {
  escapeHtml,
  type MemeCard,
  memeGridHtml,
  textExcerpt,
  thumbnailDataUri,
} from "../report/mod.ts";
import { type CellPredictions, type Protocol, splitProbabilities } from "../run/mod.ts";

/** Memes per gallery list (false positives, false negatives) by default. */
export const GALLERY_SIZE = 12;

/** One test meme's prediction, averaged over the seeds of a variant. */
export interface MemeScore {
  /** The meme's image file name (its identifier). */
  readonly name: string;
  /** True class. */
  readonly label: number;
  /** Class probabilities, the mean over seeds of each seed's softmax. */
  readonly probabilities: readonly number[];
  /** The class with the highest mean probability (the first on ties). */
  readonly predicted: number;
}

/**
 * The test memes of one task and variant with their probabilities averaged over seeds (the
 * seeds' files must hold the same memes; their order may differ). Sorted by meme name.
 */
export function seedMeanScores(
  cells: readonly CellPredictions[],
  protocol: Protocol,
): MemeScore[] {
  if (cells.length === 0) return [];
  const C = cells[0].classNames.length;
  const sums = new Map<string, { label: number; sum: Float64Array }>();
  for (const cell of cells) {
    if (cell.task !== cells[0].task || cell.variant !== cells[0].variant) {
      throw new Error(
        `seedMeanScores: cells of one task and variant expected, got ${
          cells[0].key
        } and ${cell.key}`,
      );
    }
    const probs = splitProbabilities(cell, protocol, "test");
    const { names, labels } = cell.rows.test;
    if (names.length !== cells[0].rows.test.names.length) {
      throw new Error(
        `seedMeanScores: ${cell.key} has ${names.length} test memes, ` +
          `${cells[0].key} ${cells[0].rows.test.names.length}`,
      );
    }
    names.forEach((name, i) => {
      let entry = sums.get(name);
      if (!entry) {
        if (cell !== cells[0]) {
          throw new Error(`seedMeanScores: ${cell.key} has test meme ${name}, ${cells[0].key} not`);
        }
        entry = { label: labels[i], sum: new Float64Array(C) };
        sums.set(name, entry);
      }
      for (let c = 0; c < C; c++) entry.sum[c] += probs[i * C + c];
    });
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(
    ([name, { label, sum }]) => {
      const probabilities = Array.from(sum, (v) => v / cells.length);
      let predicted = 0;
      for (let c = 1; c < C; c++) if (probabilities[c] > probabilities[predicted]) predicted = c;
      return { name, label, probabilities, predicted };
    },
  );
}

/** The memes a gallery shows for one task. */
export interface ConfidentErrors {
  /** Most confident first. */
  readonly falsePositives: MemeScore[];
  /** Most confident first. */
  readonly falseNegatives: MemeScore[];
}

/**
 * The most confident errors. Two classes (hate, humour; class 1 is the positive one): false
 * positives are true-0 memes predicted 1, highest probability of class 1 first; false negatives
 * are true-1 memes predicted 0, lowest probability of class 1 first. More classes (target,
 * stance): false positives are wrong predictions, highest probability of the predicted class
 * first ("confidently claimed a class it is not"); false negatives are the same wrong
 * predictions, lowest probability of the true class first ("the true class most missed"). Ties
 * go by meme name, so the choice is deterministic.
 */
export function confidentErrors(
  scores: readonly MemeScore[],
  count: number = GALLERY_SIZE,
): ConfidentErrors {
  const byName = (a: MemeScore, b: MemeScore) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const wrong = scores.filter((s) => s.predicted !== s.label);
  const binary = scores.length > 0 && scores[0].probabilities.length === 2;
  if (binary) {
    const fp = wrong.filter((s) => s.label === 0)
      .sort((a, b) => b.probabilities[1] - a.probabilities[1] || byName(a, b));
    const fn = wrong.filter((s) => s.label === 1)
      .sort((a, b) => a.probabilities[1] - b.probabilities[1] || byName(a, b));
    return { falsePositives: fp.slice(0, count), falseNegatives: fn.slice(0, count) };
  }
  const fp = [...wrong].sort((a, b) =>
    b.probabilities[b.predicted] - a.probabilities[a.predicted] || byName(a, b)
  );
  const fn = [...wrong].sort((a, b) =>
    a.probabilities[a.label] - b.probabilities[b.label] || byName(a, b)
  );
  return { falsePositives: fp.slice(0, count), falseNegatives: fn.slice(0, count) };
}

/** One meme in the gallery. */
export interface GalleryCard {
  /** Image file name. */
  readonly name: string;
  /** The meme's text as a card shows it (`textExcerpt`; `null`: no text). */
  readonly excerpt: string | null;
  /** A `data:` URI of the thumbnail, or `null` when the image could not be read. */
  readonly thumbnail: string | null;
  /** True class name and its mean probability. */
  readonly trueClass: string;
  /** Mean probability of the true class over seeds. */
  readonly trueProbability: number;
  /** Predicted class name and its mean probability. */
  readonly predictedClass: string;
  /** Mean probability of the predicted class over seeds. */
  readonly predictedProbability: number;
}

/** The gallery of one task. */
export interface TaskGallery {
  /** The task. */
  readonly task: string;
  /** Its title. */
  readonly title: string;
  /** Its class names, in label order. */
  readonly classNames: readonly string[];
  /** Seeds averaged. */
  readonly seeds: number;
  /** Test memes scored. */
  readonly memes: number;
  /** Confident false positives, most confident first. */
  readonly falsePositives: GalleryCard[];
  /** Confident false negatives, most confident first. */
  readonly falseNegatives: GalleryCard[];
}

/**
 * The gallery of one task: its most confident errors with thumbnails read from the dataset's
 * image folder. A meme missing from the dataset, or an unreadable image, gives a card without a
 * thumbnail rather than no report.
 */
export async function taskGallery(
  cells: readonly CellPredictions[],
  dataset: Dataset,
  protocol: Protocol,
  count: number = GALLERY_SIZE,
): Promise<TaskGallery | null> {
  if (cells.length === 0) return null;
  const task = cells[0].task;
  const title = dataset.tasks.find((t) => t.name === task)?.title ?? task;
  const classNames = cells[0].classNames;
  const scores = seedMeanScores(cells, protocol);
  const errors = confidentErrors(scores, count);
  const memes = new Map(dataset.memes.map((m) => [m.name, m]));
  const card = async (s: MemeScore): Promise<GalleryCard> => {
    const meme = memes.get(s.name);
    const thumbnail = meme ? await thumbnailDataUri(meme.image).catch(() => null) : null;
    return {
      name: s.name,
      excerpt: textExcerpt(meme?.text ?? null),
      thumbnail,
      trueClass: classNames[s.label],
      trueProbability: s.probabilities[s.label],
      predictedClass: classNames[s.predicted],
      predictedProbability: s.probabilities[s.predicted],
    };
  };
  const cards = async (list: MemeScore[]) => {
    const out: GalleryCard[] = [];
    for (const s of list) out.push(await card(s));
    return out;
  };
  return {
    task,
    title,
    classNames,
    seeds: cells.length,
    memes: scores.length,
    falsePositives: await cards(errors.falsePositives),
    falseNegatives: await cards(errors.falseNegatives),
  };
}

/** A gallery card as the report draws it: true and predicted class with their probabilities. */
function memeCard(c: GalleryCard): MemeCard {
  const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
  return {
    name: c.name,
    thumbnail: c.thumbnail,
    text: c.excerpt,
    lines: [
      { label: "true", value: c.trueClass, note: pct(c.trueProbability) },
      { label: "predicted", value: c.predictedClass, note: pct(c.predictedProbability) },
    ],
  };
}

/**
 * The gallery as HTML: a content warning in a `<details>` element, collapsed by default, holding
 * per task the false positives and false negatives as cards (thumbnail, text excerpt, true and
 * predicted class with their probabilities).
 */
export function galleryHtml(galleries: readonly TaskGallery[], protocol: Protocol): string {
  const parts = galleries.map((g) => {
    const [negative, positive] = g.classNames;
    const binary = g.classNames.length === 2;
    const fpTitle = binary
      ? `False positives: true “${negative}”, predicted “${positive}”, most confident first`
      : "False positives: wrong classes predicted with the most confidence";
    const fnTitle = binary
      ? `False negatives: true “${positive}”, predicted “${negative}”, most confident first`
      : "False negatives: true classes given the least probability";
    const list = (title: string, cards: GalleryCard[]) =>
      `<h4>${escapeHtml(title)} (${cards.length})</h4>` +
      (cards.length ? memeGridHtml(cards.map(memeCard)) : `<p>None.</p>`);
    return `<h3>${escapeHtml(g.title)}</h3>` +
      `<p class="gallery-note">${g.memes} test memes, probabilities averaged over ${g.seeds} ` +
      `seed(s), ${protocol} protocol.</p>` +
      list(fpTitle, g.falsePositives) + list(fnTitle, g.falseNegatives);
  });
  return `<details class="gallery"><summary>Content warning: this gallery shows memes from the ` +
    `dataset, some of them hateful or offensive. Click to show.</summary>\n` +
    `${parts.join("\n")}\n</details>`;
}

/** Every seed's test logits of one task and variant, concatenated (one row per meme and seed). */
function pooledTest(cells: readonly CellPredictions[], protocol: Protocol) {
  const C = cells[0].classNames.length;
  const n = cells.reduce((a, c) => a + c.rows.test.labels.length, 0);
  const logits = new Float64Array(n * C);
  const labels = new Int32Array(n);
  let row = 0;
  for (const cell of cells) {
    logits.set(cell.logits[protocol].test, row * C);
    labels.set(cell.rows.test.labels, row);
    row += cell.rows.test.labels.length;
  }
  return { logits, labels, C };
}

/** One class's one-vs-rest curves, named, with their summary numbers. */
export interface NamedClassCurves {
  /** The class (the positive side of one-vs-rest). */
  readonly className: string;
  /** ROC curve and precision–recall curve. */
  readonly curves: ClassCurves;
  /** Exact AUROC of this one-vs-rest problem. */
  readonly auroc: number;
  /** Average precision `Σ (Rₙ − Rₙ₋₁) Pₙ` (scikit-learn's `average_precision_score`). */
  readonly averagePrecision: number;
  /** Share of test rows of this class: the precision of a random ranking. */
  readonly prevalence: number;
}

/**
 * One-vs-rest ROC and precision–recall curves of a task's test predictions with every seed's
 * predictions pooled (each (meme, seed) a row, so the curves describe single models, not an
 * ensemble). Two-class tasks get the positive class (class 1) only: the other curve mirrors it.
 */
export function taskCurves(
  cells: readonly CellPredictions[],
  protocol: Protocol,
): NamedClassCurves[] {
  if (cells.length === 0) return [];
  const { logits, labels, C } = pooledTest(cells, protocol);
  const all = ovrCurves(logits, labels, C);
  const classes = C === 2 ? [1] : all.map((_, c) => c);
  return classes.map((c) => {
    const { roc, pr } = all[c];
    let ap = 0;
    let previous = 0;
    pr.recall.forEach((r, i) => {
      ap += (r - previous) * pr.precision[i];
      previous = r;
    });
    let auroc = 0;
    for (let i = 1; i < roc.fpr.length; i++) {
      auroc += (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]) / 2;
    }
    const count = labels.reduce((a, l) => a + (l === c ? 1 : 0), 0);
    return {
      className: cells[0].classNames[c],
      curves: all[c],
      auroc,
      averagePrecision: count > 0 ? ap : NaN,
      prevalence: count / labels.length,
    };
  });
}

/** The reliability of a task's test predictions: top-label bins and ECE, seeds pooled. */
export interface TaskReliability {
  /** {@linkcode ECE_BINS} equal-width bins of top-label confidence. */
  readonly bins: ReliabilityBin[];
  /** Expected calibration error of the pooled predictions. */
  readonly ece: number;
  /** Rows pooled (memes × seeds). */
  readonly rows: number;
}

/** Reliability bins and ECE of a task's test predictions, every seed's rows pooled. */
export function taskReliability(
  cells: readonly CellPredictions[],
  protocol: Protocol,
): TaskReliability | null {
  if (cells.length === 0) return null;
  const { logits, labels, C } = pooledTest(cells, protocol);
  const { confidence, correct } = topLabel(logits, labels, C);
  return {
    bins: reliabilityBins(confidence, correct, ECE_BINS),
    ece: expectedCalibrationError(logits, labels, C, ECE_BINS),
    rows: labels.length,
  };
}

/** A named subset of a task's test memes. */
export interface Slice {
  /** What the slice holds, e.g. `text length Q2 (31–58 chars)`. */
  readonly name: string;
  /** The memes' names. */
  readonly names: ReadonlySet<string>;
}

/**
 * The slices of a task's test memes: without text, with text, the four quartiles of text length
 * (characters, memes with text; the edges are the quartiles of the test memes' lengths), and for
 * a task whose classes choose another task's rows (PrideMM's hate, whose hateful memes have a
 * target), the memes of each class outside those rows and those rows by the other task's class
 * (`Benign Meme`, `hateful memes, target: Individual`, …). `tasks` are the dataset's.
 */
export function testSlices(
  task: TaskDescription,
  tasks: readonly TaskDescription[],
  memes: readonly DatasetMeme[],
): Slice[] {
  const hasText = (m: DatasetMeme) => m.text !== null && m.text.trim() !== "";
  const slices: Slice[] = [];
  const add = (name: string, list: readonly DatasetMeme[]) => {
    if (list.length > 0) slices.push({ name, names: new Set(list.map((m) => m.name)) });
  };
  add("without text", memes.filter((m) => !hasText(m)));
  const withText = memes.filter(hasText);
  add("with text", withText);
  const len = (m: DatasetMeme) => [...m.text!.trim()].length;
  const lengths = withText.map(len).sort((a, b) => a - b);
  if (lengths.length >= 4) {
    // Quartile edges by rank: each quartile holds about a quarter of the memes; memes of equal
    // length stay in one quartile.
    const edge = (q: number) =>
      lengths[Math.min(lengths.length - 1, Math.ceil(q * lengths.length) - 1)];
    let lower = 0;
    [0.25, 0.5, 0.75, 1].forEach((q, k) => {
      const upper = q === 1 ? Infinity : edge(q);
      const list = withText.filter((m) => len(m) > lower && len(m) <= upper);
      const hi = q === 1 ? lengths[lengths.length - 1] : upper;
      const lo = list.length ? Math.min(...list.map(len)) : lower + 1;
      add(`text length Q${k + 1} (${lo}–${hi} chars)`, list);
      lower = upper;
    });
  }
  for (const inner of tasks.filter((t) => t.rows?.task === task.name)) {
    const rows = inner.rows!;
    task.classes.forEach((className, c) => {
      if (!rows.classes.includes(c)) add(className, memes.filter((m) => m.labels[task.name] === c));
    });
    inner.classes.forEach((className, c) => {
      add(
        `${rows.noun}s, ${inner.name}: ${className}`,
        memes.filter((m) => m.labels[inner.name] === c),
      );
    });
  }
  return slices;
}

/** A slice's metrics: the mean over seeds and its 95% stratified-bootstrap interval. */
export interface SliceMetrics {
  /** The slice. */
  readonly slice: string;
  /** Test memes in it. */
  readonly n: number;
  /** Memes per true class. */
  readonly classCounts: readonly number[];
  /**
   * Per metric: the value on the slice (mean over seeds) and the percentile interval over
   * bootstrap resamples of the slice's memes (every seed's predictions kept). AUROC and
   * macro-F1 are NaN when the slice holds one class only.
   */
  readonly metrics: Readonly<Record<BootstrapMetric, { value: number; interval: Interval }>>;
}

/** Options for {@linkcode sliceMetrics}. */
export interface SliceMetricsOptions {
  /** Bootstrap replicates (default 2,000). */
  readonly replicates?: number;
  /** Bootstrap seed (default 0). */
  readonly seed?: number;
}

/**
 * Metrics of a task's test predictions on each slice: the value (mean over seeds) and a 95%
 * stratified bootstrap interval over the slice's memes, every seed scored on each resample.
 */
export function sliceMetrics(
  cells: readonly CellPredictions[],
  slices: readonly Slice[],
  protocol: Protocol,
  options: SliceMetricsOptions = {},
): SliceMetrics[] {
  if (cells.length === 0) return [];
  const C = cells[0].classNames.length;
  return slices.map((slice) => {
    const rows = cells.map((cell) => {
      const idx: number[] = [];
      cell.rows.test.names.forEach((name, i) => {
        if (slice.names.has(name)) idx.push(i);
      });
      // Same meme order in every seed: sort by name.
      idx.sort((a, b) => {
        const x = cell.rows.test.names[a], y = cell.rows.test.names[b];
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return idx;
    });
    const n = rows[0].length;
    const labels = Int32Array.from(rows[0], (i) => cells[0].rows.test.labels[i]);
    const classCounts = Array.from({ length: C }, (_, c) => labels.filter((l) => l === c).length);
    const seedLogits = cells.map((cell, s) => {
      if (rows[s].length !== n) {
        throw new Error(`sliceMetrics: ${cell.key} has ${rows[s].length} memes in "${slice.name}"`);
      }
      const out = new Float64Array(n * C);
      rows[s].forEach((i, r) => {
        for (let c = 0; c < C; c++) out[r * C + c] = cell.logits[protocol].test[i * C + c];
      });
      return out;
    });
    const resamples = stratifiedResamples(labels, C, options.replicates, options.seed ?? 0);
    const boot = bootstrapReplicates(seedLogits, resamples, C);
    const oneClass = classCounts.filter((k) => k > 0).length < 2;
    const metrics = Object.fromEntries(BOOTSTRAP_METRICS.map((m) => {
      const undefinedHere = oneClass && m !== "accuracy";
      return [m, {
        value: undefinedHere ? NaN : boot.point[m],
        interval: undefinedHere ? { lo: NaN, hi: NaN } : percentileInterval(boot.replicates[m]),
      }];
    })) as SliceMetrics["metrics"];
    return { slice: slice.name, n, classCounts, metrics };
  });
}

/** Everything the report shows about one task's test predictions. */
export interface TaskAnalysis {
  /** The task. */
  readonly task: string;
  /** Its title. */
  readonly title: string;
  /** Seeds pooled or averaged. */
  readonly seeds: number;
  /** ROC and precision–recall curves per class. */
  readonly curves: NamedClassCurves[];
  /** The reliability diagram; null when there are no predictions to bin. */
  readonly reliability: TaskReliability | null;
  /** Metrics on slices of the test memes. */
  readonly slices: SliceMetrics[];
  /** The confident-error gallery; absent when it was not asked for. */
  readonly gallery?: TaskGallery;
}

/** A run's error analysis for the report (one variant, one protocol). */
export interface RunAnalysis {
  /** The head variant analysed. */
  readonly variant: string;
  /** The checkpoint-selection protocol analysed. */
  readonly protocol: Protocol;
  /** One analysis per task. */
  readonly tasks: TaskAnalysis[];
}

/** Options for {@linkcode analyseRun}. */
export interface AnalyseRunOptions {
  /** Build the gallery (thumbnails read from the dataset's images; default true). */
  readonly gallery?: boolean;
  /** Memes per gallery list (default {@linkcode GALLERY_SIZE}). */
  readonly gallerySize?: number;
  /** Bootstrap replicates of the slice intervals (default 2,000). */
  readonly replicates?: number;
}

/**
 * The error analysis of one variant's predictions (`loadRunPredictions`) on the clean protocol
 * — per task the one-vs-rest curves, the reliability bins, the slice metrics and, unless turned
 * off, the gallery of confident errors. `dataset` supplies the memes' texts and images.
 */
export async function analyseRun(
  predictions: readonly CellPredictions[],
  dataset: Dataset,
  variant: string,
  options: AnalyseRunOptions = {},
): Promise<RunAnalysis> {
  const protocol: Protocol = "clean";
  const memes = new Map(dataset.memes.map((m) => [m.name, m]));
  const tasks: TaskAnalysis[] = [];
  for (const description of dataset.tasks) {
    const task = description.name;
    const cells = predictions.filter((p) => p.variant === variant && p.task === task);
    if (cells.length === 0) continue;
    const testMemes = cells[0].rows.test.names.map((name) => memes.get(name))
      .filter((m): m is DatasetMeme => m !== undefined);
    const gallery = options.gallery === false
      ? undefined
      : await taskGallery(cells, dataset, protocol, options.gallerySize);
    tasks.push({
      task,
      title: description.title,
      seeds: cells.length,
      curves: taskCurves(cells, protocol),
      reliability: taskReliability(cells, protocol),
      slices: sliceMetrics(cells, testSlices(description, dataset.tasks, testMemes), protocol, {
        replicates: options.replicates,
      }),
      ...(gallery ? { gallery } : {}),
    });
  }
  return { variant, protocol, tasks };
}
