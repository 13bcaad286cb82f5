import assert from "node:assert/strict";
import {
  cosineMatrix,
  describeValues,
  meanPairwiseCosine,
  pairedCosines,
  rowNorms,
  rowSums,
  zeroFraction,
} from "../lib/features/mod.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b} (±${tol})`);

Deno.test("describeValues: mean, population std, extremes", () => {
  const s = describeValues([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.deepEqual(s, { count: 8, mean: 5, std: 2, min: 2, max: 9 });
  assert.equal(describeValues(new Float32Array(0)).count, 0);
  assert.ok(Number.isNaN(describeValues([]).mean));
});

Deno.test("rowNorms and rowSums work row by row", () => {
  const x = new Float32Array([3, 4, 0, 0, 1, -1]); // 3 rows × 2
  assert.deepEqual([...rowNorms(x, 2)], [5, 0, Math.SQRT2]);
  assert.deepEqual([...rowSums(x, 2)], [7, 0, 0]);
  assert.throws(() => rowNorms(x, 4), /6 values are not a whole number of 4-wide rows/);
  assert.throws(() => rowNorms(x, 0), /dim must be ≥ 1/);
});

Deno.test("cosineMatrix: hand-checked angles, zero rows score 0", () => {
  const a = new Float32Array([1, 0, 1, 1]); // [1,0], [1,1]
  const b = new Float32Array([0, 2, -3, 0, 0, 0]); // [0,2], [-3,0], [0,0]
  const c = cosineMatrix(a, b, 2);
  assert.equal(c.length, 6);
  close(c[0], 0);
  close(c[1], -1);
  assert.equal(c[2], 0);
  close(c[3], Math.SQRT1_2);
  close(c[4], -Math.SQRT1_2);
  assert.equal(c[5], 0);
});

Deno.test("pairedCosines and meanPairwiseCosine", () => {
  const a = new Float32Array([1, 0, 0, 1, 1, 1]);
  const b = new Float32Array([2, 0, 1, 0, -1, -1]);
  const p = pairedCosines(a, b, 2);
  close(p[0], 1);
  close(p[1], 0);
  close(p[2], -1);
  assert.throws(() => pairedCosines(a, b.subarray(2), 2), /they must match/);
  // Pairs of [1,0], [0,1], [1,1]: 0, 1/√2, 1/√2 → mean √2/3.
  close(meanPairwiseCosine(a, 2), Math.SQRT2 / 3);
  assert.ok(Number.isNaN(meanPairwiseCosine(new Float32Array([1, 2]), 2)));
});

Deno.test("zeroFraction counts exact zeros only", () => {
  assert.equal(zeroFraction(new Float32Array([0, 1e-30, -0, 2])), 0.5);
  assert.ok(Number.isNaN(zeroFraction([])));
});
