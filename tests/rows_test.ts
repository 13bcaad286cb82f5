/** The one row normalisation (lib/util): unit rows, zero rows kept, in place, exact in float32. */
import assert from "node:assert/strict";
import { normaliseRows } from "../lib/util/mod.ts";
import { cosineScores, promptWeightsFrom } from "../lib/clip/prompts.ts";
import { zeroShotLogits } from "../lib/analysis/mod.ts";

Deno.test("normaliseRows: each row to unit L2 norm, a zero row stays zero, in place", () => {
  const m = Float32Array.from([3, 4, 0, 0, 0, -2]);
  const out = normaliseRows(m, 3, 2);
  assert.equal(out, m, "in place: the same array is returned");
  // 3/5 and 4/5 as float32, the float64 inverse norm applied to each value.
  assert.deepEqual([...out], [Math.fround(0.6), Math.fround(0.8), 0, 0, 0, -1]);
  assert.throws(() => normaliseRows(new Float32Array(5), 2, 2), /5 values are not 2 rows of 2/);
});

Deno.test("cosine scores, prompt weights and zero-shot logits share it", () => {
  // Two 2-d prompts; an image along the first: cos = 1 and 0, and 100 · cos as zero-shot logits.
  const prompts = Float32Array.from([2, 0, 0, 5]);
  const image = Float32Array.from([7, 0]);
  assert.deepEqual([...cosineScores(image, prompts, 2)], [1, 0]);
  assert.deepEqual([...zeroShotLogits(image, prompts, 1, 2)], [100, 0]);
  assert.deepEqual([...prompts], [2, 0, 0, 5], "the caller's embeddings are not changed");
  // An identity projection: the weights are the normalised prompts.
  const weights = promptWeightsFrom(prompts, Float32Array.from([1, 0, 0, 1]), 2, 2, 2);
  assert.deepEqual([...weights], [1, 0, 0, 1]);
});
