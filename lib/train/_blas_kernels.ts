/**
 * The `blas` backend: TensorFlow.js's plain-JavaScript `cpu` backend with its matrix-multiply
 * kernels (`BatchMatMul`, `_FusedMatMul`, every transpose variant) served by OpenBLAS's
 * `cblas_sgemm` through Deno FFI.
 *
 * Why: on two cores tfjs's own kernels are the bottleneck of training the head — the cpu backend's
 * matMul is plain JavaScript, and tfjs-wasm multiplies transposed operands (the weight gradient
 * `dyᵀ·x`) with a naive loop at ~1 GFLOP/s. OpenBLAS runs all variants at 40–70 GFLOP/s, and the
 * cpu backend keeps every tensor in an ordinary `Float32Array`, which FFI hands to C without a copy.
 *
 * The backend is registered under its own name (`blas`) so the stock `cpu` backend stays intact.
 * OpenBLAS runs on one thread unless `MEMESENSE_BLAS_THREADS` says otherwise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasThreadsSetting, openBlasSetting } from "../config/mod.ts";

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
} as const;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** The tfjs backend name under which the OpenBLAS-backed cpu backend is registered. */
export const BLAS_BACKEND = "blas";

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;
let libraryPath = "";
let loadFailure: string | null = null;

/** Counters of the GEMMs run through OpenBLAS (for benchmarks and tests). */
export interface BlasStats {
  /** Number of `cblas_sgemm` calls. */
  calls: number;
  /** Floating-point operations, `2·M·N·K` per call. */
  flops: number;
  /** Milliseconds spent inside `cblas_sgemm`. */
  ms: number;
}

const stats: BlasStats = { calls: 0, flops: 0, ms: 0 };

/** Returns a copy of the GEMM counters since the last {@linkcode resetBlasStats}. */
export function blasStats(): BlasStats {
  return { ...stats };
}

/** Zeroes the GEMM counters. */
export function resetBlasStats(): void {
  stats.calls = 0;
  stats.flops = 0;
  stats.ms = 0;
}

/**
 * Opens OpenBLAS once. Returns the path it was loaded from, or throws an error saying why it is
 * unavailable (no library, or no `--allow-ffi`).
 */
export function loadOpenBlas(): string {
  if (library) return libraryPath;
  if (loadFailure) throw new Error(loadFailure);
  const reasons: string[] = [];
  const libraries = openBlasSetting();
  for (const path of libraries.value) {
    try {
      library = Deno.dlopen(path, SYMBOLS);
      libraryPath = path;
      return path;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        loadFailure = "OpenBLAS needs FFI permission (run deno with --allow-ffi or -A)";
        throw new Error(loadFailure);
      }
      reasons.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  // A library the user named is the only one tried: another OpenBLAS has other kernels.
  loadFailure = libraries.source === "default"
    ? `OpenBLAS not found (apt install libopenblas0 / brew install openblas, or set ` +
      `MEMESENSE_OPENBLAS to the library path); tried ${reasons.join("; ")}`
    : `OpenBLAS: MEMESENSE_OPENBLAS names a library that does not load: ${reasons.join("; ")}`;
  throw new Error(loadFailure);
}

/** Sets the number of OpenBLAS threads (process-wide); a no-op when the build lacks the call. */
export function setBlasThreads(n: number): void {
  loadOpenBlas();
  library!.symbols.openblas_set_num_threads?.(Math.max(1, Math.floor(n)));
}

/**
 * The CPU kernels OpenBLAS chose at load (`Haswell`, `SkylakeX`, `Zen`, …), or `"unknown"` when
 * the build does not say. Results depend on them (each kernel sums in its own order), and
 * `OPENBLAS_CORETYPE` in the environment overrides the choice.
 */
export function blasKernels(): string {
  loadOpenBlas();
  const name = library!.symbols.openblas_get_corename?.();
  return name ? Deno.UnsafePointerView.getCString(name) : "unknown";
}

/**
 * A note when OpenBLAS fell back to its generic x86-64 kernels (`Prescott`) on a CPU with AVX2,
 * else null. An OpenBLAS build older than the CPU model (Debian 12's 0.3.21 on a recent Xeon that
 * names itself only "Intel(R) Xeon(R) Processor") does not recognise it, and its GEMMs then run
 * at about half speed: a training epoch took 5.7 s against 3.1 s with `Haswell` kernels on such a
 * machine. Nothing is changed behind the user's back — the kernels decide the last bits of every
 * result, and a run records them — so the note says how to choose.
 */
export function blasKernelNote(): string | null {
  if (blasKernels() !== "Prescott" || Deno.build.os !== "linux") return null;
  let flags: string;
  try {
    flags = Deno.readTextFileSync("/proc/cpuinfo").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  } catch {
    return null;
  }
  if (!/\bavx2\b/.test(flags) || !/\bfma\b/.test(flags)) return null;
  return "OpenBLAS chose its generic Prescott kernels on a CPU with AVX2 (a CPU model this " +
    "OpenBLAS build does not know), so its matrix products run at about half speed; " +
    "OPENBLAS_CORETYPE=Haswell in the environment selects kernels for it (results then differ " +
    "in their last bits, as between machines)";
}

/** The number of OpenBLAS threads, or 1 when the build does not say. */
export function blasThreads(): number {
  loadOpenBlas();
  return library!.symbols.openblas_get_num_threads?.() ?? 1;
}

/**
 * Row-major single-precision GEMM: `C ← op(A)·op(B) + beta·C`, with `op(X) = Xᵀ` when the flag is
 * set. `A`, `B` and `C` may be subarrays; FFI passes the view's start. Shapes are the caller's
 * responsibility (`M×K`, `K×N`, `M×N` after the transposes, leading dimensions as stored).
 */
export function sgemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  beta: number,
  C: Float32Array,
): void {
  if (!library) loadOpenBlas();
  if (M === 0 || N === 0) return;
  if (K === 0) {
    // BLAS rejects lda = 0; the product of empty inner dimensions is zero.
    if (beta === 0) C.fill(0, 0, M * N);
    else for (let i = 0; i < M * N; i++) C[i] *= beta;
    return;
  }
  const t0 = performance.now();
  library!.symbols.cblas_sgemm(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    M,
    N,
    K,
    1,
    A as Float32Array<ArrayBuffer>,
    transA ? M : K,
    B as Float32Array<ArrayBuffer>,
    transB ? K : N,
    beta,
    C as Float32Array<ArrayBuffer>,
    N,
  );
  stats.ms += performance.now() - t0;
  stats.calls++;
  stats.flops += 2 * M * N * K;
}

// deno-lint-ignore no-explicit-any
type CpuBackend = any;

function valuesOf(backend: CpuBackend, t: tf.TensorInfo, role: string): Float32Array {
  if (t.dtype !== "float32") {
    throw new Error(`blas matMul: ${role} has dtype ${t.dtype}; only float32 is supported`);
  }
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * Batched matMul on the backend's own arrays: shapes `[...batch, M, K]` (or `[..., K, M]` when
 * transposed) by `[...batch, K, N]`; a batch of 1 broadcasts, as tfjs's op allows. `bias`, when it
 * is one row of length N, is preloaded into the output so BLAS adds it for free (beta = 1).
 */
function blasMatMul(
  backend: CpuBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  biasRow: Float32Array | null,
): tf.TensorInfo {
  const aVals = valuesOf(backend, a, "a");
  const bVals = valuesOf(backend, b, "b");
  const ar = a.shape.length;
  const br = b.shape.length;
  const M = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const KB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  const N = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  if (K !== KB) {
    throw new Error(
      `blas matMul: inner dimensions ${K} and ${KB} differ (shapes ${a.shape} and ${b.shape}, ` +
        `transposeA=${transposeA}, transposeB=${transposeB})`,
    );
  }
  const batchA = M * K === 0 ? 1 : aVals.length / (M * K);
  const batchB = K * N === 0 ? 1 : bVals.length / (K * N);
  const batch = Math.max(batchA, batchB);
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) {
    throw new Error(`blas matMul: batch dimensions of ${a.shape} and ${b.shape} do not broadcast`);
  }
  const out = new Float32Array(batch * M * N);
  if (biasRow) { for (let r = 0; r < batch * M; r++) out.set(biasRow, r * N); }
  for (let i = 0; i < batch; i++) {
    const ia = batchA === 1 ? 0 : i;
    const ib = batchB === 1 ? 0 : i;
    sgemm(
      transposeA,
      transposeB,
      M,
      N,
      K,
      aVals.subarray(ia * M * K, (ia + 1) * M * K),
      bVals.subarray(ib * K * N, (ib + 1) * K * N),
      biasRow ? 1 : 0,
      out.subarray(i * M * N, (i + 1) * M * N),
    );
  }
  const outer = batchA >= batchB ? a.shape.slice(0, ar - 2) : b.shape.slice(0, br - 2);
  return backend.makeTensorInfo([...outer, M, N], "float32", out);
}

function batchMatMulKernel(
  { inputs, backend, attrs }: {
    inputs: tf.NamedTensorInfoMap;
    backend: CpuBackend;
    attrs: tf.NamedAttrMap;
  },
): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  return blasMatMul(backend, a, b, transposeA, transposeB, null);
}

/** Activations of `_FusedMatMul` and the kernels that compute them. */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
  leakyrelu: "LeakyRelu",
  prelu: "Prelu",
};

function fusedMatMulKernel(
  { inputs, backend, attrs }: {
    inputs: tf.NamedTensorInfoMap;
    backend: CpuBackend;
    attrs: tf.NamedAttrMap;
  },
): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: tf.TensorInfo;
    b: tf.TensorInfo;
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as {
    transposeA: boolean;
    transposeB: boolean;
    activation: string;
    leakyreluAlpha: number;
  };
  const N = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  // A bias that is one row of the output is added by BLAS itself; other shapes broadcast via Add.
  const biasIsRow = bias !== undefined && bias.dtype === "float32" &&
    bias.shape.reduce((p, d) => p * d, 1) === N && bias.shape.slice(0, -1).every((d) => d === 1);
  let out = blasMatMul(
    backend,
    a,
    b,
    transposeA,
    transposeB,
    biasIsRow ? valuesOf(backend, bias!, "bias") : null,
  );
  if (bias && !biasIsRow) {
    const added = runKernel("Add", { a: out, b: bias }, backend, {});
    backend.disposeIntermediateTensorInfo(out);
    out = added;
  }
  if (activation === "relu") {
    // The output is this kernel's own fresh array: clamping it in place is safe.
    const v = backend.data.get(out.dataId).values as Float32Array;
    for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
  } else if (activation && activation !== "linear") {
    const name = ACTIVATION_KERNELS[activation];
    if (!name) throw new Error(`blas _FusedMatMul: unknown activation "${activation}"`);
    const extra = activation === "prelu" ? { alpha: preluActivationWeights! } : {};
    const activated = runKernel(
      name,
      { x: out, ...extra },
      backend,
      activation === "leakyrelu" ? { alpha: leakyreluAlpha } : {},
    );
    backend.disposeIntermediateTensorInfo(out);
    out = activated;
  }
  return out;
}

function runKernel(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  backend: CpuBackend,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, BLAS_BACKEND);
  if (!kernel) throw new Error(`blas backend: kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/**
 * The cpu backend's element-wise arithmetic goes through a generic per-element closure (and an
 * index computation when shapes broadcast): ~0.3 ms for a [16, 1024] product, a third of a
 * training step in all. These kernels run the head's cases — equal shapes, a scalar, a row or a
 * column broadcast over a matrix — as plain loops, and hand anything else to the cpu kernel.
 */
const BINARY_OPS = ["Add", "Sub", "Multiply", "RealDiv"] as const;
type BinaryOp = typeof BINARY_OPS[number];

/**
 * `out[r, c] = a[r·ar + c·ac] ∘ b[r·br + c·bc]` over an `R × C` output. One loop per operation
 * keeps each inner loop monomorphic (a shared `op` callback would not be inlined).
 */
function binaryLoop(
  op: BinaryOp,
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  R: number,
  C: number,
  [ar, ac]: [number, number],
  [br, bc]: [number, number],
): void {
  for (let r = 0; r < R; r++) {
    const ao = r * ar, bo = r * br, oo = r * C;
    switch (op) {
      case "Add":
        for (let c = 0; c < C; c++) out[oo + c] = a[ao + c * ac] + b[bo + c * bc];
        break;
      case "Sub":
        for (let c = 0; c < C; c++) out[oo + c] = a[ao + c * ac] - b[bo + c * bc];
        break;
      case "Multiply":
        for (let c = 0; c < C; c++) out[oo + c] = a[ao + c * ac] * b[bo + c * bc];
        break;
      case "RealDiv":
        for (let c = 0; c < C; c++) out[oo + c] = a[ao + c * ac] / b[bo + c * bc];
        break;
    }
  }
}

/** Strides that read a `[1|R, 1|C]`-broadcast operand as `[R, C]`, or null when it is not one. */
function matrixStrides(shape: number[], R: number, C: number): [number, number] | null {
  const s = shape.length === 1 ? [1, shape[0]] : shape.length === 0 ? [1, 1] : shape;
  if (s.length !== 2) return null;
  const [r, c] = s;
  if ((r !== 1 && r !== R) || (c !== 1 && c !== C)) return null;
  return [r === 1 ? 0 : c, c === 1 ? 0 : 1];
}

function fastBinaryKernel(op: BinaryOp): tf.KernelFunc {
  const fallback = tf.getKernel(op, "cpu")!.kernelFunc;
  return ((
    args: { inputs: tf.NamedTensorInfoMap; backend: CpuBackend; attrs: tf.NamedAttrMap },
  ) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = outShape.reduce((p, d) => p * d, 1);
    const C = outShape.length === 0 ? 1 : outShape[outShape.length - 1];
    const R = C === 0 ? 0 : size / C;
    let sa: [number, number] | null;
    let sb: [number, number] | null;
    if (outShape.length > 2) {
      // Beyond matrices only equal shapes take the fast loop.
      if (a.shape.join() !== b.shape.join()) return fallback(args);
      sa = sb = [C, 1];
    } else {
      sa = matrixStrides(a.shape, R, C);
      sb = matrixStrides(b.shape, R, C);
      if (!sa || !sb) return fallback(args);
    }
    const out = new Float32Array(size);
    const aVals = valuesOf(args.backend, a, "a");
    const bVals = valuesOf(args.backend, b, "b");
    binaryLoop(op, out, aVals, bVals, R, C, sa, sb);
    return args.backend.makeTensorInfo(outShape, "float32", out);
  }) as unknown as tf.KernelFunc;
}

let registered = false;

/**
 * Registers the `blas` tfjs backend: a fresh instance of the `cpu` backend with all of its kernels,
 * `BatchMatMul` and `_FusedMatMul` replaced by the OpenBLAS ones. Throws (with the reason) when
 * OpenBLAS cannot be loaded. Idempotent.
 */
export function registerBlasBackend(): void {
  if (registered) return;
  loadOpenBlas();
  // One thread unless asked otherwise (see DEFAULT_BLAS_THREADS): equal seeds give equal bits.
  setBlasThreads(blasThreadsSetting().value);
  const cpuFactory = tf.findBackendFactory("cpu");
  if (!cpuFactory) throw new Error("blas backend: tfjs's cpu backend is not registered");
  // Priority 0: tfjs never picks it on its own; the suite selects backends explicitly.
  tf.registerBackend(BLAS_BACKEND, cpuFactory as () => tf.KernelBackend, 0);
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (config.kernelName === "BatchMatMul" || config.kernelName === "_FusedMatMul") continue;
    if ((BINARY_OPS as readonly string[]).includes(config.kernelName)) continue;
    tf.registerKernel({ ...config, backendName: BLAS_BACKEND });
  }
  for (const op of BINARY_OPS) {
    tf.registerKernel({
      kernelName: op,
      backendName: BLAS_BACKEND,
      kernelFunc: fastBinaryKernel(op),
    });
  }
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: BLAS_BACKEND,
    kernelFunc: batchMatMulKernel as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: "_FusedMatMul",
    backendName: BLAS_BACKEND,
    kernelFunc: fusedMatMulKernel as unknown as tf.KernelFunc,
  });
  registered = true;
}
