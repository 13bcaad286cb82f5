import assert from "node:assert/strict";
import { AdamW, adamwUpdate } from "../lib/train/_adamw.ts";
import { AdamWBuffers } from "../lib/train/_adamw_simd.ts";

/**
 * Two AdamW steps, lr 0.1, weight decay 0.01, β (0.9, 0.999), ε 1e-8, from θ = [1, −2, 0.5]:
 *
 * Step 1, g = [0.5, −1, 0]: θ·(1 − 0.1·0.01) = [0.999, −1.998, 0.4995]; m = 0.1·g = [0.05, −0.1, 0];
 * v = 0.001·g² = [0.00025, 0.001, 0]; m/(1 − 0.9) = g and √(v/(1 − 0.999)) = |g|, so the step is
 * 0.1·g/(|g| + ε) ≈ 0.1·sign(g) (0 where g = 0): θ = [0.899, −1.898, 0.4995].
 *
 * Step 2, g = [0.1, 0.2, −0.3]: θ·0.999 = [0.898101, −1.896102, 0.4990005];
 * m = 0.9·m + 0.1·g = [0.055, −0.07, −0.03]; v = 0.999·v + 0.001·g² = [0.00025975, 0.001039, 0.00009];
 * θ −= (0.1/0.19)·m/(√v/√0.001999 + ε), e.g. θ₃ = 0.4990005 + 0.5263158·0.03/0.2121835 = 0.5734142.
 *
 * `torch.optim.AdamW` (Debian's torch 1.13, float32) gives, step 1: [0.89900005, −1.898, 0.4995],
 * step 2: [0.81779695, −1.8449994, 0.5734142].
 */
const TORCH_STEP_1 = [0.8990000486373901, -1.8980000019073486, 0.49950000643730164];
const TORCH_STEP_2 = [0.8177969455718994, -1.8449994325637817, 0.5734142065048218];
const TORCH_M = [0.054999999701976776, -0.06999999284744263, -0.030000001192092896];
const TORCH_V = [0.0002597499988041818, 0.0010389999952167273, 9.000000864034519e-05];

function near(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  expected.forEach((e, i) =>
    assert.ok(
      Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)),
      `${what}[${i}] = ${actual[i]}, expected ${e}`,
    )
  );
}

Deno.test("adamwUpdate matches torch.optim.AdamW over two steps", () => {
  const param = new Float32Array([1, -2, 0.5]);
  const state = { m: new Float32Array(3), v: new Float32Array(3) };
  const options = { lr: 0.1, weightDecay: 0.01 };
  adamwUpdate(param, new Float32Array([0.5, -1, 0]), state, 1, options);
  near(param, TORCH_STEP_1, 1e-7, "step 1");
  // Weight decay alone moves a parameter with zero gradient: 0.5 · 0.999.
  assert.equal(param[2], Math.fround(0.4995));
  adamwUpdate(param, new Float32Array([0.1, 0.2, -0.3]), state, 2, options);
  near(param, TORCH_STEP_2, 2e-7, "step 2");
  near(state.m, TORCH_M, 1e-7, "exp_avg");
  near(state.v, TORCH_V, 1e-7, "exp_avg_sq");
});

Deno.test("AdamW steps every parameter together and refuses a missing gradient", () => {
  const params = { a: new Float32Array([1, -2]), b: new Float32Array([0.5]) };
  const opt = new AdamW(params, { lr: 0.1, weightDecay: 0.01 });
  assert.equal(opt.step, 0);
  opt.apply({ a: new Float32Array([0.5, -1]), b: new Float32Array([0]) });
  opt.apply({ a: new Float32Array([0.1, 0.2]), b: new Float32Array([-0.3]) });
  assert.equal(opt.step, 2);
  near(params.a, TORCH_STEP_2.slice(0, 2), 2e-7, "a");
  near(params.b, TORCH_STEP_2.slice(2), 2e-7, "b");
  assert.throws(() => opt.apply({ a: new Float32Array(2) }), /no gradient for b/);
  assert.throws(
    () => adamwUpdate(new Float32Array(2), new Float32Array(3), opt.state("a"), 1, opt.options),
    /gradient has 3 values, parameter 2/,
  );
});

Deno.test("the WebAssembly SIMD AdamW matches torch and the scalar update", () => {
  const simd = new AdamWBuffers(3);
  simd.params.set([1, -2, 0.5]);
  const options = { lr: 0.1, weightDecay: 0.01 };
  simd.grads.set([0.5, -1, 0]);
  simd.step(options);
  near(simd.params, TORCH_STEP_1, 1e-7, "simd step 1");
  simd.grads.set([0.1, 0.2, -0.3]);
  simd.step(options);
  near(simd.params, TORCH_STEP_2, 1e-7, "simd step 2");
  near(simd.m, TORCH_M, 1e-7, "simd exp_avg");
  near(simd.v, TORCH_V, 1e-7, "simd exp_avg_sq");
  assert.equal(simd.steps, 2);
  // A length that is not a whole number of vectors, against the float64 scalar loop.
  const n = 1031;
  const big = new AdamWBuffers(n);
  const param = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const state = { m: new Float32Array(n), v: new Float32Array(n) };
  big.params.set(param);
  for (let t = 1; t <= 4; t++) {
    const grad = Float32Array.from({ length: n }, (_, i) => Math.cos(i * t) * 1e-2);
    big.grads.set(grad);
    big.step({ lr: 1e-3, weightDecay: 1e-4 });
    adamwUpdate(param, grad, state, t, { lr: 1e-3, weightDecay: 1e-4 });
  }
  near(big.params, Array.from(param), 1e-6, "simd vs scalar");
  assert.notDeepEqual(
    Array.from(big.params),
    Array.from(Float32Array.from({ length: n }, (_, i) => Math.sin(i))),
  );
});
