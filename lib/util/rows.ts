/**
 * Row-major matrices of float32: each row scaled to unit L2 norm — the one row normalisation of
 * the suite (prompt embeddings, CLIP's zero-shot scores, the baselines).
 *
 * @module
 */

/**
 * Scales each of the `rows` rows of `m` (width `cols`, row-major) to unit L2 norm, in place, and
 * returns `m`; a zero row stays zero. The norm is summed in float64, and each value multiplied by
 * its row's inverse norm. Normalise a copy (`normaliseRows(m.slice(), …)`) to keep `m`.
 *
 * ```ts
 * import { normaliseRows } from "./mod.ts";
 * console.log(normaliseRows(Float32Array.from([3, 4, 0, 0]), 2, 2)); // [0.6, 0.8, 0, 0]
 * ```
 */
export function normaliseRows(m: Float32Array, rows: number, cols: number): Float32Array {
  if (m.length !== rows * cols) {
    throw new Error(`normaliseRows: ${m.length} values are not ${rows} rows of ${cols}`);
  }
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += m[r * cols + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < cols; c++) m[r * cols + c] *= inv;
  }
  return m;
}
