import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_CONFIG, type HeadConfig, makeConfig } from "../lib/config/mod.ts";
import {
  countParams,
  fusedDim,
  headBackward,
  headForward,
  headParamSpecs,
  initHeadWeights,
  type ParamTensors,
} from "../lib/model/mod.ts";
import { adapterForward } from "../lib/model/adapter.ts";
import { classifierForward } from "../lib/model/classifier.ts";
import { dropoutMask, l2Normalize, l2NormalizeGrad, linearForward } from "../lib/model/layers.ts";
import { fusionForward } from "../lib/model/fusion.ts";
import { preOutputForward } from "../lib/model/pre_output.ts";
import { projectionForward } from "../lib/model/projection.ts";
import { residualForward } from "../lib/model/residual.ts";
import type { BackendName } from "../lib/config/mod.ts";
import { initBackend } from "../lib/train/mod.ts";
import { Rng } from "../lib/util/mod.ts";

/** The backends the stage checks run on: always cpu, plus blas and wasm where they start. */
async function backends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const b of ["cpu", "blas", "wasm"] as const) {
    try {
      await initBackend(b, { quiet: true });
      out.push(b);
    } catch (e) {
      console.log(`(${b} skipped: ${(e as Error).message})`);
    }
  }
  return out;
}
const BACKENDS = await backends();

/** Runs `check` on every available backend, naming the backend in failures. */
async function onEachBackend(check: (backend: BackendName) => void): Promise<void> {
  for (const b of BACKENDS) {
    await initBackend(b, { quiet: true });
    try {
      tf.tidy(() => check(b));
    } catch (e) {
      (e as Error).message = `[${b}] ${(e as Error).message}`;
      throw e;
    }
  }
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = "") {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

const m = (rows: number[][]) => tf.tensor2d(rows);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** A small head whose numbers can be followed by hand. */
const TINY: HeadConfig = {
  ...DEFAULT_CONFIG.head,
  unmappedDim: 3,
  mapDim: 4,
  adapterReduction: 2,
  dropProbs: [0, 0, 0],
};

Deno.test("parameter counts of the default head: 2, 3 and 4 classes", () => {
  assert.equal(countParams(DEFAULT_CONFIG.head, 2), 3_675_136);
  assert.equal(countParams(DEFAULT_CONFIG.head, 3), 3_676_160);
  assert.equal(countParams(DEFAULT_CONFIG.head, 4), 3_677_184);
});

Deno.test("parameter counts of the ablations", () => {
  const h = DEFAULT_CONFIG.head;
  const linear1024 = 1024 * 1024 + 1024;
  // concat: the first pre-output Linear reads 2048 values.
  assert.equal(countParams({ ...h, fusion: "concat" }, 2), 3_675_136 + 1024 * 1024);
  assert.equal(countParams({ ...h, fusion: "sum" }, 2), 3_675_136);
  // image-only drops text_map (768·1024 + 1024) and text_adapter (2 · 1024 · 256).
  assert.equal(countParams({ ...h, modality: "image-only" }, 2), 3_675_136 - 787_456 - 524_288);
  assert.equal(countParams({ ...h, modality: "text-only" }, 2), 3_675_136 - 787_456 - 524_288);
  assert.equal(countParams({ ...h, classifier: "linear" }, 2), 3_675_136 + 2);
  assert.equal(countParams({ ...h, numMappingLayers: 2 }, 2), 3_675_136 + 2 * linear1024);
  assert.equal(countParams({ ...h, numPreOutputLayers: 3 }, 2), 3_675_136 + 2 * linear1024);
  assert.equal(fusedDim({ ...h, fusion: "concat" }), 2048);
  assert.equal(fusedDim({ ...h, fusion: "concat", modality: "text-only" }), 1024);
});

Deno.test("parameter names and shapes are the reference module's state_dict", () => {
  const specs = headParamSpecs(DEFAULT_CONFIG.head, 2).map((s) => `${s.name} [${s.shape}]`);
  assert.deepEqual(specs, [
    "image_map.proj.0.weight [1024,768]",
    "image_map.proj.0.bias [1024]",
    "text_map.proj.0.weight [1024,768]",
    "text_map.proj.0.bias [1024]",
    "img_adapter.fc.0.weight [256,1024]",
    "img_adapter.fc.2.weight [1024,256]",
    "text_adapter.fc.0.weight [256,1024]",
    "text_adapter.fc.2.weight [1024,256]",
    "pre_output.1.weight [1024,1024]",
    "pre_output.1.bias [1024]",
    "classifier.weight [2,1024]",
  ]);
  // Deeper blocks follow nn.Sequential's indices: Linear, Dropout, ReLU, Linear, … and
  // Dropout, Linear, ReLU, Dropout, Linear, ….
  const deep = headParamSpecs({
    ...DEFAULT_CONFIG.head,
    numMappingLayers: 2,
    numPreOutputLayers: 2,
  }, 3)
    .map((s) => s.name);
  assert.ok(deep.includes("image_map.proj.3.weight"));
  assert.ok(deep.includes("pre_output.4.bias"));
  const linear = headParamSpecs({ ...DEFAULT_CONFIG.head, classifier: "linear" }, 4);
  assert.deepEqual(linear.slice(-2).map((s) => `${s.name} [${s.shape}]`), [
    "classifier.weight [4,1024]",
    "classifier.bias [4]",
  ]);
});

Deno.test("initialisation: torch's ranges, unit classifier rows, seeded and per-tensor", () => {
  const a = initHeadWeights(DEFAULT_CONFIG.head, 2, 7);
  const b = initHeadWeights(DEFAULT_CONFIG.head, 2, 7);
  const c = initHeadWeights(DEFAULT_CONFIG.head, 2, 8);
  assert.deepEqual(a.params["pre_output.1.weight"], b.params["pre_output.1.weight"]);
  assert.notDeepEqual(a.params["pre_output.1.weight"], c.params["pre_output.1.weight"]);
  const maxAbs = (x: Float32Array) => x.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
  // U(±1/√fan_in): fan_in 768 for the projection, 256 for the adapter's second Linear.
  const w0 = a.params["image_map.proj.0.weight"];
  assert.ok(maxAbs(w0) <= 1 / Math.sqrt(768) && maxAbs(w0) > 0.99 / Math.sqrt(768));
  assert.ok(maxAbs(a.params["img_adapter.fc.2.weight"]) <= 1 / Math.sqrt(256));
  assert.ok(maxAbs(a.params["image_map.proj.0.bias"]) <= 1 / Math.sqrt(768));
  const cls = a.params["classifier.weight"];
  for (let r = 0; r < 2; r++) {
    const row = cls.subarray(r * 1024, (r + 1) * 1024);
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, `classifier row ${r} norm ${norm}`);
  }
  // The image branch starts the same whatever the ablation: each tensor has its own stream.
  const imageOnly = initHeadWeights({ ...DEFAULT_CONFIG.head, modality: "image-only" }, 2, 7);
  assert.deepEqual(imageOnly.params["image_map.proj.0.weight"], w0);
  assert.equal(imageOnly.params["text_map.proj.0.weight"], undefined);
  // Prompt embeddings replace the classifier weight; a wrong size is refused.
  const prompt = new Float32Array(2 * 1024).fill(0.5);
  assert.deepEqual(
    initHeadWeights(DEFAULT_CONFIG.head, 2, 7, prompt).params["classifier.weight"],
    prompt,
  );
  assert.throws(
    () => initHeadWeights(DEFAULT_CONFIG.head, 2, 7, new Float32Array(3 * 1024)),
    /expected numClasses × mapDim = 2 × 1024 = 2048 values, got 3072/,
  );
  const linear = initHeadWeights({ ...DEFAULT_CONFIG.head, classifier: "linear" }, 2, 7);
  assert.deepEqual(linear.params["classifier.bias"], new Float32Array(2));
});

Deno.test("Linear, L2 normalisation and dropout on hand-checked values", async () => {
  await onEachBackend(() => {
    // W = [[1,2],[3,4],[5,6]] ([out=3, in=2]), b = [0.5, 0, -1]
    const y = linearForward(
      m([[1, 1], [0, 2]]),
      m([[1, 2], [3, 4], [5, 6]]),
      tf.tensor1d([0.5, 0, -1]),
    );
    assert.deepEqual(y.shape, [2, 3]);
    close(values(y), [3.5, 7, 10, 4.5, 8, 11]);
    const n = l2Normalize(m([[3, 4], [0, 0]]));
    close(values(n.y), [0.6, 0.8, 0, 0]);
    // Tangential part of dy over the norm: dy = [1, 0] at y = [0.6, 0.8], ‖x‖ = 5:
    // (dy − y⟨y,dy⟩)/5 = ([1,0] − 0.6·[0.6,0.8])/5 = [0.128, −0.096]; the zero row gets dy/eps.
    close(values(l2NormalizeGrad(m([[1, 0], [0, 0]]), n)), [0.128, -0.096, 0, 0]);
  });
  const rng = new Rng(3);
  assert.equal(dropoutMask(rng, 2, 2, 0), null);
  await onEachBackend(() => {
    const mask = values(dropoutMask(new Rng(3), 100, 100, 0.1)!);
    const keep = Math.fround(1 / 0.9);
    assert.ok(mask.every((v) => v === 0 || v === keep));
    const dropped = mask.filter((v) => v === 0).length;
    assert.ok(dropped > 850 && dropped < 1150, `dropped ${dropped} of 10000 at p = 0.1`);
  });
});

/** Parameter tensors from plain nested arrays. */
function tensors(p: Record<string, number[] | number[][]>): ParamTensors {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, tf.tensor(v)]));
}

Deno.test("projection, adapter and residual mix on hand-checked values", async () => {
  await onEachBackend(() => {
    const head: HeadConfig = { ...TINY, unmappedDim: 2, mapDim: 2, numMappingLayers: 2 };
    const p = tensors({
      "image_map.proj.0.weight": [[1, 0], [0, -1]],
      "image_map.proj.0.bias": [0, 1],
      "image_map.proj.3.weight": [[1, 1], [2, 0]],
      "image_map.proj.3.bias": [0, -1],
    });
    // Layer 0: [2, 3] → [2, −3 + 1] = [2, −2]; ReLU → [2, 0]; layer 1: [2 + 0, 4 − 1] = [2, 3].
    const { y } = projectionForward(p, "image_map", head, m([[2, 3]]), null);
    close(values(y), [2, 3]);

    const a = tensors({
      "img_adapter.fc.0.weight": [[1, -1, 0, 0], [0, 0, 1, 1]], // 4 → 2
      "img_adapter.fc.2.weight": [[1, 0], [0, 1], [-1, 0], [1, 1]], // 2 → 4
    });
    // x = [1, 2, 3, −1]: hidden = relu([−1, 2]) = [0, 2]; out = relu([0, 2, 0, 2]).
    const adapted = adapterForward(a, "img_adapter", m([[1, 2, 3, -1]])).y;
    close(values(adapted), [0, 2, 0, 2]);

    const projected = m([[1, 2, 3, -1]]);
    close(values(residualForward(adapted, projected, 0.2)), [0.8, 2, 2.4, -0.4]);
    close(values(residualForward(adapted, projected, 0)), [1, 2, 3, -1]);
    close(values(residualForward(adapted, projected, 1)), [0, 2, 0, 2]);
  });
});

Deno.test("fusion variants and modality ablations", async () => {
  await onEachBackend(() => {
    const img = m([[3, 4]]);
    const txt = m([[0, 5]]);
    const fuse = (fusion: HeadConfig["fusion"], modality: HeadConfig["modality"] = "both") =>
      values(fusionForward({ ...TINY, fusion, modality }, img, txt).y);
    // normalised: image [0.6, 0.8], text [0, 1]
    close(fuse("product"), [0, 0.8]);
    close(fuse("sum"), [0.6, 1.8]);
    close(fuse("concat"), [0.6, 0.8, 0, 1]);
    close(fuse("product", "image-only"), [0.6, 0.8]);
    close(fuse("concat", "text-only"), [0, 1]);
  });
});

Deno.test("pre-output block and classifiers on hand-checked values", async () => {
  await onEachBackend(() => {
    const head: HeadConfig = { ...TINY, mapDim: 2, numPreOutputLayers: 1 };
    const p = tensors({ "pre_output.1.weight": [[1, -1], [2, 1]], "pre_output.1.bias": [0, -10] });
    // x = [3, 1]: relu([3 − 1 + 0, 6 + 1 − 10]) = relu([2, −3]) = [2, 0]
    close(values(preOutputForward(p, head, m([[3, 1]]), null).y), [2, 0]);

    // Cosine: x rows [1, 0] and [1, 1]; W rows [2, 0] and [0, 3] ⇒ cos = [1, 0], [√½, √½].
    const cos = tensors({ "classifier.weight": [[2, 0], [0, 3]] });
    const logits = classifierForward(cos, { ...head, scale: 30 }, m([[1, 0], [1, 1]])).logits;
    close(values(logits), [30, 0, 30 * Math.SQRT1_2, 30 * Math.SQRT1_2]);

    const lin = tensors({ "classifier.weight": [[2, 0], [0, 3]], "classifier.bias": [1, -1] });
    const linLogits = classifierForward(lin, { ...head, classifier: "linear" }, m([[1, 1]])).logits;
    close(values(linLogits), [3, 2]);
  });
});

/**
 * The explicit backward pass against tfjs's autograd of the same forward pass, for a loss
 * `Σ logits ⊙ G`, with dropout on (both passes draw the same masks from equal seeds).
 */
function checkGradients(head: HeadConfig, numClasses: number, tol: number): void {
  const weights = initHeadWeights(head, numClasses, 11);
  const names = Object.keys(weights.params);
  const shapes = headParamSpecs(head, numClasses).map((s) => s.shape as number[]);
  const b = 5;
  const rng = new Rng(5);
  const x = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const image = tf.tensor2d(x(b * head.unmappedDim), [b, head.unmappedDim]);
  const text = tf.tensor2d(x(b * head.unmappedDim), [b, head.unmappedDim]);
  const g = tf.tensor2d(x(b * numClasses), [b, numClasses]);
  const vars = names.map((n, i) => tf.tensor(weights.params[n], shapes[i]));
  const record = (ts: tf.Tensor[]) => Object.fromEntries(names.map((n, i) => [n, ts[i]]));

  const loss = (...ts: tf.Tensor[]) =>
    tf.sum(tf.mul(headForward(record(ts), head, image, text, new Rng(9)).logits, g)) as tf.Scalar;
  const expected = tf.grads(loss)(vars);
  const params = record(vars);
  const { tape } = headForward(params, head, image, text, new Rng(9));
  const actual = headBackward(params, head, tape, g);
  assert.deepEqual(Object.keys(actual).sort(), [...names].sort());
  names.forEach((n, i) => close(values(actual[n]), values(expected[i]), tol, n));
}

Deno.test("explicit backward equals tfjs autograd for every variant", async () => {
  const base: HeadConfig = {
    ...DEFAULT_CONFIG.head,
    unmappedDim: 6,
    mapDim: 8,
    adapterReduction: 4,
    dropProbs: [0.1, 0.4, 0.2],
  };
  const variants: [HeadConfig, number][] = [
    [base, 2],
    [{ ...base, fusion: "concat", numMappingLayers: 2, numPreOutputLayers: 2 }, 3],
    [{ ...base, fusion: "sum", classifier: "linear" }, 4],
    [{ ...base, modality: "image-only", ratio: 0.7 }, 2],
    [{ ...base, modality: "text-only", ratio: 0 }, 2],
  ];
  await onEachBackend((backend) => {
    for (const [head, c] of variants) {
      try {
        checkGradients(head, c, 2e-4);
      } catch (e) {
        (e as Error).message = `${JSON.stringify({ ...head, backend })}: ${(e as Error).message}`;
        throw e;
      }
    }
  });
});

Deno.test("head forward: shapes, eval mode is deterministic, default config", async () => {
  await onEachBackend(() => {
    const config = makeConfig();
    const weights = initHeadWeights(config.head, 3, 1);
    const params = Object.fromEntries(
      headParamSpecs(config.head, 3).map((
        s,
      ) => [s.name, tf.tensor(weights.params[s.name], s.shape as number[])]),
    );
    const x = tf.randomNormal([4, 768], 0, 1, "float32", 1) as tf.Tensor2D;
    const a = headForward(params, config.head, x, x, null).logits;
    const b = headForward(params, config.head, x, x, null).logits;
    assert.deepEqual(a.shape, [4, 3]);
    assert.deepEqual(values(a), values(b));
    // Cosine logits are bounded by the scale.
    assert.ok(values(a).every((v) => Math.abs(v) <= 30 + 1e-4));
  });
});
