/**
 * Training speed of the head on synthetic features: 4,328 samples (PrideMM's train split size),
 * batch 16, the default binary model, for each available backend (or `--backend`).
 *
 *   deno task bench:head [--backend blas] [--epochs 1] [--steps 0] [--batch-size 16]
 *
 * Prints `X s per epoch`, samples/s, and where a step's time goes (GEMMs through OpenBLAS on the
 * `blas` backend, AdamW). `--steps N` times N steps and extrapolates to a full epoch; the slow
 * `cpu` backend is timed on 20 steps unless `--steps` says otherwise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_CONFIG, FlagError, helpText, makeConfig, parseFlags } from "../lib/config/mod.ts";
import { countParams } from "../lib/model/mod.ts";
import {
  BACKEND_NAMES,
  type BackendName,
  blasStats,
  HeadTrainer,
  initBackend,
  parseBackendName,
  predictLogits,
  probeBackends,
  resetBlasStats,
  type SplitData,
} from "../lib/train/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const N = 4328;
const FLAGS = [
  {
    name: "backend",
    type: "string",
    help: `auto (all available) or one of ${BACKEND_NAMES.join(", ")}`,
    default: "auto",
  },
  { name: "epochs", type: "number", help: "timed epochs per backend", default: 1 },
  { name: "steps", type: "number", help: "steps per timed epoch (0 = a full epoch)", default: 0 },
  { name: "batch-size", type: "number", help: "mini-batch size", default: 16 },
  { name: "seed", type: "number", help: "seed of the synthetic data and the run", default: 42 },
  { name: "help", type: "boolean", help: "show this help", default: false },
] as const;

function syntheticSplit(n: number, dim: number, seed: number): SplitData {
  const rng = new Rng(seed);
  const labels = new Int32Array(n);
  const image = new Float32Array(n * dim);
  const text = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(2);
    for (let k = 0; k < dim; k++) {
      // A weak class signal on the first features, so the loss moves.
      const shift = k < 16 ? (labels[i] ? 0.5 : -0.5) : 0;
      image[i * dim + k] = rng.normal() + shift;
      text[i * dim + k] = rng.normal() - shift;
    }
  }
  return { image, text, labels, n };
}

async function benchBackend(
  backend: BackendName,
  data: SplitData,
  flags: { epochs: number; steps: number; batchSize: number; seed: number },
): Promise<void> {
  await initBackend(backend, { quiet: true });
  const config = makeConfig({ train: { batchSize: flags.batchSize, seed: flags.seed } });
  const trainer = new HeadTrainer(config, 2);
  const fullSteps = Math.ceil(N / flags.batchSize);
  const steps = flags.steps > 0 ? flags.steps : backend === "cpu" ? 20 : 0;
  // Warm-up: the first steps compile and allocate.
  await trainer.epoch(data, { maxSteps: 3 });
  const tensorsBefore = tf.memory().numTensors;
  for (let e = 1; e <= flags.epochs; e++) {
    resetBlasStats();
    const t0 = performance.now();
    const r = await trainer.epoch(data, { maxSteps: steps });
    const seconds = (performance.now() - t0) / 1000;
    const perEpoch = seconds / r.steps * fullSteps;
    const gemm = blasStats();
    const parts = [
      `${backend.padEnd(6)} epoch ${e}: ${perEpoch.toFixed(2)} s per epoch`,
      `${(r.samples / seconds).toFixed(0)} samples/s`,
      `${(1000 * seconds / r.steps).toFixed(1)} ms/step`,
      r.steps < fullSteps ? `(extrapolated from ${r.steps} steps)` : `(${r.steps} steps)`,
      `loss ${r.loss.toFixed(4)}`,
    ];
    if (gemm.calls) {
      parts.push(
        `GEMM ${(gemm.ms / r.steps).toFixed(1)} ms/step at ${
          (gemm.flops / gemm.ms / 1e6).toFixed(1)
        } GFLOP/s`,
      );
    }
    console.log(parts.join("  "));
  }
  const t1 = performance.now();
  predictLogits(trainer.weights, config, data.image, data.text, data.n);
  console.log(
    `${backend.padEnd(6)} eval: ${N} rows in ${((performance.now() - t1) / 1000).toFixed(2)} s; ` +
      `tensors ${tensorsBefore} → ${tf.memory().numTensors}`,
  );
}

async function main(): Promise<void> {
  let flags;
  try {
    flags = parseFlags(Deno.args, FLAGS as unknown as Parameters<typeof parseFlags>[1]);
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`bench:head: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
  if (flags.help) {
    console.log(
      helpText("deno task bench:head [flags]", FLAGS as unknown as Parameters<typeof helpText>[1]),
    );
    return;
  }
  const choice = parseBackendName(String(flags.backend));
  const options = {
    epochs: Number(flags.epochs),
    steps: Number(flags.steps),
    batchSize: Number(flags["batch-size"]),
    seed: Number(flags.seed),
  };
  let backends: BackendName[];
  if (choice === "auto") {
    backends = [];
    for (const b of await probeBackends()) {
      if (b.reason) console.log(`${b.name}: unavailable (${b.reason})`);
      else backends.push(b.name);
    }
  } else backends = [choice];
  const head = DEFAULT_CONFIG.head;
  console.log(
    `head: ${countParams(head, 2).toLocaleString("en")} parameters; ${N} synthetic samples, ` +
      `batch ${options.batchSize}; ${navigator.hardwareConcurrency} cores; deno ${Deno.version.deno}`,
  );
  const data = syntheticSplit(N, head.unmappedDim, options.seed);
  for (const backend of backends) {
    await initBackend(backend);
    await benchBackend(backend, data, options);
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    // Bad flag values and unavailable backends are the user's to fix: say so without a trace.
    if (!(e instanceof Error) || !/^(unknown backend|backend \S+ is unavailable)/.test(e.message)) {
      throw e;
    }
    console.error(`bench:head: ${e.message}`);
    Deno.exit(2);
  }
}
