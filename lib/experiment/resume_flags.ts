/**
 * `--resume` in the scripts: the run's record makes the flags, every setting restored from its
 * `config.json`; a flag given with another value stops the script (exit status 2), except the
 * flags that only say how and where the work runs ({@linkcode RESUME_MAY_DIFFER}).
 *
 * @module
 */
import {
  CONFIG_FLAGS,
  type FlagSpec,
  type MemeSenseConfig,
  resolveRunSettings,
  resultsRootSetting,
  show,
} from "../config/mod.ts";
import { describeResume, resolveResume, ResumeError, type RunRecord } from "../run/mod.ts";
import { parseSeeds } from "./script_flags.ts";
import { SBATCH_FLAG_NAMES } from "./submit.ts";

/**
 * The flags that may differ from the record when a run is resumed: how and where the work runs
 * (workers, executor, shard and the Slurm options), where `latest` is looked for (`--out`), where
 * the cache is, whether downloads are allowed and how hard stored files are checked. Every other
 * setting is the run's, from its `config.json`.
 */
export const RESUME_MAY_DIFFER: readonly string[] = [
  "resume",
  "out",
  "cache",
  "workers",
  "executor",
  "shard",
  "shards",
  ...SBATCH_FLAG_NAMES,
  "offline",
  "verify",
  "help",
];

/** The `--help` lines that say what `--resume` takes from the run and which flags may differ. */
export function resumeHelp(specs: readonly FlagSpec[]): string {
  const names = new Set(specs.map((s) => s.name));
  const free = RESUME_MAY_DIFFER.filter((n) => n !== "resume" && n !== "help" && names.has(n));
  return "With --resume, every setting comes from the run's config.json: give no other flag, or " +
    "the same value. Only these may differ:\n  " + free.map((n) => `--${n}`).join(", ");
}

/** The names of the flags given in `args` (as `parseFlags` reads them; values skipped). */
export function givenFlagNames(args: readonly string[], specs: readonly FlagSpec[]): Set<string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const names = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    names.add(name);
    if (eq >= 0) continue;
    const spec = byName.get(name);
    if (spec?.type === "boolean") {
      if (args[i + 1] === "true" || args[i + 1] === "false") i++;
    } else i++;
  }
  return names;
}

/**
 * With `--resume`: finds the run (`latest`: the newest unfinished run named `name`) and makes
 * `flags` the run's own: every flag not given takes the value its `config.json` records (dataset,
 * data, images and CLIP model included), and a flag given with another value than the record's stops
 * the script with one line naming the flag and both values (exit status 2), unless it is one of
 * {@linkcode RESUME_MAY_DIFFER}. `latest` is replaced by the run directory, and the first line
 * says which run is resumed. Nothing to resume: one line, exit status 2.
 */
export async function resumeFromFlags(
  flags: Record<string, unknown> & {
    dataset?: string;
    data?: string;
    images?: string;
    model?: string;
    resume?: string;
    out?: string;
    cache?: string;
  },
  name: string,
  specs: readonly FlagSpec[] = [],
  args: readonly string[] = [],
): Promise<void> {
  if (flags.resume === undefined) return;
  try {
    const target = await resolveResume(flags.resume, {
      outRoot: resultsRootSetting(flags.out).value,
      name,
    }, {
      dataset: flags.dataset,
      data: flags.data,
      images: flags.images,
      model: flags.model,
    });
    const given = givenFlagNames(args, specs);
    restoreRecordedFlags(flags, target.runDir, target.record, given, specs);
    // The store is where the run recorded it unless --cache points elsewhere: a resume never
    // extracts the features again into another cache.
    if (!given.has("cache") && target.record.cache) flags.cache = target.record.cache;
    flags.dataset = target.dataset;
    flags.data = target.data;
    flags.images = target.images;
    flags.model = target.model;
    flags.resume = target.runDir;
    console.error(describeResume(target));
  } catch (e) {
    if (!(e instanceof ResumeError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}

/**
 * Sets each flag of `specs` not in `given` to the value the run recorded, and checks each given
 * one against it (see {@linkcode resumeFromFlags}); `--dataset`, `--data`, `--images` and
 * `--model` are checked by `resolveResume`. Throws {@linkcode ResumeError} for a given flag that differs.
 */
export function restoreRecordedFlags(
  flags: Record<string, unknown>,
  runDir: string,
  record: RunRecord,
  given: ReadonlySet<string>,
  specs: readonly FlagSpec[],
): void {
  const saved = (record as unknown as { flags?: Record<string, unknown> }).flags ?? {};
  const configFlags = new Set<string>(CONFIG_FLAGS.map((f) => f.name));
  const differs = (flag: string, value: unknown, was: unknown): never => {
    throw new ResumeError(
      `--${flag} ${show(value)} differs from the ${show(was)} that ${runDir} was started with ` +
        `(its config.json); leave --${flag} out to resume with the run's, or start a new run`,
    );
  };
  for (const spec of specs) {
    const flag = spec.name;
    if (
      RESUME_MAY_DIFFER.includes(flag) || ["dataset", "data", "images", "model"].includes(flag)
    ) continue;
    if (configFlags.has(flag)) {
      // A config flag is compared with the config the run recorded, whatever set it then.
      if (given.has(flag)) {
        const field = configFieldSetBy(flag, flags[flag], record.config);
        if (field) differs(flag, flags[flag], field.was);
      } else if (saved[flag] !== undefined) flags[flag] = saved[flag];
      continue;
    }
    const was = flag === "backend"
      ? (record as unknown as { backend?: unknown }).backend ?? saved.backend
      : flag === "name"
      ? record.name
      : saved[flag];
    if (was === undefined) continue; // not recorded (an older run): as given or defaulted
    if (!given.has(flag)) {
      flags[flag] = was;
      continue;
    }
    const same = flag === "seeds"
      ? sameSeeds(flags[flag], was, record)
      : JSON.stringify(flags[flag]) === JSON.stringify(was) || show(flags[flag]) === show(was);
    if (!same) differs(flag, flags[flag], was);
  }
}

/** The config field a config flag would change in `config`, with its recorded value, or null. */
function configFieldSetBy(
  flag: string,
  value: unknown,
  config: MemeSenseConfig,
): { field: string; was: unknown } | null {
  let changed: MemeSenseConfig;
  try {
    changed = resolveRunSettings({ [flag]: value }, { base: config, env: {} }).config;
  } catch {
    return { field: flag, was: "(a valid value)" };
  }
  for (const section of ["clip", "head", "train"] as const) {
    const before = config[section] as unknown as Record<string, unknown>;
    const after = changed[section] as unknown as Record<string, unknown>;
    for (const k of Object.keys(after)) {
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
        return { field: `${section}.${k}`, was: before[k] };
      }
    }
  }
  return null;
}

/** Whether a `--seeds` value names the run's seeds (`3` and `42,43,44` alike). */
function sameSeeds(value: unknown, was: unknown, record: RunRecord): boolean {
  try {
    return JSON.stringify(parseSeeds(value as string, record.config.train.seed)) ===
      JSON.stringify(record.seeds);
  } catch {
    return show(value) === show(was);
  }
}
