/**
 * Every `MEMESENSE_*` environment variable, read and checked in this one place: a value that is
 * not allowed is a {@linkcode SettingError} naming the variable. What the variables resolve to
 * (flag first, then the variable, then the default) is decided in `settings.ts`, one `…Setting()`
 * function per setting, where the table of variables and their defaults is written too.
 *
 * ```ts
 * import { readEnvironment } from "./mod.ts";
 * const env = readEnvironment((name: string) => name === "MEMESENSE_DEVICE" ? "cuda" : undefined);
 * console.log(env.device, env.offline); // "cuda" undefined: an unset variable is undefined
 * ```
 *
 * @module
 */
import { SettingError } from "./errors.ts";

/** Where CLIP inference runs. `auto` = CUDA when onnxruntime-node's CUDA provider loads, else CPU. */
export type ClipDevice = "cpu" | "cuda" | "auto";
/** Every CLIP device, for flags and checks. */
export const CLIP_DEVICES: readonly ClipDevice[] = ["cpu", "cuda", "auto"];

/** A backend the suite can train on. */
export type BackendName = "tfjs-node-gpu" | "tfjs-node" | "blas" | "wasm" | "cpu";
/** Every backend, best first: the order `auto` tries them in. */
export const BACKEND_NAMES: readonly BackendName[] = [
  "tfjs-node-gpu",
  "tfjs-node",
  "blas",
  "wasm",
  "cpu",
];
/** What `--backend` and `MEMESENSE_BACKEND` accept: a backend, or `auto`. */
export const BACKEND_CHOICES: readonly (BackendName | "auto")[] = ["auto", ...BACKEND_NAMES];

/**
 * Variables that once held a setting now held by another: set, they are refused with the new
 * name, never silently ignored. `MEMESENSE_DATA` (the notebooks' `pridemm` or `synthetic`) is
 * `MEMESENSE_DATASET`.
 */
export const RETIRED_VARIABLES: Readonly<Record<string, string>> = {
  MEMESENSE_DATA: "MEMESENSE_DATASET",
};

/** The `MEMESENSE_*` variables as read: absent ones are `undefined` (their default applies). */
export interface Environment {
  /** `MEMESENSE_CLIP_MODEL`. */
  readonly clipModel?: string;
  /** `MEMESENSE_OFFLINE`: `true` forbids downloads; `undefined` when unset. */
  readonly offline?: boolean;
  /** `MEMESENSE_CACHE`. */
  readonly cache?: string;
  /** `MEMESENSE_DEVICE`. */
  readonly device?: ClipDevice;
  /** `MEMESENSE_BACKEND`. */
  readonly backend?: BackendName | "auto";
  /** `MEMESENSE_PRIDEMM_CSV`. */
  readonly pridemmCsv?: string;
  /** `MEMESENSE_PRIDEMM_IMAGES`. */
  readonly pridemmImages?: string;
  /** `MEMESENSE_DATASET`: a preset's name or a description file (checked when it is loaded). */
  readonly dataset?: string;
  /** `MEMESENSE_DATA_DIR`: the dataset's folder (datasets other than PrideMM). */
  readonly dataDir?: string;
  /** `MEMESENSE_TASK`: a task of the dataset (checked against the dataset's tasks). */
  readonly task?: string;
  /** `MEMESENSE_RESULTS`. */
  readonly results?: string;
  /** `MEMESENSE_CHROMIUM`. */
  readonly chromium?: string;
  /** `MEMESENSE_OPENBLAS`. */
  readonly openblas?: string;
  /** `MEMESENSE_BLAS_THREADS`. */
  readonly blasThreads?: number;
}

/** Reads one environment variable; `undefined` when unset. */
export type EnvReader = (name: string) => string | undefined;

const denoEnv: EnvReader = (name) => Deno.env.get(name);

/**
 * Reads and checks every `MEMESENSE_*` variable (see the module doc). An empty value counts as
 * unset. Throws {@linkcode SettingError} naming the variable, its value and what is allowed.
 */
export function readEnvironment(get: EnvReader = denoEnv): Environment {
  const text = (name: string): string | undefined => {
    const v = get(name);
    return v === undefined || v === "" ? undefined : v;
  };
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = text(name);
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) {
      throw new SettingError(name, v, `one of ${allowed.join(", ")}`);
    }
    return v as T | undefined;
  };
  const offline = text("MEMESENSE_OFFLINE");
  if (offline !== undefined && !["1", "0", "true", "false"].includes(offline)) {
    throw new SettingError("MEMESENSE_OFFLINE", offline, "1, 0, true or false");
  }
  for (const [former, now] of Object.entries(RETIRED_VARIABLES)) {
    const value = text(former);
    if (value !== undefined) {
      throw new SettingError(former, value, `nothing: the setting is now ${now} (${now}=${value})`);
    }
  }
  const threads = text("MEMESENSE_BLAS_THREADS");
  if (threads !== undefined && !(Number.isInteger(Number(threads)) && Number(threads) >= 1)) {
    throw new SettingError("MEMESENSE_BLAS_THREADS", threads, "an integer ≥ 1");
  }
  return {
    clipModel: text("MEMESENSE_CLIP_MODEL"),
    offline: offline === undefined ? undefined : offline === "1" || offline === "true",
    cache: text("MEMESENSE_CACHE"),
    device: choice("MEMESENSE_DEVICE", CLIP_DEVICES),
    backend: choice("MEMESENSE_BACKEND", BACKEND_CHOICES),
    pridemmCsv: text("MEMESENSE_PRIDEMM_CSV"),
    pridemmImages: text("MEMESENSE_PRIDEMM_IMAGES"),
    dataset: text("MEMESENSE_DATASET"),
    dataDir: text("MEMESENSE_DATA_DIR"),
    task: text("MEMESENSE_TASK"),
    results: text("MEMESENSE_RESULTS"),
    chromium: text("MEMESENSE_CHROMIUM"),
    openblas: text("MEMESENSE_OPENBLAS"),
    blasThreads: threads === undefined ? undefined : Number(threads),
  };
}
