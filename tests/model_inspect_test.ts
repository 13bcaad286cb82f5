import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import { rowNorms, zeroFraction } from "../lib/features/mod.ts";
import { headActivations, initHeadWeights } from "../lib/model/mod.ts";
import { initBackend, predictLogits } from "../lib/train/mod.ts";
import { Rng } from "../lib/util/mod.ts";

await initBackend("cpu", { quiet: true });

const small = (head: Record<string, unknown> = {}) =>
  makeConfig({
    head: { unmappedDim: 6, mapDim: 8, adapterReduction: 4, ...head },
  }).head;

function features(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.normal());
}

const n = 5;
const image = features(n, 6, 1);
const text = features(n, 6, 2);

Deno.test("headActivations: stage outputs fit together and match predictLogits", () => {
  const head = small({ ratio: 0.3 });
  const weights = initHeadWeights(head, 3, 7);
  const a = headActivations(weights, image, text, n);
  assert.equal(a.n, n);
  assert.equal(a.fusedDim, 8);
  for (const branch of [a.image!, a.text!]) {
    assert.equal(branch.projected.length, n * 8);
    assert.equal(branch.hidden.length, n * 2);
    assert.ok(branch.hidden.every((v) => v >= 0) && branch.adapted.every((v) => v >= 0));
    for (let i = 0; i < n * 8; i++) {
      const want = 0.3 * branch.adapted[i] + 0.7 * branch.projected[i];
      assert.ok(Math.abs(branch.mixed[i] - want) < 1e-6);
    }
    for (const norm of rowNorms(branch.normalized, 8)) assert.ok(Math.abs(norm - 1) < 1e-6);
  }
  for (let i = 0; i < n * 8; i++) {
    const want = a.image!.normalized[i] * a.text!.normalized[i];
    assert.ok(Math.abs(a.fused[i] - want) < 1e-6);
  }
  assert.ok(a.preOutput.every((v) => v >= 0));
  const logits = predictLogits(weights, head, image, text, n);
  assert.equal(a.logits.length, n * 3);
  a.logits.forEach((v, i) => assert.ok(Math.abs(v - logits[i]) < 1e-5, `logit ${i}`));
  // Cosine logits lie within ±scale.
  assert.ok(a.logits.every((v) => Math.abs(v) <= head.scale + 1e-4));
});

Deno.test("headActivations: dropout on drops units, concat doubles the fused width", () => {
  const head = small({ dropProbs: [0.5, 0, 0], fusion: "concat" });
  const weights = initHeadWeights(head, 2, 3);
  const off = headActivations(weights, image, text, n);
  const on = headActivations(weights, image, text, n, { dropout: new Rng(9) });
  assert.equal(zeroFraction(off.image!.projected), 0);
  const dropped = zeroFraction(on.image!.projected);
  assert.ok(dropped > 0.2 && dropped < 0.8, `dropped ${dropped}`);
  // Kept units are scaled by 1/(1 − p) = 2.
  on.image!.projected.forEach((v, i) => {
    if (v !== 0) assert.ok(Math.abs(v - 2 * off.image!.projected[i]) < 1e-5);
  });
  assert.equal(off.fusedDim, 16);
  assert.equal(off.fused.length, n * 16);
});

Deno.test("headActivations: a modality ablation leaves its branch out; bad input is named", () => {
  const head = small({ modality: "text-only" });
  const weights = initHeadWeights(head, 2, 3);
  const a = headActivations(weights, null, text, n);
  assert.equal(a.image, null);
  assert.deepEqual([...a.fused], [...a.text!.normalized]);
  assert.throws(
    () => headActivations(weights, null, text.subarray(1), n),
    /text features have 29 values, expected n × unmappedDim = 5 × 6/,
  );
});
