/**
 * Training speed of the head on synthetic features: 4,328 samples (PrideMM's train split size),
 * batch 16, the default binary model — beside Debian's PyTorch running the reference head on the
 * same machine in the same run.
 *
 *   deno task bench:head [--backend auto|all|blas|wasm|cpu] [--gradients all|fused|explicit|autodiff]
 *                        [--repeats 3] [--steps 0] [--profile] [--torch] [--workers 2]
 *                        [--torch-threads 1] [--worker-epochs 10]
 *
 * Every repetition times one PyTorch epoch (`/usr/bin/python3 bench/torch_head.py`, when that
 * Python has torch) and then one epoch of each backend × gradient method, interleaved, so that
 * the machine's load falls on both alike; the summary gives medians and the median per-repetition
 * ratio to PyTorch, in wall time and in CPU time (which other jobs on a shared machine do not
 * inflate). The load average is printed before and after. `--profile` splits a step into
 * GEMMs, element-wise passes (with tfjs's tensor allocation and dispatch on the tfjs paths),
 * dropout masks, loss, gradient read-back and AdamW, in ms per step. `--workers N` also measures
 * the throughput of N parallel training workers against one.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  BACKEND_NAMES,
  type BackendName,
  DEFAULT_CONFIG,
  defineFlags,
  makeConfig,
  parseFlagsOrExit,
} from "../lib/config/mod.ts";
import { countParams } from "../lib/model/mod.ts";
import {
  BackendUnavailableError,
  blasKernelNote,
  describeBackend,
  GRADIENT_METHODS,
  type GradientMethod,
  HeadTrainer,
  initBackend,
  predictLogits,
  probeBackends,
  type SplitData,
  type StepProfile,
  trainMany,
} from "../lib/train/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { cpuSeconds, loadAverage } from "./_common.ts";

const N = 4328;
const FLAGS = defineFlags([
  {
    name: "backend",
    type: "choice",
    choices: ["auto", "all", ...BACKEND_NAMES],
    help: "the best available, all available, or one",
    default: "auto",
  },
  {
    name: "gradients",
    type: "choice",
    choices: ["all", ...GRADIENT_METHODS],
    help: "gradient methods to time (fused runs on blas only)",
    default: "all",
  },
  { name: "repeats", type: "integer", help: "timed epochs per backend and method", default: 3 },
  { name: "steps", type: "integer", help: "steps per timed epoch (0 = a full epoch)", default: 0 },
  { name: "profile", type: "boolean", help: "where a step's time goes, ms/step", default: false },
  {
    name: "torch",
    type: "boolean",
    help: "also time Debian's PyTorch (/usr/bin/python3) on the reference head",
    default: true,
  },
  {
    name: "torch-threads",
    type: "integer",
    help: "PyTorch's threads, intra-op and BLAS (1: as each training worker here)",
    default: 1,
  },
  {
    name: "workers",
    type: "integer",
    help: "also time N parallel workers against one (0 = skip)",
    default: 0,
  },
  {
    name: "worker-epochs",
    type: "integer",
    help: "epochs of each job in the workers' timing (10: a reproduce or ablation cell)",
    default: 10,
  },
  { name: "batch-size", type: "integer", help: "mini-batch size", default: 16 },
  { name: "seed", type: "integer", help: "seed of the synthetic data and the run", default: 42 },
  { name: "help", type: "boolean", help: "show this help", default: false },
]);

const TORCH_PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = new URL("./torch_head.py", import.meta.url).pathname;

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Whether Debian's Python can import torch (without paying for the import twice later). */
async function torchAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command(TORCH_PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * One PyTorch epoch (extrapolated from `steps` when > 0): wall and CPU seconds per epoch, and
 * the threads it ran on as the script reports them.
 */
async function torchEpoch(
  steps: number,
  batchSize: number,
  seed: number,
  threads: number,
): Promise<{ wall: number; cpu: number; threads: string }> {
  const out = await new Deno.Command(TORCH_PYTHON, {
    args: [
      TORCH_SCRIPT,
      "--threads",
      String(threads),
      "--steps",
      String(steps),
      "--batch-size",
      String(batchSize),
      "--seed",
      String(seed),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`bench/torch_head.py failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const line = JSON.parse(text.split("\n").at(-1)!);
  return {
    wall: line.epochSeconds,
    cpu: line.epochCpuSeconds,
    threads: `${line.threads} thread(s), BLAS ${line.blasThreads}`,
  };
}

interface Entry {
  readonly backend: BackendName;
  readonly method: GradientMethod;
  readonly trainer: HeadTrainer;
  readonly seconds: number[];
  readonly cpu: number[];
  readonly profile: StepProfile;
}

const pad = (s: string, n: number) => s.padEnd(n);

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:head [flags]");
  const repeats = Math.max(1, flags.repeats);
  const stepsFlag = flags.steps;
  const batchSize = flags["batch-size"];
  const seed = flags.seed;
  const backendFlag = flags.backend;
  let backends: BackendName[];
  if (backendFlag === "auto" || backendFlag === "all") {
    backends = [];
    for (const b of await probeBackends()) {
      if (b.reason) console.log(`${b.name}: unavailable (${b.reason})`);
      else backends.push(b.name);
    }
    if (backendFlag === "auto") backends = backends.slice(0, 1);
  } else backends = [backendFlag];
  const gradientsFlag = flags.gradients;
  const head = DEFAULT_CONFIG.head;
  const config = makeConfig({ train: { batchSize, seed } });
  const fullSteps = Math.ceil(N / batchSize);
  console.log(
    `head: ${countParams(head, 2).toLocaleString("en")} parameters; ${N} synthetic samples, ` +
      `batch ${batchSize} (${fullSteps} steps/epoch); ${navigator.hardwareConcurrency} cores; ` +
      `deno ${Deno.version.deno}`,
  );
  console.log(`load average before: ${loadAverage()}`);
  const data = syntheticSplit(N, head.unmappedDim, seed);

  const entries: Entry[] = [];
  for (const backend of backends) {
    await initBackend(backend, { quiet: true });
    console.log(`backend ${backend}: ${describeBackend(backend)}`);
    const kernelNote = backend === "blas" ? blasKernelNote() : null;
    if (kernelNote) console.log(`note: ${kernelNote}`);
    const methods = gradientsFlag === "all"
      ? GRADIENT_METHODS.filter((m) => m !== "fused" || backend === "blas")
      : [gradientsFlag];
    for (const method of methods) {
      if (method === "fused" && backend !== "blas") {
        console.log(`(fused needs the blas backend; skipped on ${backend})`);
        continue;
      }
      const trainer = new HeadTrainer(config, 2, { gradients: method });
      await trainer.epoch(data, { maxSteps: 3 }); // warm-up: the first steps compile and allocate
      entries.push({ backend, method, trainer, seconds: [], cpu: [], profile: emptyProfile() });
    }
  }
  const withTorch = flags.torch && await torchAvailable();
  if (flags.torch && !withTorch) {
    console.log(`PyTorch: unavailable (${TORCH_PYTHON} cannot import torch)`);
  }
  const torchSeconds: number[] = [];
  const torchCpu: number[] = [];
  let torchThreads = "";

  for (let rep = 1; rep <= repeats; rep++) {
    if (withTorch) {
      const { wall: s, cpu, threads } = await torchEpoch(
        stepsFlag,
        batchSize,
        seed,
        flags["torch-threads"],
      );
      torchThreads = threads;
      torchSeconds.push(s);
      torchCpu.push(cpu);
      console.log(
        `rep ${rep}  ${pad("torch", 16)} ${s.toFixed(2)} s/epoch  (${
          (1000 * s / fullSteps).toFixed(1)
        } ms/step; CPU ${cpu.toFixed(2)} s)`,
      );
    }
    for (const e of entries) {
      await initBackend(e.backend, { quiet: true });
      // The slow plain-JavaScript backend is timed on 20 steps unless --steps says otherwise.
      const steps = stepsFlag > 0 ? stepsFlag : e.backend === "cpu" ? 20 : 0;
      const tensorsBefore = tf.memory().numTensors;
      e.trainer.resetProfile();
      const t0 = performance.now();
      const cpu0 = cpuSeconds();
      const r = await e.trainer.epoch(data, { maxSteps: steps });
      const seconds = (performance.now() - t0) / 1000;
      const perEpoch = seconds / r.steps * fullSteps;
      e.seconds.push(perEpoch);
      e.cpu.push((cpuSeconds() - cpu0) / r.steps * fullSteps);
      const p = e.trainer.profile();
      for (const k of Object.keys(p) as (keyof StepProfile)[]) e.profile[k] += p[k];
      const leaked = tf.memory().numTensors - tensorsBefore;
      console.log(
        `rep ${rep}  ${pad(`${e.backend}/${e.method}`, 16)} ${perEpoch.toFixed(2)} s/epoch  ` +
          `(${(1000 * seconds / r.steps).toFixed(1)} ms/step, ` +
          `${r.steps < fullSteps ? `extrapolated from ${r.steps} steps` : `${r.steps} steps`}, ` +
          `CPU ${e.cpu.at(-1)!.toFixed(2)} s, loss ${r.loss.toFixed(4)}` +
          `${leaked ? `, ${leaked} tensors leaked` : ""})`,
      );
    }
  }

  console.log(`\nload average after: ${loadAverage()}`);
  console.log(`summary over ${repeats} repetition(s), medians:`);
  if (withTorch) {
    console.log(
      `  ${pad("torch (reference)", 20)} ${median(torchSeconds).toFixed(2)} s/epoch  ` +
        `CPU ${median(torchCpu).toFixed(2)} s/epoch (torch ${torchThreads})`,
    );
  }
  for (const e of entries) {
    const line = [
      `  ${pad(`${e.backend}/${e.method}`, 20)} ${median(e.seconds).toFixed(2)} s/epoch`,
    ];
    line.push(`${(N / median(e.seconds)).toFixed(0)} samples/s`);
    if (withTorch) {
      const ratios = e.seconds.map((s, i) => s / torchSeconds[i]);
      line.push(
        `ratio to PyTorch ${median(ratios).toFixed(2)} (per repetition: ${
          ratios.map((r) => r.toFixed(2)).join(", ")
        })`,
      );
      const cpuRatios = e.cpu.map((s, i) => s / torchCpu[i]);
      line.push(`CPU-time ratio ${median(cpuRatios).toFixed(2)}`);
    }
    console.log(line.join("  "));
  }
  if (flags.profile) {
    console.log("\nprofile, ms per step (all repetitions):");
    console.log(
      `  ${pad("", 20)} ${
        ["GEMM", "elementwise*", "dropout", "loss", "readback", "AdamW", "total"]
          .map((h) => h.padStart(13)).join("")
      }`,
    );
    for (const e of entries) {
      const p = e.profile;
      const parts = [p.gemm, p.elementwise, p.dropout, p.loss, p.readback, p.adamw];
      const total = parts.reduce((a, b) => a + b, 0);
      console.log(
        `  ${pad(`${e.backend}/${e.method}`, 20)} ${
          [...parts, total].map((v) => (v / p.steps).toFixed(2).padStart(13)).join("")
        }`,
      );
    }
    console.log(
      "  * element-wise passes and reductions; on the explicit and autodiff paths also tfjs's\n" +
        "    tensor allocation and kernel dispatch (the fused path allocates nothing per step).\n" +
        "    GEMM is timed inside OpenBLAS calls, so it reads 0 off the blas backend.",
    );
  }
  const best = entries[0];
  if (best) {
    const t1 = performance.now();
    await initBackend(best.backend, { quiet: true });
    predictLogits(best.trainer.weights, config, data.image, data.text, data.n);
    console.log(
      `\n${best.backend} eval: ${N} rows in ${((performance.now() - t1) / 1000).toFixed(2)} s`,
    );
  }
  const workers = flags.workers;
  if (workers > 1 && best) {
    await benchWorkers(best.backend, workers, flags["worker-epochs"], data, config);
  }
}

/**
 * Throughput of `workers` parallel training runs against one: the same job (`epochs` over the
 * train split, evaluation on 256 rows after each) once in one worker, then `workers` copies in as
 * many. Each job includes its worker's start (module loading, backend set-up, ~0.3 s): with the
 * 10 epochs of a real cell that is a few percent of a job, as it is in a grid.
 */
async function benchWorkers(
  backend: BackendName,
  workers: number,
  epochs: number,
  data: SplitData,
  base: ReturnType<typeof makeConfig>,
): Promise<void> {
  const config = makeConfig({ train: { epochs }, head: { classifierInit: "random" } }, base);
  const small = (from: number): SplitData => ({
    image: data.image.slice(from * 768, (from + 256) * 768),
    text: data.text.slice(from * 768, (from + 256) * 768),
    labels: data.labels.slice(from, from + 256),
    n: 256,
  });
  const job = { config, numClasses: 2, train: data, val: small(0), test: small(256), backend };
  const time = async (count: number) => {
    const t0 = performance.now();
    const cpu0 = cpuSeconds();
    await trainMany(Array.from({ length: count }, () => job), { workers: count });
    return { wall: (performance.now() - t0) / 1000, cpuPerJob: (cpuSeconds() - cpu0) / count };
  };
  console.log(`\nworkers (${backend}, ${epochs} epochs per job), load average ${loadAverage()}:`);
  const one = await time(1);
  const many = await time(workers);
  const scaling = (workers / many.wall) / (1 / one.wall);
  console.log(
    `  1 worker: 1 job in ${one.wall.toFixed(1)} s; ${workers} workers: ${workers} jobs in ` +
      `${many.wall.toFixed(1)} s; throughput ×${scaling.toFixed(2)}`,
  );
  // CPU seconds per job rise when parallel jobs slow each other (memory bandwidth, caches);
  // other processes on the machine do not change them.
  console.log(
    `  CPU per job: ${one.cpuPerJob.toFixed(1)} s alone, ${many.cpuPerJob.toFixed(1)} s with ` +
      `${workers} in parallel: on ${workers} idle cores throughput ≈ ×${
        (workers * one.cpuPerJob / many.cpuPerJob).toFixed(2)
      }`,
  );
  console.log(`  load average after: ${loadAverage()}`);
}

function emptyProfile(): StepProfile {
  return { steps: 0, gemm: 0, elementwise: 0, dropout: 0, loss: 0, readback: 0, adamw: 0 };
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    // Unavailable backends are the user's to fix: say so without a trace.
    if (!(e instanceof BackendUnavailableError)) throw e;
    console.error(`bench:head: ${e.message}`);
    Deno.exit(2);
  }
}
