/**
 * Training one head: seeded mini-batch AdamW on frozen features, evaluation after every epoch,
 * and checkpoint selection under two named protocols.
 *
 * - `reference` — what MemeCLIP's code does. Its `val_loader` is built from the TEST split
 *   (`DataLoader(dataset_test, …)` in main.py), and its `ModelCheckpoint` keeps the epoch with the
 *   best logged `val/auroc`: the batch-size-weighted mean of per-batch torchmetrics AUROC on
 *   sigmoid(logits), over test batches of `batchSize` in order, the earliest epoch winning ties.
 *   That epoch's test metrics are reported. Model selection on the test set inflates the result;
 *   it is mirrored only to compare with the paper.
 * - `clean` — the epoch with the best val-split AUROC (epoch-level, softmax one-vs-rest, as
 *   scikit-learn), then its test metrics, looked at once.
 *
 * Determinism: initialisation, shuffling and dropout masks all come from the config's seed through
 * the suite's own generator (never the backend's), so the same seed gives bit-identical results on
 * the same backend, and the same masks and batches on every backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { MemeSenseConfig } from "../config/mod.ts";
import { evaluateLogits, type Metrics, referenceBatchMeanMetrics } from "../metrics/mod.ts";
import {
  cloneWeights,
  countParams,
  headBackward,
  headForward,
  type HeadWeights,
  initHeadWeights,
  paramTensors,
  sameHeadConfig,
  usesImage,
  usesText,
  validateWeights,
} from "../model/mod.ts";
import { Progress, Rng } from "../util/mod.ts";
import { emptyProfile, FusedStep, type StepProfile } from "./_fused_step.ts";
import { AdamW } from "./_adamw.ts";
import { type BackendName, describeBackend, initBackend } from "./backend.ts";
import { BLAS_BACKEND, blasStats } from "./_blas_kernels.ts";
import { crossEntropyWithGradient } from "./_loss.ts";
import { predictLogits } from "./predict.ts";
import { type SplitData, TrainInputError, validateSplit } from "./split.ts";

/** The two checkpoint-selection protocols (see the module doc), in table order. */
export const PROTOCOLS = ["reference", "clean"] as const;
/** A checkpoint-selection protocol. */
export type Protocol = typeof PROTOCOLS[number];

/** What one epoch produced (epochs count from 1). */
export interface EpochRecord {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training cross-entropy over the epoch's samples (dropout on). */
  trainLoss: number;
  /** Metrics on the val split after this epoch. */
  val: Metrics;
  /** Metrics on the test split after this epoch. */
  test: Metrics;
  /** Wall-clock seconds of the epoch, evaluation included. */
  seconds: number;
  /** The part of `seconds` spent evaluating (val and test logits, metrics, checkpoints). */
  evalSeconds: number;
  /** The number the `reference` protocol maximises: MemeCLIP's logged test `val/auroc`. */
  referenceMonitor: number;
}

/** Everything a training run returns. */
export interface TrainResult {
  /** The backend the run used. */
  backend: string;
  /** {@linkcode describeBackend} of it: the library, kernels and threads that computed it. */
  backendDetail: string;
  /** Per-epoch loss and metrics, for plots. */
  curves: EpochRecord[];
  /** MemeCLIP's protocol: the epoch with the best test AUROC (its way), and its test metrics. */
  reference: { epoch: number; test: Metrics };
  /** The epoch with the best val AUROC, and its val and test metrics. */
  clean: { epoch: number; val: Metrics; test: Metrics };
  /** The weights at each protocol's selected epoch. */
  heads: { reference: HeadWeights; clean: HeadWeights };
  /** Val and test logits (row-major `n × numClasses`, eval mode) at each protocol's selected epoch. */
  logits: { reference: SplitLogits; clean: SplitLogits };
  /** Trainable parameters. */
  numParams: number;
  /** Warnings raised on the way (also passed to `onWarning`). */
  warnings: TrainWarning[];
}

/** Logits of the val and test rows, row-major `n × numClasses`. */
export interface SplitLogits {
  /** Logits of the val rows. */
  val: Float32Array;
  /** Logits of the test rows. */
  test: Float32Array;
}

/** A condition that lets training go on but that the user should see. */
export interface TrainWarning {
  /** `missing-class`: a class has no training sample; `random-classifier-init`: the config asks
   * for the prompt initialisation but no prompt embeddings were given. */
  readonly code: "missing-class" | "random-classifier-init";
  /** What happened, in words. */
  readonly message: string;
}

/** Options of {@linkcode trainHead}. */
export interface TrainOptions {
  /** The complete config. */
  readonly config: MemeSenseConfig;
  /** Number of classes. */
  readonly numClasses: number;
  /** Training split. */
  readonly train: SplitData;
  /** Validation split. */
  readonly val: SplitData;
  /** Test split. */
  readonly test: SplitData;
  /** Prompt-initialised classifier weights (numClasses × mapDim, row-major), for `classifierInit: "prompt"`. */
  readonly promptWeights?: Float32Array;
  /** Backend to train on (default: `$MEMESENSE_BACKEND`, else `auto`; see `backend.ts`). */
  readonly backend?: BackendName | "auto";
  /** Called after every epoch. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Aborts between steps (the promise rejects with the signal's reason). */
  readonly signal?: AbortSignal;
  /** Receives warnings (default: printed to stderr as `warning [code]: …`). */
  readonly onWarning?: (warning: TrainWarning) => void;
  /** Shows a progress line per epoch on stderr. */
  readonly progress?: boolean;
  /** Skips printing the backend choice. */
  readonly quiet?: boolean;
}

/** Copies the rows `order[from..to)` of a row-major matrix into a new batch array. */
function gatherRows(
  x: Float32Array,
  dim: number,
  order: Int32Array,
  from: number,
  to: number,
): Float32Array {
  const out = new Float32Array((to - from) * dim);
  for (let i = from; i < to; i++) {
    const r = order[i];
    out.set(x.subarray(r * dim, (r + 1) * dim), (i - from) * dim);
  }
  return out;
}

/**
 * How a training step computes its gradients:
 * - `fused` — the `blas` backend's direct kernel: forward, loss, backward and AdamW as loops over
 *   preallocated arrays and OpenBLAS products, no tfjs tensor (the default on `blas`);
 * - `explicit` — `headForward` then `headBackward` (lib/model) as tfjs ops, on any backend (the
 *   default elsewhere);
 * - `autodiff` — `headForward` differentiated by tfjs's autograd (`tf.grads`); kept for
 *   comparison in `bench:head`.
 */
export type GradientMethod = "fused" | "explicit" | "autodiff";

/** Every gradient method, for flags and benchmarks. */
export const GRADIENT_METHODS: readonly GradientMethod[] = ["fused", "explicit", "autodiff"];

export type { StepProfile };

/**
 * The optimisation state of one head — weights, AdamW moments, the seeded shuffling and dropout
 * streams — and its training loop. {@linkcode trainHead} drives it epoch by epoch; benchmarks
 * drive it step by step.
 */
export class HeadTrainer {
  /** The weights, updated in place by every step. */
  readonly weights: HeadWeights;
  /** The gradient method this trainer steps with. */
  readonly gradients: GradientMethod;
  readonly #optimizer: AdamW | null;
  readonly #fused: FusedStep | null;
  readonly #adamw: { lr: number; weightDecay: number };
  #profile = emptyProfile();
  readonly #shuffle: Rng;
  readonly #dropout: Rng;
  readonly #batchSize: number;

  /**
   * Initialises weights and optimiser from `config` (seed, lr, weight decay, batch size):
   * seeded initialisation with the classifier from `promptWeights` when given, or a copy of
   * `weights` (e.g. a loaded head) when given. `gradients` defaults to `fused` when the active
   * tfjs backend is `blas`, else `explicit`.
   */
  constructor(
    config: MemeSenseConfig,
    numClasses: number,
    options: {
      promptWeights?: Float32Array;
      weights?: HeadWeights;
      gradients?: GradientMethod;
    } = {},
  ) {
    const { seed, lr, weightDecay, batchSize } = config.train;
    let weights: HeadWeights;
    if (options.weights) {
      if (!sameHeadConfig(options.weights.head, config.head)) {
        throw new Error("HeadTrainer: the given weights belong to a different head config");
      }
      validateWeights(options.weights);
      weights = cloneWeights(options.weights);
    } else {
      weights = initHeadWeights(config.head, numClasses, seed, options.promptWeights);
    }
    if (weights.numClasses !== numClasses) {
      throw new Error(
        `HeadTrainer: weights have ${weights.numClasses} classes, expected ${numClasses}`,
      );
    }
    const onBlas = tf.getBackend() === BLAS_BACKEND;
    this.gradients = options.gradients ?? (onBlas ? "fused" : "explicit");
    if (this.gradients === "fused" && !onBlas) {
      throw new Error(
        `HeadTrainer: the fused step needs the blas backend (active: ${tf.getBackend()})`,
      );
    }
    this.#adamw = { lr, weightDecay };
    if (this.gradients === "fused") {
      // Weights, gradients and moments live in contiguous buffers; `weights` are views into them.
      this.#fused = new FusedStep(weights, batchSize);
      this.weights = this.#fused.weights;
      this.#optimizer = null;
    } else {
      this.weights = weights;
      this.#fused = null;
      this.#optimizer = new AdamW(this.weights.params, this.#adamw);
    }
    const root = new Rng(seed);
    this.#shuffle = root.fork("shuffle");
    this.#dropout = root.fork("dropout");
    this.#batchSize = batchSize;
  }

  /**
   * One optimisation step on a batch (`labels.length` rows): forward, loss, explicit backward,
   * AdamW in place. Returns the batch's mean loss.
   */
  step(image: Float32Array | null, text: Float32Array | null, labels: Int32Array): number {
    if (this.#fused) {
      return this.#fused.step(image, text, labels, this.#dropout, this.#adamw);
    }
    const weights = this.weights;
    const head = weights.head;
    const b = labels.length;
    const C = weights.numClasses;
    const profile = this.#profile;
    const gemm0 = tf.getBackend() === BLAS_BACKEND ? blasStats().ms : 0;
    let lossMs = 0;
    let loss = NaN;
    /** Cross-entropy on the host; its gradient goes back as a tensor. */
    const lossGrad = (logits: tf.Tensor2D) => {
      const t0 = performance.now();
      const ce = crossEntropyWithGradient(logits.dataSync() as Float32Array, labels, C);
      loss = ce.loss;
      lossMs += performance.now() - t0;
      return tf.tensor2d(ce.dLogits, [b, C]);
    };
    const t0 = performance.now();
    const gradTensors = tf.tidy(() => {
      const params = paramTensors(weights);
      const dim = head.unmappedDim;
      const img = image ? tf.tensor2d(image, [b, dim]) : null;
      const txt = text ? tf.tensor2d(text, [b, dim]) : null;
      if (this.gradients === "explicit") {
        const { logits, tape } = headForward(params, head, img, txt, this.#dropout);
        return headBackward(params, head, tape, lossGrad(logits));
      }
      // Autograd of Σ logits ⊙ dLogits (dLogits held constant) is the cross-entropy's gradient.
      const names = Object.keys(params);
      const surrogate = (...ts: tf.Tensor[]) => {
        const p = Object.fromEntries(names.map((n, i) => [n, ts[i]]));
        const { logits } = headForward(p, head, img, txt, this.#dropout);
        return tf.sum(tf.mul(logits, lossGrad(logits))) as tf.Scalar;
      };
      const gs = tf.grads(surrogate)(names.map((n) => params[n]));
      return Object.fromEntries(names.map((n, i) => [n, gs[i]]));
    });
    const t1 = performance.now();
    // The parameter tensors are disposed by now, so updating their arrays in place is safe.
    const grads: Record<string, Float32Array> = {};
    for (const [name, g] of Object.entries(gradTensors)) grads[name] = g.dataSync() as Float32Array;
    tf.dispose(Object.values(gradTensors));
    const t2 = performance.now();
    this.#optimizer!.apply(grads);
    const gemm = tf.getBackend() === BLAS_BACKEND ? blasStats().ms - gemm0 : 0;
    profile.steps++;
    profile.gemm += gemm;
    profile.loss += lossMs;
    profile.elementwise += t1 - t0 - gemm - lossMs;
    profile.readback += t2 - t1;
    profile.adamw += performance.now() - t2;
    return loss;
  }

  /** Where the steps' time went since the last {@linkcode resetProfile}, in milliseconds. */
  profile(): StepProfile {
    return { ...(this.#fused?.profile ?? this.#profile) };
  }

  /** Zeroes the profile. */
  resetProfile(): void {
    this.#profile = emptyProfile();
    this.#fused?.resetProfile();
  }

  /**
   * One epoch over `train` in a freshly shuffled order (the last batch may be smaller, as a
   * `DataLoader` without `drop_last`). `maxSteps` stops early (benchmarks). Returns the mean loss
   * over the samples seen.
   */
  async epoch(
    train: SplitData,
    options: { maxSteps?: number; signal?: AbortSignal; progress?: Progress | null } = {},
  ): Promise<{ loss: number; steps: number; samples: number }> {
    const head = this.weights.head;
    const dim = head.unmappedDim;
    const order = this.#shuffle.permutation(train.n);
    const maxSteps = options.maxSteps || Infinity;
    let lossSum = 0;
    let steps = 0;
    let from = 0;
    for (; from < train.n && steps < maxSteps; from += this.#batchSize, steps++) {
      options.signal?.throwIfAborted();
      const to = Math.min(train.n, from + this.#batchSize);
      const labels = new Int32Array(to - from);
      for (let i = from; i < to; i++) labels[i - from] = train.labels[order[i]];
      const loss = this.step(
        usesImage(head) ? gatherRows(train.image, dim, order, from, to) : null,
        usesText(head) ? gatherRows(train.text, dim, order, from, to) : null,
        labels,
      );
      lossSum += loss * (to - from);
      options.progress?.tick(to - from);
      // Let timers and abort signals run now and then.
      if (steps % 64 === 63) await new Promise((r) => setTimeout(r, 0));
    }
    const samples = Math.min(from, train.n);
    return { loss: lossSum / samples, steps, samples };
  }
}

/** Index of the best score, the earliest on ties; NaN counts as worst. */
function bestEpochIndex(scores: number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) {
    const s = Number.isNaN(scores[i]) ? -Infinity : scores[i];
    const b = Number.isNaN(scores[best]) ? -Infinity : scores[best];
    if (s > b) best = i;
  }
  return best;
}

/**
 * Trains a head on frozen features for `config.train.epochs` epochs and returns its curves, the
 * epoch and metrics each protocol selects, and the weights at those epochs.
 */
export async function trainHead(opts: TrainOptions): Promise<TrainResult> {
  const { config, numClasses, train, val, test } = opts;
  const head = config.head;
  const { epochs, batchSize } = config.train;
  const warnings: TrainWarning[] = [];
  const warn = (w: TrainWarning) => {
    warnings.push(w);
    (opts.onWarning ?? ((x) => console.error(`warning [${x.code}]: ${x.message}`)))(w);
  };

  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new TrainInputError(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  validateSplit("train", train, head, numClasses);
  validateSplit("val", val, head, numClasses);
  validateSplit("test", test, head, numClasses);
  const counts = new Array(numClasses).fill(0);
  for (const y of train.labels) counts[y]++;
  counts.forEach((c, k) => {
    if (c === 0) {
      warn({
        code: "missing-class",
        message: `class ${k} has no sample in the train split (${train.n} rows): the head ` +
          `cannot learn it`,
      });
    }
  });
  let promptWeights: Float32Array | undefined;
  if (head.classifierInit === "prompt") {
    if (opts.promptWeights) promptWeights = opts.promptWeights;
    else {
      warn({
        code: "random-classifier-init",
        message: "the config asks for the prompt initialisation but no prompt embeddings " +
          "were given: the classifier starts from the reference's random rows",
      });
    }
  }

  const backend = await initBackend(opts.backend, { quiet: opts.quiet });
  const trainer = new HeadTrainer(config, numClasses, { promptWeights });
  const weights = trainer.weights;
  const curves: EpochRecord[] = [];
  // Epoch 1 is always the best so far, so both are set before they are read.
  let referenceHead = weights;
  let cleanHead = weights;
  let referenceLogits: SplitLogits = { val: new Float32Array(0), test: new Float32Array(0) };
  let cleanLogits = referenceLogits;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const progress = opts.progress
      ? new Progress({ label: `epoch ${epoch}/${epochs}`, total: train.n, unit: "samples" })
      : null;
    const { loss } = await trainer.epoch(train, { signal: opts.signal, progress });
    progress?.finish();
    const tEval = performance.now();
    const testLogits = predictLogits(weights, head, test.image, test.text, test.n);
    const valLogits = predictLogits(weights, head, val.image, val.text, val.n);
    const record: EpochRecord = {
      epoch,
      trainLoss: loss,
      val: evaluateLogits(valLogits, val.labels, numClasses),
      test: evaluateLogits(testLogits, test.labels, numClasses),
      seconds: 0,
      evalSeconds: 0,
      referenceMonitor:
        referenceBatchMeanMetrics(testLogits, test.labels, numClasses, batchSize).auroc,
    };
    const best = (pick: (r: EpochRecord) => number) =>
      bestEpochIndex([...curves, record].map(pick)) === curves.length;
    const referenceBest = best((r) => r.referenceMonitor);
    const cleanBest = best((r) => r.val.auroc);
    if (referenceBest || cleanBest) {
      const snapshot = cloneWeights(weights);
      if (referenceBest) referenceHead = snapshot;
      if (cleanBest) cleanHead = snapshot;
      const logits = { val: valLogits, test: testLogits };
      if (referenceBest) referenceLogits = logits;
      if (cleanBest) cleanLogits = logits;
    }
    record.seconds = (performance.now() - t0) / 1000;
    record.evalSeconds = (performance.now() - tEval) / 1000;
    curves.push(record);
    opts.onEpoch?.(record);
    await new Promise((r) => setTimeout(r, 0));
  }

  const ref = bestEpochIndex(curves.map((r) => r.referenceMonitor));
  const clean = bestEpochIndex(curves.map((r) => r.val.auroc));
  return {
    backend,
    backendDetail: describeBackend(backend),
    curves,
    reference: { epoch: curves[ref].epoch, test: curves[ref].test },
    clean: { epoch: curves[clean].epoch, val: curves[clean].val, test: curves[clean].test },
    heads: { reference: referenceHead, clean: cleanHead },
    logits: { reference: referenceLogits, clean: cleanLogits },
    numParams: countParams(head, numClasses),
    warnings,
  };
}
