/**
 * Descriptive statistics of feature matrices (row-major `n × dim` Float32Arrays): row norms,
 * cosine similarities, sparsity and value summaries. The notebooks use them to show what each
 * stage of the head does to the features; they are plain loops in float64, independent of tfjs.
 *
 * @module
 */

/** Summary of a set of values. */
export interface ValueSummary {
  /** Number of values. */
  readonly count: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Population standard deviation (ddof = 0). */
  readonly std: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
}

function rowsOf(x: ArrayLike<number>, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${what}: dim must be ≥ 1, got ${dim}`);
  if (x.length % dim !== 0) {
    throw new Error(`${what}: ${x.length} values are not a whole number of ${dim}-wide rows`);
  }
  return x.length / dim;
}

/** Mean, population std, min and max of `values` (NaN for an empty set). */
export function describeValues(values: ArrayLike<number>): ValueSummary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  return { count: n, mean, std: Math.sqrt(sq / n), min, max };
}

/** The L2 norm of each row of `x` (`n × dim`). */
export function rowNorms(x: ArrayLike<number>, dim: number): Float64Array {
  const n = rowsOf(x, dim, "rowNorms");
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) s += x[k] * x[k];
    out[r] = Math.sqrt(s);
  }
  return out;
}

/**
 * Cosine similarity of every row of `a` (`na × dim`) with every row of `b` (`nb × dim`):
 * `na × nb`, row-major. A zero row has cosine 0 with everything.
 */
export function cosineMatrix(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
): Float64Array {
  const na = rowsOf(a, dim, "cosineMatrix (a)");
  const nb = rowsOf(b, dim, "cosineMatrix (b)");
  const normA = rowNorms(a, dim), normB = rowNorms(b, dim);
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += a[i * dim + k] * b[j * dim + k];
      const denom = normA[i] * normB[j];
      out[i * nb + j] = denom > 0 ? dot / denom : 0;
    }
  }
  return out;
}

/** Cosine similarity of row `i` of `a` with row `i` of `b`, for every `i` (equal shapes). */
export function pairedCosines(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
): Float64Array {
  const n = rowsOf(a, dim, "pairedCosines (a)");
  if (b.length !== a.length) {
    throw new Error(`pairedCosines: a has ${a.length} values, b ${b.length}; they must match`);
  }
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let dot = 0, na = 0, nb = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) {
      dot += a[k] * b[k];
      na += a[k] * a[k];
      nb += b[k] * b[k];
    }
    const denom = Math.sqrt(na) * Math.sqrt(nb);
    out[r] = denom > 0 ? dot / denom : 0;
  }
  return out;
}

/**
 * Mean cosine similarity over all pairs of distinct rows: 1 when every row points the same way,
 * near 0 for unrelated directions. Shows whether a stage keeps inputs apart or collapses them.
 */
export function meanPairwiseCosine(x: ArrayLike<number>, dim: number): number {
  const n = rowsOf(x, dim, "meanPairwiseCosine");
  if (n < 2) return NaN;
  const c = cosineMatrix(x, x, dim);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += c[i * n + j];
  return s / (n * (n - 1) / 2);
}

/** The share of values exactly equal to 0 (e.g. ReLU sparsity, dropped units). */
export function zeroFraction(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros / values.length;
}

/** The sum of each row of `x` (`n × dim`). */
export function rowSums(x: ArrayLike<number>, dim: number): Float64Array {
  const n = rowsOf(x, dim, "rowSums");
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) s += x[k];
    out[r] = s;
  }
  return out;
}
