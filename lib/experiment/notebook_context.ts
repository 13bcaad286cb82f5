/**
 * What the model notebooks start from, in one call: the model and data the environment names
 * (features extracted on first use), the training backend initialised, one task's splits, and
 * the first training memes as a sample to look at activations on. When the set-up fails (no
 * network and no `MEMESENSE_OFFLINE=1`, say), the first cell shows the error and every later
 * cell one line, `set-up failed in the first code cell: …`, instead of a `ReferenceError` for
 * each name the set-up never defined ({@linkcode notebookSetUp}).
 *
 * ```ts
 * import { makeConfig } from "../config/mod.ts";
 * import { trainHead } from "../train/mod.ts";
 * import { loadNotebookContext } from "./mod.ts";
 * const { data, sample, summary, trainOptions } = await loadNotebookContext({ task: "hate" });
 * console.log(summary, data.numClasses, sample.image.length / sample.n); // … 2 768
 * const result = await trainHead({ ...trainOptions(makeConfig({ train: { epochs: 2 } })), quiet: true });
 * console.log(result.clean.test.auroc);
 * ```
 *
 * @module
 */
import type { BackendName, MemeSenseConfig } from "../config/mod.ts";
import { datasetTask, type TaskDescription } from "../data/mod.ts";
import { inJupyter } from "../report/mod.ts";
import { initBackend, type TrainOptions } from "../train/mod.ts";
import { type ExperimentInputs, type TaskData, taskData } from "../run/mod.ts";
import { clearSetUpFailure, reportSetUpFailure } from "./_setup_failure.ts";
import {
  type InputSources,
  prepareFromEnvironment,
  type ResolveInputSourcesOptions,
} from "./sources.ts";

/** The first training memes of a task: image and text features, `n × dim` row-major copies. */
export interface FeatureSample {
  /** Number of memes. */
  readonly n: number;
  /** Image features, `n × dim`. */
  readonly image: Float32Array;
  /** Text features, `n × dim`. */
  readonly text: Float32Array;
}

/** Everything {@linkcode loadNotebookContext} prepares. */
export interface NotebookContext {
  /** The model and data the environment resolved to. */
  readonly sources: InputSources;
  /** The dataset, its features and the prompt embeddings. */
  readonly inputs: ExperimentInputs;
  /** The training backend in use. */
  readonly backend: BackendName;
  /** The task of {@linkcode NotebookContext.data}. */
  readonly task: string;
  /** That task's train / val / test splits. */
  readonly data: TaskData;
  /** The first `sampleSize` training memes of the task (fewer when the split is smaller). */
  readonly sample: FeatureSample;
  /** One line naming the task, the sample and the data, for the notebook's first output. */
  readonly summary: string;
  /**
   * What training a head with `config` on the task takes: its splits, class count and
   * prompt-initialised classifier rows, for `trainHead` or one job of `trainMany`.
   */
  readonly trainOptions: (config: MemeSenseConfig) => TrainOptions;
}

/** Options of {@linkcode loadNotebookContext}. */
export interface NotebookContextOptions extends ResolveInputSourcesOptions {
  /**
   * The task (default: the environment's, see `resolveInputSources`), or a choice among the
   * dataset's tasks (a notebook that needs two classes picks a two-class one); a task the dataset
   * does not have is an error.
   */
  readonly task?: string | ((tasks: readonly TaskDescription[]) => string);
  /** Training memes in the sample (default 256). */
  readonly sampleSize?: number;
  /** Status lines of the feature extraction (default: none). */
  readonly log?: (line: string) => void;
}

/**
 * Runs a notebook's set-up step and returns what it gives. When it throws, the error is thrown
 * on (the set-up cell shows it) and, inside the Jupyter kernel, a later cell that uses a name
 * the set-up cell never defined shows one line instead of its `ReferenceError`:
 * `set-up failed in <where>: <the error's first sentence> Fix it and run that cell again (here:
 * inputs is not defined).` A later set-up that succeeds ends this. (The Deno kernel runs every
 * cell of "Run All" even after one failed.)
 *
 * ```ts
 * import { notebookSetUp, resolveInputSources } from "./mod.ts";
 * const sources = await notebookSetUp(() => resolveInputSources());
 * console.log(sources.clipModel);
 * ```
 */
export async function notebookSetUp<T>(
  setUp: () => Promise<T>,
  where = "the first code cell",
): Promise<T> {
  try {
    const value = await setUp();
    clearSetUpFailure();
    return value;
  } catch (e) {
    if (inJupyter()) reportSetUpFailure(e, where);
    throw e;
  }
}

/**
 * Prepares a notebook: resolves model and data from the `MEMESENSE_*` variables and loads
 * their features ({@linkcode prepareFromEnvironment}), initialises the best training backend
 * (or `MEMESENSE_BACKEND`) quietly, gathers the task's splits and copies the sample — as a
 * {@linkcode notebookSetUp} step.
 */
export function loadNotebookContext(
  options: NotebookContextOptions = {},
): Promise<NotebookContext> {
  return notebookSetUp(() => prepareContext(options));
}

async function prepareContext(options: NotebookContextOptions): Promise<NotebookContext> {
  const { sources, inputs } = await prepareFromEnvironment(options);
  const backend = await initBackend(undefined, { quiet: true });
  const task = typeof options.task === "function"
    ? options.task(inputs.dataset.tasks)
    : options.task ?? sources.task;
  const { title } = datasetTask(inputs.dataset.description, task);
  const data = taskData(inputs.dataset, inputs.features, task);
  const dim = inputs.features.dim;
  const { train } = data.splits;
  const n = Math.min(options.sampleSize ?? 256, train.n);
  const sample = {
    n,
    image: train.image.slice(0, n * dim),
    text: train.text.slice(0, n * dim),
  };
  const summary = `task ${task} (${title}), ${n} training memes from ` +
    `${inputs.dataset.description.title}, ${dim}-d features`;
  const promptWeights = inputs.prompts[task].promptWeights;
  const trainOptions = (config: MemeSenseConfig): TrainOptions => ({
    config,
    numClasses: data.numClasses,
    ...data.splits,
    promptWeights,
  });
  return { sources, inputs, backend, task, data, sample, summary, trainOptions };
}
