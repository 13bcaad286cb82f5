import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_CONFIG, type HeadConfig, makeConfig } from "../lib/config/mod.ts";
import { headBackward, headForward, initHeadWeights, paramTensors } from "../lib/model/mod.ts";
import { HeadTrainer, initBackend } from "../lib/train/mod.ts";
import { FusedStep } from "../lib/train/_fused_step.ts";
import { Rng } from "../lib/util/mod.ts";

let hasBlas = true;
try {
  await initBackend("blas", { quiet: true });
} catch (e) {
  hasBlas = false;
  console.log(`(blas unavailable: ${(e as Error).message})`);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

const BASE: HeadConfig = {
  ...DEFAULT_CONFIG.head,
  unmappedDim: 12,
  mapDim: 16,
  adapterReduction: 4,
  dropProbs: [0.1, 0.4, 0.2],
};
const VARIANTS: [HeadConfig, number][] = [
  [BASE, 2],
  [{ ...BASE, fusion: "concat", numMappingLayers: 3, numPreOutputLayers: 2 }, 3],
  [{ ...BASE, fusion: "sum", classifier: "linear", numMappingLayers: 2 }, 4],
  [{ ...BASE, modality: "image-only", ratio: 0.7 }, 2],
  [{ ...BASE, modality: "text-only", ratio: 0, numPreOutputLayers: 3 }, 2],
  [{ ...BASE, dropProbs: [0, 0, 0], ratio: 1 }, 2],
];

Deno.test("the fused step's logits and gradients equal headForward + headBackward", {
  ignore: !hasBlas,
}, async () => {
  await initBackend("blas", { quiet: true });
  for (const [head, C] of VARIANTS) {
    const what = JSON.stringify(head);
    const weights = initHeadWeights(head, C, 11);
    const b = 5;
    const rng = new Rng(5);
    const x = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const image = x(b * head.unmappedDim);
    const text = x(b * head.unmappedDim);
    const g = x(b * C);
    const fused = new FusedStep(weights, 8);
    for (const training of [true, false]) {
      const logits = fused.forward(image, text, b, training ? new Rng(9) : null).slice();
      fused.backward(g, b);
      tf.tidy(() => {
        const params = paramTensors(weights);
        const pass = headForward(
          params,
          head,
          tf.tensor2d(image, [b, head.unmappedDim]),
          tf.tensor2d(text, [b, head.unmappedDim]),
          training ? new Rng(9) : null,
        );
        close(logits, pass.logits.dataSync(), 2e-6, `${what} logits`);
        const grads = headBackward(params, head, pass.tape, tf.tensor2d(g, [b, C]));
        assert.deepEqual(Object.keys(grads).sort(), Object.keys(weights.params).sort());
        for (const [name, t] of Object.entries(grads)) {
          const offset = fused.weights.params[name].byteOffset / 4;
          const mine = fused.grad.subarray(offset, offset + t.size);
          close(mine, t.dataSync(), 2e-5, `${what} training=${training} d${name}`);
        }
      });
    }
  }
});

Deno.test("fused and explicit training steps agree; the fused one is bit-reproducible", {
  ignore: !hasBlas,
}, async () => {
  await initBackend("blas", { quiet: true });
  const config = makeConfig({ head: BASE, train: { seed: 3, batchSize: 4 } });
  const rng = new Rng(1);
  const n = 10;
  const split = {
    image: Float32Array.from({ length: n * 12 }, () => rng.normal()),
    text: Float32Array.from({ length: n * 12 }, () => rng.normal()),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    n,
  };
  const run = async (gradients: "fused" | "explicit" | "autodiff") => {
    const trainer = new HeadTrainer(config, 2, { gradients });
    const losses = [];
    for (let e = 0; e < 3; e++) losses.push((await trainer.epoch(split)).loss);
    return { losses, params: trainer.weights.params };
  };
  const fused = await run("fused");
  const again = await run("fused");
  assert.deepEqual(again.losses, fused.losses);
  assert.deepEqual(again.params, fused.params);
  for (const other of ["explicit", "autodiff"] as const) {
    const r = await run(other);
    close(r.losses, fused.losses, 1e-5, `${other} losses`);
    for (const name of Object.keys(r.params)) {
      close(r.params[name], fused.params[name], 1e-4, `${other} ${name}`);
    }
  }
});
