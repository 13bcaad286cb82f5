/**
 * Every `MEMESENSE_*` environment variable, read and checked in this one place. A setting is
 * resolved once, flag first, then its variable, then its default; what ran is recorded.
 *
 * The variables, their values and defaults are listed once, in
 * {@linkcode ENVIRONMENT_VARIABLES}; the README's table is {@linkcode environmentTable}'s output.
 *
 * ```ts
 * import { readEnvironment } from "./mod.ts";
 * const env = readEnvironment((name: string) => name === "MEMESENSE_DEVICE" ? "cuda" : undefined);
 * console.log(env.device, env.offline); // "cuda" false
 * ```
 *
 * @module
 */
import { SettingError } from "./errors.ts";
import { TASK_NAMES, type TaskName } from "./tasks.ts";

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

/** The dataset the notebooks' image-dependent steps run on. */
export type DataSource = "pridemm" | "synthetic";
/** Every data source. */
export const DATA_SOURCES: readonly DataSource[] = ["pridemm", "synthetic"];

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
  /** `MEMESENSE_DATA`. */
  readonly data?: DataSource;
  /** `MEMESENSE_TASK`. */
  readonly task?: TaskName;
  /** `MEMESENSE_RESULTS`. */
  readonly results?: string;
  /** `MEMESENSE_CHROMIUM`. */
  readonly chromium?: string;
  /** `MEMESENSE_OPENBLAS`. */
  readonly openblas?: string;
  /** `MEMESENSE_BLAS_THREADS`. */
  readonly blasThreads?: number;
}

/** One `MEMESENSE_*` variable: what it holds and what applies when it is unset. */
export interface EnvironmentVariable {
  /** The variable's name. */
  readonly name: string;
  /** What it holds (markdown). */
  readonly values: string;
  /** What applies when it is unset (markdown). */
  readonly default: string;
}

/** Every variable the suite reads, in the order of {@linkcode Environment}'s fields. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  {
    name: "MEMESENSE_CLIP_MODEL",
    values: "Hugging Face id, local model directory, or `tiny` (the generated test model)",
    default: "`Xenova/clip-vit-large-patch14` (notebooks: `tiny` when offline)",
  },
  {
    name: "MEMESENSE_OFFLINE",
    values: "`1` or `true`: never download; `0` or `false`: downloads allowed",
    default: "downloads allowed",
  },
  {
    name: "MEMESENSE_CACHE",
    values: "cache root: models, feature stores, the synthetic set",
    default: "`<repo>/.cache`",
  },
  {
    name: "MEMESENSE_DEVICE",
    values: "where CLIP runs: `cpu`, `cuda`, `auto`",
    default: "`cpu`",
  },
  {
    name: "MEMESENSE_BACKEND",
    values: "training backend: `auto`, `tfjs-node-gpu`, `tfjs-node`, `blas`, `wasm`, `cpu`",
    default: "`auto`",
  },
  {
    name: "MEMESENSE_PRIDEMM_CSV",
    values: "the PrideMM annotations",
    default: "`data/PrideMM/PrideMM.csv`, then `../shared/data/PrideMM.csv`",
  },
  {
    name: "MEMESENSE_PRIDEMM_IMAGES",
    values: "PrideMM's image directory (notebooks)",
    default: "`Images/` beside the CSV",
  },
  {
    name: "MEMESENSE_DATA",
    values: "the notebooks' dataset: `pridemm` or `synthetic`",
    default: "`synthetic` offline or without PrideMM images, else `pridemm`",
  },
  {
    name: "MEMESENSE_TASK",
    values: "the task notebooks train: `hate`, `target`, `stance`, `humour`",
    default: "`hate` on PrideMM, `stance` on the synthetic set",
  },
  {
    name: "MEMESENSE_RESULTS",
    values: "the results root notebooks read runs from",
    default: "`<repo>/results`",
  },
  {
    name: "MEMESENSE_CHROMIUM",
    values: "a Chromium or Chrome executable (report screenshots)",
    default: "the first on `PATH`",
  },
  {
    name: "MEMESENSE_OPENBLAS",
    values: "the OpenBLAS shared library (`blas` backend)",
    default: "`libopenblas.so.0` and platform names",
  },
  {
    name: "MEMESENSE_BLAS_THREADS",
    values: "OpenBLAS threads per process, an integer ≥ 1",
    default: "`1`",
  },
];

/** {@linkcode ENVIRONMENT_VARIABLES} as a markdown table (the README's). */
export function environmentTable(): string {
  return [
    "| variable | values | default |",
    "|---|---|---|",
    ...ENVIRONMENT_VARIABLES.map((v) => `| \`${v.name}\` | ${v.values} | ${v.default} |`),
  ].join("\n");
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
    data: choice("MEMESENSE_DATA", DATA_SOURCES),
    task: choice("MEMESENSE_TASK", TASK_NAMES),
    results: text("MEMESENSE_RESULTS"),
    chromium: text("MEMESENSE_CHROMIUM"),
    openblas: text("MEMESENSE_OPENBLAS"),
    blasThreads: threads === undefined ? undefined : Number(threads),
  };
}
