/**
 * What the benchmarks share: experiment inputs with PrideMM's real rows, splits and labels and
 * random features of CLIP ViT-L/14's width in place of the extracted ones (so a benchmark needs
 * neither CLIP nor the images and still trains on exactly PrideMM's split sizes), and the
 * machine's load and this process's CPU time, printed beside every wall time because the
 * machine may be shared.
 *
 * @module
 */
import {
  BACKEND_CHOICES,
  type BackendName,
  DEFAULT_CONFIG,
  defineFlags,
  exitOnUsageError,
  makeConfig,
  type MemeSenseConfig,
  type ParsedFlags,
  pridemmCsvSetting,
  readEnvironment,
  resolveRunSettings,
} from "../lib/config/mod.ts";
import { loadPrideMM, SPLITS } from "../lib/data/mod.ts";
import { type ExperimentInputs } from "../lib/run/mod.ts";
import { parseSeeds, WORKERS_FLAG } from "../lib/experiment/mod.ts";
import { Rng } from "../lib/util/mod.ts";

/** Experiment inputs: PrideMM.csv and pairs it with seeded random features; exits 2 when the CSV is missing. */
export async function randomFeatureInputs(script: string): Promise<ExperimentInputs> {
  const csv = pridemmCsvSetting().value;
  if (!csv) {
    console.error(
      `${script} needs PrideMM.csv for its split sizes and labels (see data/README.md)`,
    );
    Deno.exit(2);
  }
  const { dataset } = await loadPrideMM(csv);
  const n = dataset.memes.length, dim = DEFAULT_CONFIG.head.unmappedDim;
  const rng = new Rng(0);
  const random = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
  const prompts = Object.fromEntries(dataset.tasks.map((t) => {
    const c = t.classes.length;
    return [t.name, {
      promptEmbeds: random(c * dim),
      promptWeights: random(c * DEFAULT_CONFIG.head.mapDim),
    }];
  })) as ExperimentInputs["prompts"];
  return {
    dataset,
    source: { ref: "pridemm", data: csv, files: { "PrideMM.csv": csv } },
    features: {
      n,
      dim,
      textDim: dim,
      names: dataset.memes.map((m) => m.name),
      image: random(n * dim),
      text: random(n * dim),
      imageOk: new Uint8Array(n).fill(1),
    },
    featureKey: "random-features",
    featureDir: "",
    modelId: "random-features",
    // Random features: not CLIP's, never compared with the paper.
    clipShape: null,
    prompts,
    missingImages: Object.fromEntries(SPLITS.map((s) => [s, 0])) as ExperimentInputs[
      "missingImages"
    ],
  };
}

/** The flags of the benchmarks that run an experiment (`bench:reproduce`, `bench:ablate`). */
export const BENCH_RUN_FLAGS = defineFlags([
  {
    name: "backend",
    type: "choice",
    choices: BACKEND_CHOICES,
    default: "auto",
    help: "training backend (auto: the best)",
  },
  { name: "seeds", type: "string", default: "3", help: "number of seeds" },
  { name: "epochs", type: "integer", default: 10, help: "epochs per cell" },
  WORKERS_FLAG,
]);

/** What an experiment benchmark runs with, resolved from {@linkcode BENCH_RUN_FLAGS}. */
export interface BenchRunSettings {
  /** The config, its CLIP model named `random-features` (what stands in for CLIP's). */
  readonly config: MemeSenseConfig;
  /** The training backend (`auto`: the best available). */
  readonly backend: BackendName | "auto";
  /** Parallel workers: the flag, else one per core. */
  readonly workers: number;
  /** The seeds. */
  readonly seeds: number[];
  /** PrideMM's rows with random features ({@linkcode randomFeatureInputs}). */
  readonly inputs: ExperimentInputs;
}

/**
 * Resolves the experiment benchmarks' flags (a bad value exits 2 with the usage error) and
 * prepares their inputs; `script` names the benchmark in the message when PrideMM.csv is missing.
 */
export async function benchRunSettings(
  flags: ParsedFlags<typeof BENCH_RUN_FLAGS>,
  script: string,
): Promise<BenchRunSettings> {
  const { config, backend, workers } = await exitOnUsageError(() =>
    resolveRunSettings(flags, {
      // Random features stand in for CLIP's: the record names them so.
      base: makeConfig({ clip: { model: "random-features" } }),
      env: { ...readEnvironment(), clipModel: undefined },
    })
  );
  const seeds = await exitOnUsageError(() => parseSeeds(flags.seeds, config.train.seed));
  const inputs = await randomFeatureInputs(script);
  return { config, backend, workers: workers ?? navigator.hardwareConcurrency, seeds, inputs };
}

/** `1 min, 5 min, 15 min` load averages (Linux), or `unknown`. */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

/**
 * CPU seconds this process has used (user + system, all threads — training workers included),
 * from `/proc/self/stat`; NaN where that file does not exist.
 */
export function cpuSeconds(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;
