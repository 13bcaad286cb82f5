import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendName,
  DEFAULT_CONFIG,
  makeConfig,
  type MemeSenseConfig,
} from "../lib/config/mod.ts";
import { evaluateLogits } from "../lib/metrics/mod.ts";
import { loadHeadWeights } from "../lib/model/head_file.ts";
import {
  HeadTrainer,
  initBackend,
  predictLogits,
  type SplitData,
  trainHead,
  TrainInputError,
  trainMany,
  type TrainWarning,
} from "../lib/train/mod.ts";
import { blasStats, resetBlasStats } from "../lib/train/_blas_kernels.ts";
import { Rng } from "../lib/util/mod.ts";

const FIXTURES = new URL("./fixtures/model/", import.meta.url).pathname;

async function available(b: BackendName): Promise<boolean> {
  try {
    await initBackend(b, { quiet: true });
    return true;
  } catch (e) {
    console.log(`(${b} backend unavailable here: ${(e as Error).message})`);
    return false;
  }
}
const HAS_BLAS = await available("blas");
const HAS_WASM = await available("wasm");
/** The backend the training tests use: OpenBLAS when present, else wasm. */
const MAIN: BackendName = HAS_BLAS ? "blas" : "wasm";

/** One random ±1 direction per class: the class signal of the synthetic features. */
const meanRng = new Rng(99);
const CLASS_MEANS = [0, 1, 2, 3].map(() =>
  Float32Array.from({ length: 768 }, () => (meanRng.next() < 0.5 ? -1 : 1))
);

/** A synthetic split: labels cycle through the classes; features = N(0, 1) + 0.5 · class mean. */
function synthetic(n: number, seed: number, numClasses = 2, dim = 768): SplitData {
  const rng = new Rng(seed);
  const image = new Float32Array(n * dim);
  const text = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = (labels[i] = i % numClasses);
    for (let k = 0; k < dim; k++) {
      image[i * dim + k] = rng.normal() + 0.5 * CLASS_MEANS[y][k];
      text[i * dim + k] = rng.normal() + 0.5 * CLASS_MEANS[y][k];
    }
  }
  return { image, text, labels, n };
}

const quiet = { quiet: true, onWarning: (_: TrainWarning) => {} };

Deno.test("two AdamW steps match PyTorch on the reference architecture (dropout off)", async () => {
  for (const name of ["torch_head_default", "torch_head_deep"]) {
    const f = JSON.parse(await Deno.readTextFile(`${FIXTURES}/${name}.json`));
    const c = f.config;
    const config = makeConfig({
      head: {
        unmappedDim: c.unmappedDim,
        mapDim: c.mapDim,
        adapterReduction: c.adapterReduction,
        numMappingLayers: c.numMappingLayers,
        numPreOutputLayers: c.numPreOutputLayers,
        dropProbs: [0, 0, 0],
        ratio: c.ratio,
      },
      train: { lr: c.lr, weightDecay: c.weightDecay },
    });
    const { weights } = await loadHeadWeights(
      `${FIXTURES}/${name}.safetensors`,
      config,
      c.numClasses,
    );
    const image = Float32Array.from(f.image as number[]);
    const text = Float32Array.from(f.text as number[]);
    for (const backend of ["cpu", "blas", "wasm"] as const) {
      if (backend !== "cpu" && !(backend === "blas" ? HAS_BLAS : HAS_WASM)) continue;
      await initBackend(backend, { quiet: true });
      const what = `${name} on ${backend}`;
      const close = (a: ArrayLike<number>, e: number[], tol: number, label: string) =>
        e.forEach((v, i) =>
          assert.ok(Math.abs(a[i] - v) <= tol, `${what} ${label}[${i}] = ${a[i]}, torch ${v}`)
        );
      close(
        predictLogits(weights, config, image, text, f.n),
        f.logitsAtInit,
        2e-5,
        "logits at init",
      );
      const trainer = new HeadTrainer(config, c.numClasses, { weights });
      const dim = c.unmappedDim;
      for (const rows of f.batches as number[][]) {
        const pick = (x: Float32Array) =>
          Float32Array.from(rows.flatMap((r) => [...x.subarray(r * dim, (r + 1) * dim)]));
        trainer.step(pick(image), pick(text), Int32Array.from(rows.map((r) => f.labels[r])));
      }
      close(
        predictLogits(trainer.weights, config, image, text, f.n),
        f.logitsAfterTwoSteps,
        1e-4,
        "logits after 2 steps",
      );
      for (const [tensor, values] of Object.entries(f.after as Record<string, number[]>)) {
        close(trainer.weights.params[tensor], values, 2e-6, tensor);
      }
    }
  }
});

const SMALL = makeConfig({ train: { epochs: 2, seed: 3 } });
const train = synthetic(96, 1);
const val = synthetic(48, 2);
const test = synthetic(48, 3);

Deno.test("same seed, same backend: bit-identical results; another seed differs", async () => {
  const run = (config: MemeSenseConfig) =>
    trainHead({ config, numClasses: 2, train, val, test, backend: MAIN, ...quiet });
  const a = await run(SMALL);
  const b = await run(SMALL);
  assert.equal(a.backend, MAIN);
  assert.deepEqual(
    b.curves.map((r) => ({ ...r, seconds: 0, evalSeconds: 0 })),
    a.curves.map((r) => ({ ...r, seconds: 0, evalSeconds: 0 })),
  );
  assert.deepEqual(b.heads, a.heads);
  const c = await run(makeConfig({ train: { epochs: 2, seed: 4 } }));
  assert.notEqual(c.curves[0].trainLoss, a.curves[0].trainLoss);
});

Deno.test("blas and wasm logits agree to 1e-4 for the same seed and data", {
  ignore: !(HAS_BLAS && HAS_WASM),
}, async () => {
  const logits: Float32Array[] = [];
  for (const backend of ["blas", "wasm"] as const) {
    await initBackend(backend, { quiet: true });
    const trainer = new HeadTrainer(SMALL, 2);
    await trainer.epoch(train);
    await trainer.epoch(train);
    logits.push(predictLogits(trainer.weights, SMALL, test.image, test.text, test.n));
  }
  let maxDiff = 0;
  for (let i = 0; i < logits[0].length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(logits[0][i] - logits[1][i]));
  }
  assert.ok(maxDiff <= 1e-4, `max |blas − wasm| = ${maxDiff}`);
  assert.ok(maxDiff > 0 || logits[0].length > 0);
});

Deno.test("learns an easy problem; protocols pick their epochs; no tensor leaks", async () => {
  const config = makeConfig({ train: { epochs: 3, seed: 1 } });
  await initBackend(MAIN, { quiet: true });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const result = await trainHead({
    config,
    numClasses: 2,
    train: synthetic(160, 5),
    val,
    test,
    backend: MAIN,
    onEpoch: () => counts.push(tf.memory().numTensors),
    ...quiet,
  });
  assert.deepEqual(counts, [before, before, before]);
  assert.equal(result.numParams, 3_675_136);
  assert.equal(result.curves.length, 3);
  const last = result.curves[2];
  assert.ok(last.trainLoss < result.curves[0].trainLoss, "training loss goes down");
  assert.ok(last.test.accuracy >= 0.9, `test accuracy ${last.test.accuracy}`);
  assert.ok(last.val.auroc >= 0.95, `val AUROC ${last.val.auroc}`);
  // Each protocol's epoch is the earliest maximum of its own criterion.
  const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs)) + 1;
  assert.equal(result.clean.epoch, argmax(result.curves.map((r) => r.val.auroc)));
  assert.equal(result.reference.epoch, argmax(result.curves.map((r) => r.referenceMonitor)));
  assert.deepEqual(result.clean.test, result.curves[result.clean.epoch - 1].test);
  // The saved clean head reproduces its epoch's val metrics exactly.
  const logits = predictLogits(result.heads.clean, config, val.image, val.text, val.n);
  assert.deepEqual(evaluateLogits(logits, val.labels, 2), result.clean.val);
  // The logits kept for the predictions files are that epoch's, for both protocols.
  assert.deepEqual(result.logits.clean.val, logits);
  const refTest = predictLogits(result.heads.reference, config, test.image, test.text, test.n);
  assert.deepEqual(result.logits.reference.test, refTest);
});

Deno.test(
  "a training step runs 22 GEMMs: none for the frozen features",
  { ignore: !HAS_BLAS },
  async () => {
    await initBackend("blas", { quiet: true });
    const trainer = new HeadTrainer(DEFAULT_CONFIG, 2);
    const b = 16;
    const x = new Float32Array(b * 768).fill(0.1);
    resetBlasStats();
    trainer.step(x, x, new Int32Array(b));
    const { calls, flops } = blasStats();
    // Forward: 2 projections, 4 adapter Linears, 1 pre-output Linear, 1 cosine product = 8.
    // Backward: dW for all 8, dX for the classifier, pre-output and 4 adapter Linears = 14;
    // the projections' dX (the CLIP features' gradient) is never formed.
    assert.equal(calls, 22);
    const gemm = (m: number, n: number, k: number) => 2 * m * n * k;
    const forward = 2 * gemm(b, 1024, 768) + 4 * gemm(b, 256, 1024) + gemm(b, 1024, 1024) +
      gemm(b, 2, 1024);
    const backward = forward + (4 * gemm(b, 256, 1024) + gemm(b, 1024, 1024) + gemm(b, 2, 1024));
    assert.equal(flops, forward + backward);
  },
);

Deno.test("workers give the same results as sequential runs", async () => {
  const jobs = [1, 2].map((seed) => ({
    config: makeConfig({ train: { epochs: 1, seed }, head: { classifierInit: "random" } }),
    numClasses: 2,
    train,
    val,
    test,
    backend: MAIN,
  }));
  const done: number[] = [];
  const parallel = await trainMany(jobs, { workers: 2, onDone: (i) => done.push(i) });
  assert.deepEqual(done.sort(), [0, 1]);
  for (let i = 0; i < jobs.length; i++) {
    const sequential = await trainHead({ ...jobs[i], ...quiet });
    const strip = (r: typeof sequential) =>
      r.curves.map((e) => ({ ...e, seconds: 0, evalSeconds: 0 }));
    assert.deepEqual(strip(parallel[i]), strip(sequential), `job ${i} curves`);
    assert.deepEqual(parallel[i].heads, sequential.heads, `job ${i} weights`);
    assert.deepEqual(parallel[i].logits, sequential.logits, `job ${i} logits`);
  }
});

Deno.test("bad inputs: clear errors naming split, field and row; named warnings", async () => {
  const config = makeConfig({ train: { epochs: 1 } });
  const attempt = (
    patch: Partial<{ train: SplitData; val: SplitData; test: SplitData }>,
    numClasses = 2,
  ) => trainHead({ config, numClasses, train, val, test, backend: MAIN, ...quiet, ...patch });
  const wide = { ...train, image: new Float32Array(train.n * 512) };
  await assert.rejects(
    attempt({ train: wide }),
    /train split: image features have 49152 values, expected n × unmappedDim = 96 × 768 = 73728 \(they look 512 wide\)/,
  );
  const nan = { ...val, text: val.text.slice() };
  nan.text[5 * 768 + 7] = NaN;
  await assert.rejects(attempt({ val: nan }), /val split: text features row 5, column 7 is NaN/);
  const inf = { ...test, image: test.image.slice() };
  inf.image[3] = -Infinity;
  await assert.rejects(
    attempt({ test: inf }),
    /test split: image features row 0, column 3 is -Infinity/,
  );
  const badLabel = { ...test, labels: test.labels.slice() };
  badLabel.labels[9] = 2;
  await assert.rejects(
    attempt({ test: badLabel }),
    /test split: label of row 9 is 2, outside \[0, 2\)/,
  );
  const empty = {
    image: new Float32Array(0),
    text: new Float32Array(0),
    labels: new Int32Array(0),
    n: 0,
  };
  await assert.rejects(
    attempt({ val: empty }),
    (e: Error) => e instanceof TrainInputError && /val split is empty/.test(e.message),
  );

  // A class absent from train: training goes on, with a named warning.
  const warnings: TrainWarning[] = [];
  const result = await trainHead({
    config: makeConfig({ train: { epochs: 1 }, head: { classifierInit: "random" } }),
    numClasses: 3,
    train,
    val,
    test,
    backend: MAIN,
    quiet: true,
    onWarning: (w) => warnings.push(w),
  });
  assert.deepEqual(warnings.map((w) => w.code), ["missing-class"]);
  assert.match(warnings[0].message, /class 2 has no sample in the train split \(96 rows\)/);
  assert.deepEqual(result.warnings, warnings);
  // The prompt initialisation without prompt embeddings falls back, with a warning.
  const fallback: TrainWarning[] = [];
  await trainHead({
    config: makeConfig({ train: { epochs: 1 } }),
    numClasses: 2,
    train,
    val,
    test,
    backend: MAIN,
    quiet: true,
    onWarning: (w) => fallback.push(w),
  });
  assert.deepEqual(fallback.map((w) => w.code), ["random-classifier-init"]);
});

Deno.test("an aborted run rejects with the signal's reason", async () => {
  const controller = new AbortController();
  controller.abort(new Error("stopped by the user"));
  await assert.rejects(
    trainHead({
      config: SMALL,
      numClasses: 2,
      train,
      val,
      test,
      backend: MAIN,
      signal: controller.signal,
      ...quiet,
    }),
    /stopped by the user/,
  );
});
