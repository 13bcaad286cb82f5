/**
 * Every setting of the suite, each resolved by one `…Setting()` function here: its flag (or the
 * option a caller passes), else its `MEMESENSE_*` variable, else its default. Each returns the
 * value with where it came from; no other file reads those variables or computes those defaults.
 * The table of variables ({@linkcode ENVIRONMENT_VARIABLES}, the README's) is generated from the
 * same constants the resolvers use.
 *
 * ```ts
 * import { backendSetting, readEnvironment } from "./mod.ts";
 * const env = readEnvironment((name: string) => name === "MEMESENSE_BACKEND" ? "wasm" : undefined);
 * console.log(backendSetting(undefined, env)); // { value: "wasm", source: "environment" }
 * console.log(backendSetting("auto", env)); // { value: "auto", source: "flag" }: a flag always wins
 * ```
 *
 * @module
 */
import { basename, dirname, join, relative } from "node:path";
import { exists, REPO_ROOT } from "../util/mod.ts";
import { CONFIG_FLAGS, configFlagField } from "./flags.ts";
import {
  type ConfigOverrides,
  DEFAULT_CLIP_MODEL,
  DEFAULT_CONFIG,
  makeConfig,
  type MemeSenseConfig,
} from "./config.ts";
import {
  BACKEND_CHOICES,
  type BackendName,
  CLIP_DEVICES,
  type ClipDevice,
  type Environment,
  readEnvironment,
} from "./env.ts";
import { ConfigError, SettingError } from "./errors.ts";

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/**
 * Where a setting's value came from: `flag` (a script's flag, or the option a caller passed),
 * `environment` (its `MEMESENSE_*` variable) or `default`.
 */
export type SettingSource = "flag" | "environment" | "default";

/** A resolved setting: its value and where the value came from. */
export interface Resolved<T> {
  /** The value the setting has. */
  readonly value: T;
  /** Where it came from. */
  readonly source: SettingSource;
}

/** Flag, else environment, else the default (computed only when it applies). */
function resolved<T>(given: T | undefined, fromEnv: T | undefined, fallback: () => T): Resolved<T> {
  if (given !== undefined) return { value: given, source: "flag" };
  if (fromEnv !== undefined) return { value: fromEnv, source: "environment" };
  return { value: fallback(), source: "default" };
}

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------

/** Downloads are allowed unless a flag or `MEMESENSE_OFFLINE` forbids them. */
export const DEFAULT_OFFLINE = false;

/**
 * The CLIP model the notebooks use offline when none is named: ViT-L/14 could not be downloaded,
 * so the generated tiny model stands in.
 */
export const NOTEBOOK_OFFLINE_CLIP_MODEL = "tiny";

/** The cache root: models, feature stores, the synthetic set. */
export const DEFAULT_CACHE_DIR: string = `${REPO_ROOT}/.cache`;

/** Where CLIP runs when nothing says otherwise. */
export const DEFAULT_CLIP_DEVICE: ClipDevice = "cpu";

/** The training backend when nothing says otherwise: the best that starts. */
export const DEFAULT_BACKEND: BackendName | "auto" = "auto";

/** Where datasets live by default, one folder each: `<repo>/data/`. */
export const DATA_ROOT: string = join(REPO_ROOT, "data");

/** Where `fetch-data` puts the dataset: `<repo>/data/PrideMM`. */
export const DEFAULT_DATA_DIR: string = join(DATA_ROOT, "PrideMM");

/**
 * Where a dataset's data goes by default: `<repo>/data/<name>` (PrideMM: `data/PrideMM`; the
 * generated meme set, `synthetic`: `<cache>/synthetic`).
 */
export function defaultDatasetRoot(name: string): string {
  if (name === "synthetic") return join(cacheSetting().value, "synthetic");
  return name === "pridemm" ? DEFAULT_DATA_DIR : join(DATA_ROOT, name);
}

/**
 * Where the PrideMM CSV is looked for, in order, when neither a flag nor `MEMESENSE_PRIDEMM_CSV`
 * names one: `fetch-data`'s folder, then a shared copy beside the repository.
 */
export const PRIDEMM_CSV_CANDIDATES: readonly string[] = [
  join(DEFAULT_DATA_DIR, "PrideMM.csv"),
  join(REPO_ROOT, "..", "shared", "data", "PrideMM.csv"),
];

/** The name of PrideMM's image folder, beside its CSV. */
export const PRIDEMM_IMAGES_FOLDER = "Images";

/** The dataset the scripts use when neither `--dataset` nor `MEMESENSE_DATASET` names one. */
export const DEFAULT_DATASET = "pridemm";

/** The dataset the offline demo uses when neither `--dataset` nor `MEMESENSE_DATASET` names one. */
export const DEMO_DATASET = "synthetic";

/**
 * The task the notebooks train when `MEMESENSE_TASK` is unset, per dataset: `hate` on PrideMM;
 * `stance` on the synthetic set, whose hate label (a background colour) is learnt perfectly
 * within one epoch and so makes flat curves; on other datasets their first task.
 */
export const NOTEBOOK_TASKS: Readonly<Record<string, string>> = {
  pridemm: "hate",
  synthetic: "stance",
};

/** The results root: each run gets `<root>/<timestamp>-<name>/`. */
export const RESULTS_ROOT: string = `${REPO_ROOT}/results`;

/**
 * Chromium or Chrome executables, in the order they are looked for: names on `PATH`, then macOS
 * application bundles.
 */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/**
 * OpenBLAS libraries tried in order, per platform: the names Debian/Ubuntu
 * (`apt install libopenblas0`) and Homebrew (`brew install openblas`) install.
 */
export const OPENBLAS_LIBRARIES: Readonly<Record<"linux" | "darwin" | "windows", string[]>> = {
  linux: ["libopenblas.so.0", "libopenblas.so"],
  darwin: [
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
    "libopenblas.dylib",
  ],
  windows: ["libopenblas.dll", "openblas.dll"],
};

/**
 * OpenBLAS threads per process. One: batch-16 GEMMs gain little from a second thread, parallel
 * runs use one core each, and OpenBLAS's results depend (in the last bits) on how a product is
 * split across threads — with one thread everywhere, equal seeds give equal bits.
 */
export const DEFAULT_BLAS_THREADS = 1;

// ---------------------------------------------------------------------------------------------
// The resolvers, one per setting
// ---------------------------------------------------------------------------------------------

/** Options of {@linkcode clipModelSetting}. */
export interface ClipModelDefaults {
  /** The default when neither flag nor variable names a model (default ViT-L/14). */
  readonly default?: string;
  /** The notebooks offline: the default is the tiny model ({@linkcode NOTEBOOK_OFFLINE_CLIP_MODEL}). */
  readonly notebookOffline?: boolean;
}

/** The CLIP model: `given` (`--model`), else `MEMESENSE_CLIP_MODEL`, else ViT-L/14. */
export function clipModelSetting(
  given?: string,
  env: Environment = readEnvironment(),
  defaults: ClipModelDefaults = {},
): Resolved<string> {
  return resolved(
    given,
    env.clipModel,
    () =>
      defaults.notebookOffline
        ? NOTEBOOK_OFFLINE_CLIP_MODEL
        : defaults.default ?? DEFAULT_CLIP_MODEL,
  );
}

/** Whether downloads are forbidden: `given` (`--offline`), else `MEMESENSE_OFFLINE`, else false. */
export function offlineSetting(
  given?: boolean,
  env: Environment = readEnvironment(),
): Resolved<boolean> {
  return resolved(given, env.offline, () => DEFAULT_OFFLINE);
}

/** The cache root: `given` (`--cache`), else `MEMESENSE_CACHE`, else `<repo>/.cache`. */
export function cacheSetting(
  given?: string,
  env: Environment = readEnvironment(),
): Resolved<string> {
  return resolved(given, env.cache, () => DEFAULT_CACHE_DIR);
}

/** Where CLIP runs: `given` (`--device`), else `MEMESENSE_DEVICE`, else `cpu`. */
export function deviceSetting(
  given?: ClipDevice,
  env: Environment = readEnvironment(),
): Resolved<ClipDevice> {
  return resolved(given, env.device, () => DEFAULT_CLIP_DEVICE);
}

/**
 * The training backend: `given` (`--backend`), else `MEMESENSE_BACKEND`, else `auto`. A flag always
 * wins, `--backend auto` included: it asks for the best backend whatever the environment says.
 */
export function backendSetting(
  given?: BackendName | "auto",
  env: Environment = readEnvironment(),
): Resolved<BackendName | "auto"> {
  return resolved(given, env.backend, () => DEFAULT_BACKEND);
}

/** Options of {@linkcode pridemmCsvSetting}. */
export interface PrideMMCsvOptions {
  /**
   * Only a default with its images (`Images/` beside the CSV) counts: for the scripts, which need
   * the whole dataset and download it when there is none.
   */
  readonly withImages?: boolean;
}

/**
 * The PrideMM annotations: `given` (`--data`), else `MEMESENSE_PRIDEMM_CSV` (as given, so a wrong
 * path fails loudly instead of falling back), else the first of {@linkcode PRIDEMM_CSV_CANDIDATES}
 * that exists; `null` when there is none.
 */
export function pridemmCsvSetting(
  given?: string,
  env: Environment = readEnvironment(),
  options: PrideMMCsvOptions = {},
): Resolved<string | null> {
  return resolved<string | null>(given, env.pridemmCsv, () => {
    for (const csv of PRIDEMM_CSV_CANDIDATES) {
      if (!isFileSync(csv)) continue;
      if (options.withImages && !isDirectorySync(imagesBeside(csv))) continue;
      return csv;
    }
    return null;
  });
}

/** PrideMM's images folder in its layout: `Images/` beside the CSV. */
export function imagesBeside(csv: string): string {
  return join(dirname(csv), PRIDEMM_IMAGES_FOLDER);
}

/**
 * PrideMM's image folder: `given` (`--images`), else `MEMESENSE_PRIDEMM_IMAGES`, else `Images/`
 * beside `csv`.
 */
export function pridemmImagesSetting(
  given: string | undefined,
  env: Environment = readEnvironment(),
  context: { readonly csv: string },
): Resolved<string> {
  return resolved(given, env.pridemmImages, () => imagesBeside(context.csv));
}

/**
 * A dataset's folder (`--data` for every dataset but PrideMM, whose CSV is
 * {@linkcode pridemmCsvSetting}'s): `given`, else `MEMESENSE_DATA_DIR`, else `data/<name>/`
 * ({@linkcode defaultDatasetRoot}). The generated set, `synthetic`, ignores the variable: its
 * folder is the cache's unless a flag names one.
 */
export function dataDirSetting(
  given: string | undefined,
  env: Environment = readEnvironment(),
  context: { readonly dataset: string },
): Resolved<string> {
  const fromEnv = context.dataset === "synthetic" ? undefined : env.dataDir;
  return resolved(given, fromEnv, () => defaultDatasetRoot(context.dataset));
}

/** A dataset setting with the reason for it, in words. */
export interface ResolvedDataset extends Resolved<string> {
  /** Why the dataset is what it is, e.g. `no PrideMM images in …`. */
  readonly reason: string;
}

/** What decides the notebooks' default dataset. */
export interface NotebookDatasetContext {
  /** Downloads forbidden ({@linkcode offlineSetting}). */
  readonly offline: boolean;
  /** The PrideMM annotations found ({@linkcode pridemmCsvSetting}), or null. */
  readonly pridemmCsv: string | null;
  /** Their image folder ({@linkcode pridemmImagesSetting}), or null without annotations. */
  readonly pridemmImages: string | null;
}

/**
 * The dataset: `given` (`--dataset`), else `MEMESENSE_DATASET`, else the default — a preset's
 * name or a description file (`.json`), checked when it is loaded. The default is `pridemm` for
 * the scripts ({@linkcode DEFAULT_DATASET}), `options.default` where a script has its own (the
 * demo: {@linkcode DEMO_DATASET}), and for the notebooks (`options.notebooks`) `synthetic`
 * offline or without PrideMM images, else `pridemm`.
 */
export function datasetSetting(
  given: string | undefined,
  env: Environment = readEnvironment(),
  options: { readonly default?: string; readonly notebooks?: NotebookDatasetContext } = {},
): ResolvedDataset {
  const fallback = () =>
    options.notebooks !== undefined
      ? notebookDataDefault(options.notebooks)
      : { value: options.default ?? DEFAULT_DATASET, reason: "the default" };
  const r = resolved(given, env.dataset, () => fallback().value);
  if (r.source === "default") return { ...r, reason: fallback().reason };
  return {
    ...r,
    reason: r.source === "flag" ? `--dataset ${r.value}` : `MEMESENSE_DATASET=${r.value}`,
  };
}

function notebookDataDefault(c: NotebookDatasetContext): { value: string; reason: string } {
  if (c.offline) return { value: "synthetic", reason: "offline (MEMESENSE_OFFLINE=1)" };
  if (!c.pridemmCsv) return { value: "synthetic", reason: "no PrideMM.csv found" };
  if (!hasFiles(c.pridemmImages!)) {
    return { value: "synthetic", reason: `no PrideMM images in ${c.pridemmImages}` };
  }
  return { value: "pridemm", reason: "PrideMM annotations and images found" };
}

/**
 * The task the notebooks train: `given`, else `MEMESENSE_TASK`, else the dataset's
 * ({@linkcode NOTEBOOK_TASKS}, else its first task). A task the dataset does not have is a
 * {@linkcode SettingError} naming the variable (or `task`, for `given`) and the dataset's tasks.
 */
export function taskSetting(
  given: string | undefined,
  env: Environment = readEnvironment(),
  context: { readonly dataset: string; readonly tasks: readonly string[] },
): Resolved<string> {
  const r = resolved(given, env.task, () => {
    const preferred = NOTEBOOK_TASKS[context.dataset];
    return preferred !== undefined && context.tasks.includes(preferred)
      ? preferred
      : context.tasks[0];
  });
  if (!context.tasks.includes(r.value)) {
    throw new SettingError(
      r.source === "environment" ? "MEMESENSE_TASK" : "task",
      r.value,
      `one of ${context.dataset}'s tasks: ${context.tasks.join(", ")}`,
    );
  }
  return r;
}

/** The results root runs are read from: `given`, else `MEMESENSE_RESULTS`, else `<repo>/results`. */
export function resultsRootSetting(
  given?: string,
  env: Environment = readEnvironment(),
): Resolved<string> {
  return resolved(given, env.results, () => RESULTS_ROOT);
}

/**
 * A Chromium or Chrome executable: `given`, else `MEMESENSE_CHROMIUM`, else the first of
 * {@linkcode CHROMIUM_CANDIDATES} on `PATH` (or at its absolute path). The value is null when the
 * one named is not a file, or when none is found.
 */
export async function chromiumSetting(
  given?: string,
  env: Environment = readEnvironment(),
  path: string = Deno.env.get("PATH") ?? "",
): Promise<Resolved<string | null>> {
  const named = resolved<string | null>(given, env.chromium, () => null);
  if (named.source !== "default") {
    return { ...named, value: (await isFile(named.value!)) ? named.value : null };
  }
  const dirs = path.split(":").filter((d) => d !== "");
  for (const candidate of CHROMIUM_CANDIDATES) {
    const places = candidate.startsWith("/") ? [candidate] : dirs.map((d) => `${d}/${candidate}`);
    for (const place of places) if (await isFile(place)) return { value: place, source: "default" };
  }
  return named;
}

/**
 * The OpenBLAS libraries to try, in order: `[given]` (no option exists yet), else
 * `[MEMESENSE_OPENBLAS]`, else this platform's {@linkcode OPENBLAS_LIBRARIES}. A library that is
 * named is the only one tried: a wrong path is an error, never a silent fall back to another
 * OpenBLAS with other kernels.
 */
export function openBlasSetting(
  given?: string,
  env: Environment = readEnvironment(),
  os: typeof Deno.build.os = Deno.build.os,
): Resolved<readonly string[]> {
  const named = resolved<string | undefined>(given, env.openblas, () => undefined);
  if (named.value !== undefined) return { value: [named.value], source: named.source };
  const platform = os === "darwin" || os === "windows" ? os : "linux";
  return { value: OPENBLAS_LIBRARIES[platform], source: "default" };
}

/** OpenBLAS threads per process: `given`, else `MEMESENSE_BLAS_THREADS`, else 1. */
export function blasThreadsSetting(
  given?: number,
  env: Environment = readEnvironment(),
): Resolved<number> {
  return resolved(given, env.blasThreads, () => DEFAULT_BLAS_THREADS);
}

// ---------------------------------------------------------------------------------------------
// A run's settings
// ---------------------------------------------------------------------------------------------

/**
 * The config a run uses: each field from its flag, else (for the CLIP model) from
 * `MEMESENSE_CLIP_MODEL` ({@linkcode clipModelSetting}), else from `base`. A bad value throws
 * {@linkcode SettingError} naming the flag (`--ratio 1.5: expected a number in [0, 1]`), or the
 * variable when it came from one.
 */
export function configFromFlags(
  flags: Partial<Record<string, unknown>>,
  base: MemeSenseConfig = DEFAULT_CONFIG,
  env: Environment = readEnvironment(),
): MemeSenseConfig {
  return configAndModel(flags, base, env).config;
}

/** {@linkcode configFromFlags}, and the CLIP model's setting as it was resolved. */
function configAndModel(
  flags: Partial<Record<string, unknown>>,
  base: MemeSenseConfig,
  env: Environment,
): { config: MemeSenseConfig; model: Resolved<string> } {
  const overrides: Record<string, Record<string, unknown>> = { clip: {}, head: {}, train: {} };
  for (const f of CONFIG_FLAGS) {
    const [section, field] = configFlagField(f.name);
    if (flags[f.name] !== undefined) overrides[section][field] = flags[f.name];
  }
  const model = clipModelSetting(flags.model as string | undefined, env, {
    default: base.clip.model,
  });
  overrides.clip.model = model.value;
  try {
    return { config: makeConfig(overrides as ConfigOverrides, base), model };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const field = e.field.replace(/\[\d+\]$/, "");
    const f = CONFIG_FLAGS.find((f) => configFlagField(f.name).join(".") === field);
    if (f && flags[f.name] !== undefined) {
      throw new SettingError(`--${f.name}`, flags[f.name], e.expected);
    }
    if (field === "clip.model" && model.source === "environment") {
      throw new SettingError("MEMESENSE_CLIP_MODEL", model.value, e.expected);
    }
    throw e;
  }
}

/** The flags {@linkcode resolveRunSettings} reads (config flags are read too). */
export interface RunFlags {
  /** `--offline`. */
  readonly offline?: boolean;
  /** `--backend`. */
  readonly backend?: BackendName | "auto";
  /** `--workers`. */
  readonly workers?: number;
  /** Any config flag (see `CONFIG_FLAGS`). */
  readonly [flag: string]: unknown;
}

/** What a run uses, every field resolved. */
export interface RunSettings {
  /** The experiment config, CLIP model included. */
  readonly config: MemeSenseConfig;
  /** Downloads forbidden ({@linkcode offlineSetting}). */
  readonly offline: boolean;
  /** Training backend ({@linkcode backendSetting}). */
  readonly backend: BackendName | "auto";
  /** Parallel training workers (`--workers`, an integer ≥ 1); undefined = one per core. */
  readonly workers?: number;
  /**
   * The settings above that a flag, a variable or a default gives, each with where its value came
   * from: what a run records.
   */
  readonly resolved: {
    /** The CLIP model ({@linkcode clipModelSetting}; the base config's when neither names one). */
    readonly model: Resolved<string>;
    /** {@linkcode offlineSetting}. */
    readonly offline: Resolved<boolean>;
    /** {@linkcode backendSetting}. */
    readonly backend: Resolved<BackendName | "auto">;
  };
}

/** Options of {@linkcode resolveRunSettings}. */
export interface ResolveOptions {
  /** The config flags start from (default: the reference config). */
  readonly base?: MemeSenseConfig;
  /** The environment (default: {@linkcode readEnvironment}). */
  readonly env?: Environment;
}

/**
 * Resolves a run's settings: flag → environment → default. Throws a {@linkcode SettingError}
 * naming the flag or variable, its value and what is allowed.
 */
export function resolveRunSettings(flags: RunFlags, options: ResolveOptions = {}): RunSettings {
  const env = options.env ?? readEnvironment();
  const { config, model } = configAndModel(flags, options.base ?? DEFAULT_CONFIG, env);
  if (flags.workers !== undefined && !(Number.isInteger(flags.workers) && flags.workers >= 1)) {
    throw new SettingError("--workers", flags.workers, "an integer ≥ 1");
  }
  const offline = offlineSetting(flags.offline, env);
  const backend = backendSetting(flags.backend, env);
  return {
    config,
    offline: offline.value,
    backend: backend.value,
    workers: flags.workers,
    resolved: { model, offline, backend },
  };
}

/**
 * Checks, before any work, that files can be created in `dir` (or, when it does not exist yet,
 * in its nearest existing ancestor, where it would be created). Leaves nothing behind. Throws a
 * {@linkcode SettingError} naming `setting` (e.g. `--out`), the folder and the reason.
 */
export async function assertWritableDir(dir: string, setting: string): Promise<void> {
  let probe = dir;
  while (!(await exists(probe))) {
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  let tmp: string | undefined;
  try {
    tmp = await Deno.makeTempFile({ dir: probe, prefix: ".memesense-write-check-" });
  } catch (e) {
    const why =
      e instanceof Deno.errors.NotADirectory || (e as Error).message.includes("Not a directory")
        ? `${probe} is not a folder`
        : `${probe} is not writable (${(e as Error).name})`;
    throw new SettingError(setting, dir, `a folder where files can be created; ${why}`);
  } finally {
    if (tmp) await Deno.remove(tmp).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The table of variables
// ---------------------------------------------------------------------------------------------

/** One `MEMESENSE_*` variable: what it holds and what applies when it is unset. */
export interface EnvironmentVariable {
  /** The variable's name. */
  readonly name: string;
  /** The script flag that beats it, where there is one (e.g. `--backend`). */
  readonly flag?: string;
  /** The function that resolves the setting (e.g. `backendSetting`). */
  readonly resolver: string;
  /** What it holds (markdown). */
  readonly values: string;
  /** What applies when it is unset (markdown), written from the resolver's own constants. */
  readonly default: string;
}

const code = (s: string | number | boolean) => `\`${s}\``;
const codes = (list: readonly (string | number)[]) => list.map(code).join(", ");
const inRepo = (path: string) => {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith("..") ? rel : `<repo>/${rel}`;
};
const fromRepo = (path: string) => relative(REPO_ROOT, path);

/** Every variable the suite reads, in the order of {@linkcode Environment}'s fields. */
export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  {
    name: "MEMESENSE_CLIP_MODEL",
    flag: "--model",
    resolver: "clipModelSetting",
    values: `Hugging Face id, local model directory, or ${code("tiny")} (the generated test model)`,
    default: `${code(DEFAULT_CLIP_MODEL)} (notebooks: ${
      code(NOTEBOOK_OFFLINE_CLIP_MODEL)
    } when offline)`,
  },
  {
    name: "MEMESENSE_OFFLINE",
    flag: "--offline",
    resolver: "offlineSetting",
    values: "`1` or `true`: never download; `0` or `false`: downloads allowed",
    default: DEFAULT_OFFLINE ? "never download" : "downloads allowed",
  },
  {
    name: "MEMESENSE_CACHE",
    flag: "--cache",
    resolver: "cacheSetting",
    values: "cache root: models, feature stores, the synthetic set",
    default: code(inRepo(DEFAULT_CACHE_DIR)),
  },
  {
    name: "MEMESENSE_DEVICE",
    flag: "--device",
    resolver: "deviceSetting",
    values: `where CLIP runs: ${codes(CLIP_DEVICES)}`,
    default: code(DEFAULT_CLIP_DEVICE),
  },
  {
    name: "MEMESENSE_BACKEND",
    flag: "--backend",
    resolver: "backendSetting",
    values: `training backend: ${codes(BACKEND_CHOICES)}`,
    default: code(DEFAULT_BACKEND),
  },
  {
    name: "MEMESENSE_PRIDEMM_CSV",
    flag: "--data",
    resolver: "pridemmCsvSetting",
    values: "PrideMM's annotations (`--data` with `--dataset pridemm`)",
    default: `the first that exists of ${
      PRIDEMM_CSV_CANDIDATES.map((p) => code(fromRepo(p))).join(", then ")
    } (scripts: with its images, else downloaded)`,
  },
  {
    name: "MEMESENSE_PRIDEMM_IMAGES",
    flag: "--images",
    resolver: "pridemmImagesSetting",
    values: "PrideMM's image folder",
    default: `${code(`${PRIDEMM_IMAGES_FOLDER}/`)} beside the CSV`,
  },
  {
    name: "MEMESENSE_DATASET",
    flag: "--dataset",
    resolver: "datasetSetting",
    values: "the dataset: a preset's name (`deno task datasets` lists them) or a description " +
      "file (`.json`)",
    default: `${code(DEFAULT_DATASET)}; the demo: ${code(DEMO_DATASET)}; notebooks: ${
      code("synthetic")
    } offline or without PrideMM images, else ${code("pridemm")}`,
  },
  {
    name: "MEMESENSE_DATA_DIR",
    flag: "--data",
    resolver: "dataDirSetting",
    values: "a dataset's folder (every dataset but PrideMM, whose CSV is " +
      "`MEMESENSE_PRIDEMM_CSV`, and the generated set)",
    default: `${code("data/<name>/")} (the generated set: ${code("<cache>/synthetic")})`,
  },
  {
    name: "MEMESENSE_TASK",
    resolver: "taskSetting",
    values: "the task notebooks train: one of the dataset's tasks",
    default: `${code(NOTEBOOK_TASKS.pridemm)} on PrideMM, ${
      code(NOTEBOOK_TASKS.synthetic)
    } on the synthetic set, else the dataset's first task`,
  },
  {
    name: "MEMESENSE_RESULTS",
    flag: "--out",
    resolver: "resultsRootSetting",
    values:
      "the results root: the scripts write each run in a new folder there, notebooks read runs from it",
    default: code(inRepo(RESULTS_ROOT)),
  },
  {
    name: "MEMESENSE_CHROMIUM",
    resolver: "chromiumSetting",
    values: "a Chromium or Chrome executable (report screenshots)",
    default: `the first on \`PATH\` of ${
      codes(CHROMIUM_CANDIDATES.filter((c) => !c.startsWith("/")))
    }, then the macOS application bundles`,
  },
  {
    name: "MEMESENSE_OPENBLAS",
    resolver: "openBlasSetting",
    values: "the OpenBLAS shared library (`blas` backend); only it is tried",
    default: `the first that loads of ${codes(OPENBLAS_LIBRARIES.linux)} (Linux; Homebrew's ${
      code(basename(OPENBLAS_LIBRARIES.darwin[0]))
    } on macOS, ${code(OPENBLAS_LIBRARIES.windows[0])} on Windows)`,
  },
  {
    name: "MEMESENSE_BLAS_THREADS",
    resolver: "blasThreadsSetting",
    values: "OpenBLAS threads per process, an integer ≥ 1",
    default: code(DEFAULT_BLAS_THREADS),
  },
];

/** {@linkcode ENVIRONMENT_VARIABLES} as a markdown table (the README's). */
export function environmentTable(): string {
  return [
    "| variable | flag | values | default |",
    "|---|---|---|---|",
    ...ENVIRONMENT_VARIABLES.map((v) =>
      `| \`${v.name}\` | ${v.flag ? code(v.flag) : ""} | ${v.values} | ${v.default} |`
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// File checks of the defaults
// ---------------------------------------------------------------------------------------------

function isFileSync(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function isDirectorySync(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function hasFiles(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) if (e.isFile) return true;
  } catch {
    // absent or unreadable: no images
  }
  return false;
}
