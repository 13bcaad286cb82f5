/**
 * What the benchmarks share: experiment inputs with PrideMM's real rows, splits and labels and
 * random features of CLIP ViT-L/14's width in place of the extracted ones (so a benchmark needs
 * neither CLIP nor the images and still trains on exactly PrideMM's split sizes), and the
 * machine's load and this process's CPU time, printed beside every wall time because the
 * machine may be shared.
 *
 * @module
 */
import { DEFAULT_CONFIG, TASK_NAMES, TASKS } from "../lib/config/mod.ts";
import { findPrideMMCsv, loadPrideMM, SPLITS } from "../lib/data/mod.ts";
import type { ExperimentInputs } from "../lib/experiment/mod.ts";
import { Rng } from "../lib/util/mod.ts";

/** Experiment inputs: PrideMM.csv and pairs it with seeded random features; exits 2 when the CSV is missing. */
export async function randomFeatureInputs(script: string): Promise<ExperimentInputs> {
  const csv = findPrideMMCsv();
  if (!csv) {
    console.error(
      `${script} needs PrideMM.csv for its split sizes and labels (see data/README.md)`,
    );
    Deno.exit(2);
  }
  const dataset = await loadPrideMM(csv);
  const n = dataset.memes.length, dim = DEFAULT_CONFIG.head.unmappedDim;
  const rng = new Rng(0);
  const random = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
  const prompts = Object.fromEntries(TASK_NAMES.map((t) => {
    const c = TASKS[t].classNames.length;
    return [t, {
      promptEmbeds: random(c * dim),
      promptWeights: random(c * DEFAULT_CONFIG.head.mapDim),
    }];
  })) as ExperimentInputs["prompts"];
  return {
    dataset,
    datasetSha256: "random-features",
    features: {
      dim,
      names: dataset.memes.map((m) => m.name),
      image: random(n * dim),
      text: random(n * dim),
      imageOk: new Uint8Array(n).fill(1),
    },
    featureKey: "random-features",
    featureDir: "",
    modelId: "random-features",
    prompts,
    missingImages: Object.fromEntries(SPLITS.map((s) => [s, 0])) as ExperimentInputs[
      "missingImages"
    ],
    synthetic: true, // random features: never compared with the paper
  };
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
