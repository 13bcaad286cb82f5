/**
 * The settings of a run, resolved once from flags, then `MEMESENSE_*` variables, then defaults,
 * and checked before anything is created: what the run uses is what it records.
 *
 * @module
 */
import { DEFAULT_CLIP_MODEL, DEFAULT_CONFIG, type MemeSenseConfig } from "./config.ts";
import { configFromFlags } from "./cli.ts";
import { type BackendName, type ClipDevice, type Environment, readEnvironment } from "./env.ts";
import { SettingError } from "./errors.ts";

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
  /** Downloads forbidden: `--offline`, else `MEMESENSE_OFFLINE`, else false. */
  readonly offline: boolean;
  /** Training backend: `--backend`, else `MEMESENSE_BACKEND`, else `auto`. */
  readonly backend: BackendName | "auto";
  /** Parallel training workers (`--workers`, an integer ≥ 1); undefined = one per core. */
  readonly workers?: number;
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
  const config = configFromFlags(flags, options.base ?? DEFAULT_CONFIG, env);
  if (flags.workers !== undefined && !(Number.isInteger(flags.workers) && flags.workers >= 1)) {
    throw new SettingError("--workers", flags.workers, "an integer ≥ 1");
  }
  return {
    config,
    offline: offlineSetting(flags.offline, env),
    backend: flags.backend ?? env.backend ?? "auto",
    workers: flags.workers,
  };
}

/** The CLIP model: `given` (a flag or option), else `MEMESENSE_CLIP_MODEL`, else ViT-L/14. */
export function clipModelSetting(given?: string, env: Environment = readEnvironment()): string {
  return given ?? env.clipModel ?? DEFAULT_CLIP_MODEL;
}

/** Whether downloads are forbidden: `given`, else `MEMESENSE_OFFLINE`, else false. */
export function offlineSetting(given?: boolean, env: Environment = readEnvironment()): boolean {
  return given ?? env.offline ?? false;
}

/** Where CLIP runs: `given`, else `MEMESENSE_DEVICE`, else `cpu`. */
export function deviceSetting(
  given?: ClipDevice,
  env: Environment = readEnvironment(),
): ClipDevice {
  return given ?? env.device ?? "cpu";
}
