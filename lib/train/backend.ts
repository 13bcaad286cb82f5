/**
 * Choosing the TensorFlow.js backend that trains the head, once per process, printed.
 *
 * Preference order, best first: `tfjs-node-gpu` and `tfjs-node` (native TensorFlow; optional — only
 * where the user has added the package to `deno.json`, never a dependency of the suite), `blas`
 * (tfjs's cpu backend with OpenBLAS matMul kernels, see `_blas_kernels.ts`), `wasm` (tfjs-wasm,
 * SIMD, single-threaded here), `cpu` (plain JavaScript; slow, always works).
 *
 * Override with `--backend <name>` in the scripts or `MEMESENSE_BACKEND=<name>` in the
 * environment (`backendSetting` in `lib/config`: a flag always wins, `--backend auto` included);
 * `auto` (the default) takes the first one that initialises.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BACKEND_NAMES, type BackendName, backendSetting } from "../config/mod.ts";
import {
  BLAS_BACKEND,
  blasKernelNote,
  blasKernels,
  blasThreads,
  loadOpenBlas,
  registerBlasBackend,
} from "./_blas_kernels.ts";

export { BACKEND_NAMES, type BackendName };

/** The tfjs backend name each of ours runs as (tfjs-node registers itself as `tensorflow`). */
const TFJS_NAME: Record<BackendName, string> = {
  "tfjs-node-gpu": "tensorflow",
  "tfjs-node": "tensorflow",
  blas: BLAS_BACKEND,
  wasm: "wasm",
  cpu: "cpu",
};

/** Thrown when a requested backend cannot be initialised; `reason` says why. */
export class BackendUnavailableError extends Error {
  /** Creates the error for `backend`. */
  constructor(readonly backend: string, readonly reason: string) {
    super(`backend ${backend} is unavailable: ${reason}`);
    this.name = "BackendUnavailableError";
  }
}

let active: BackendName | null = null;
let announced: BackendName | null = null;
const failures = new Map<BackendName, string>();

/** The backend selected by {@linkcode initBackend}, or null before the first call. */
export function activeBackend(): BackendName | null {
  return active;
}

/**
 * A one-line description of a backend for logs and run records (`blas (OpenBLAS …, Haswell
 * kernels, 1 thread)`): what decides the bits of its results besides the seed.
 */
export function describeBackend(name: BackendName): string {
  switch (name) {
    case "blas": {
      const threads = blasThreads();
      return `blas (tfjs cpu backend + OpenBLAS cblas_sgemm via FFI from ${loadOpenBlas()}, ` +
        `${blasKernels()} kernels, ${threads} thread${threads === 1 ? "" : "s"})`;
    }
    case "wasm":
      return "wasm (tfjs-backend-wasm, SIMD, 1 thread)";
    case "cpu":
      return "cpu (tfjs plain-JavaScript kernels; slow)";
    default:
      return `${name} (native TensorFlow)`;
  }
}

async function tryInit(name: BackendName): Promise<void> {
  const known = failures.get(name);
  if (known) throw new BackendUnavailableError(name, known);
  try {
    if (name === "tfjs-node" || name === "tfjs-node-gpu") {
      // A computed specifier keeps the optional package out of the static module graph: it is
      // resolved only here, at run time, through the user's import map.
      const specifier = `@tensorflow/${name}`;
      await import(specifier);
      if (!tf.findBackend("tensorflow") && !tf.findBackendFactory("tensorflow")) {
        throw new Error(
          `${specifier} loaded but registered no "tensorflow" backend with this tfjs`,
        );
      }
    } else if (name === "blas") {
      registerBlasBackend();
    } else if (name === "wasm") {
      await import("@tensorflow/tfjs-backend-wasm");
    }
    const ok = await tf.setBackend(TFJS_NAME[name]);
    if (!ok) throw new Error(`tf.setBackend("${TFJS_NAME[name]}") failed`);
    await tf.ready();
  } catch (e) {
    const reason = e instanceof BackendUnavailableError
      ? e.reason
      : (e as Error).message.split("\n")[0];
    failures.set(name, reason);
    throw new BackendUnavailableError(name, reason);
  }
}

/**
 * Selects and initialises a backend: the named one (throws {@linkcode BackendUnavailableError} if
 * it cannot start), or with `auto` the first of {@linkcode BACKEND_NAMES} that starts. Without a
 * name, `backendSetting()` decides: `$MEMESENSE_BACKEND`, else `auto`. A name given is never
 * overridden by the environment, `auto` included. Prints the choice to stderr the first time it
 * changes (`quiet` suppresses that). Cheap when the backend is already active.
 */
export async function initBackend(
  name: BackendName | "auto" = backendSetting().value,
  options: { quiet?: boolean } = {},
): Promise<BackendName> {
  tf.enableProdMode(); // skips tfjs's per-op NaN checks and its "install tfjs-node" notice
  if (name !== "auto") {
    if (active !== name || tf.getBackend() !== TFJS_NAME[name]) await tryInit(name);
    active = name;
  } else if (!active || tf.getBackend() !== TFJS_NAME[active]) {
    const skipped: string[] = [];
    for (const candidate of BACKEND_NAMES) {
      try {
        await tryInit(candidate);
        active = candidate;
        break;
      } catch (e) {
        skipped.push(`${candidate}: ${(e as BackendUnavailableError).reason}`);
      }
    }
    if (!active) throw new BackendUnavailableError("auto", skipped.join("; "));
  }
  if (!options.quiet && announced !== active) {
    console.error(`backend: ${describeBackend(active!)}`);
    const note = active === "blas" ? blasKernelNote() : null;
    if (note) console.error(`note: ${note}`);
  }
  announced = active;
  return active!;
}

/**
 * Which backends can start here, best first, each with the reason when it cannot. Initialising
 * is what tells, so this leaves the last one tried active; call {@linkcode initBackend} after it.
 */
export async function probeBackends(): Promise<{ name: BackendName; reason?: string }[]> {
  const out: { name: BackendName; reason?: string }[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      await tryInit(name);
      out.push({ name });
    } catch (e) {
      out.push({ name, reason: (e as BackendUnavailableError).reason });
    }
  }
  active = null;
  return out;
}
