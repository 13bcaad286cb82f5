/**
 * `deno task transfer`'s inputs, from its flags: the source task (`--from dataset:task`) and
 * the targets (`--to dataset:task,…`), their class maps (a description's `transfer` field, or
 * `--map`), every dataset loaded and validated and every split the run needs checked before
 * anything is created, then their features; and the within-dataset run shown beside each target
 * (given with `--within`, else the newest finished one found on the same data and features).
 *
 * @module
 */
import {
  cacheSetting,
  type FlagSpec,
  type Resolved,
  type RunSettings,
  SettingError,
  show,
  UsageError,
} from "../config/mod.ts";
import {
  type ClassMap,
  classMap,
  type Dataset,
  type DatasetDescription,
  datasetTask,
} from "../data/mod.ts";
import {
  checkTaskSplits,
  type DatasetSource,
  describeResume,
  type ExperimentInputs,
  listRuns,
  prepareInputs,
  readRunRecord,
  resolveResume,
  ResumeError,
  type RunRecord,
  type TransferTarget,
  transferTargetId,
} from "../run/mod.ts";
import { asModelError, callerDir, datasetFromFlags, describedDataset } from "./prepare.ts";
import { givenFlagNames, restoreRecordedFlags } from "./resume_flags.ts";

/** A task of a dataset as `--from` and `--to` name it: `pridemm:hate`, `my.json:misogynous`. */
export interface TaskRef {
  /** The dataset: a preset's name or a description file. */
  readonly dataset: string;
  /** The task. */
  readonly task: string;
}

/** `dataset:task` (the dataset may be a path holding `:`; the task follows the last one). */
export function parseTaskRef(text: string, flag: string): TaskRef {
  const at = text.lastIndexOf(":");
  if (at <= 0 || at === text.length - 1) {
    throw new SettingError(flag, text, "dataset:task, e.g. pridemm:hate or harmeme:harmful");
  }
  return { dataset: text.slice(0, at), task: text.slice(at + 1) };
}

/**
 * `name=value` pairs (`--data pridemm=/data/PrideMM.csv,harmeme=/data/harmeme`), each name once,
 * each one of `names` (the run's datasets).
 */
export function parseNamedPairs(
  list: readonly string[] | undefined,
  flag: string,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of list ?? []) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    if (eq <= 0 || eq === pair.length - 1 || out[name] !== undefined || !names.includes(name)) {
      throw new SettingError(
        flag,
        list,
        `name=value pairs, each name once, the names among the run's datasets: ${names.join(", ")}`,
      );
    }
    out[name] = pair.slice(eq + 1);
  }
  return out;
}

/** The flags `deno task transfer` prepares from. */
export interface TransferFlagValues {
  /** `--from dataset:task`. */
  readonly from?: string;
  /** `--to dataset:task,…`. */
  readonly to?: readonly string[];
  /** `--map s=t,…`: source class = target class, for every target. */
  readonly map?: string;
  /** `--within run,…`: within-dataset runs on the targets. */
  readonly within?: readonly string[];
  /** `--data name=path,…`. */
  readonly data?: readonly string[];
  /** `--images name=path,…`. */
  readonly images?: readonly string[];
  /** `--splits name.role=split,…`. */
  readonly splits?: readonly string[];
  /** `--verify`. */
  readonly verify?: boolean;
  /** `--cache`. */
  readonly cache?: string;
}

/** A transfer run's inputs, prepared. */
export interface PreparedTransfer {
  /** The source dataset's inputs. */
  readonly inputs: ExperimentInputs;
  /** The source task. */
  readonly task: string;
  /** The targets, in the order given. */
  readonly targets: readonly TransferTarget[];
  /** The run's title. */
  readonly title: string;
  /** The settings as resolved: the source's dataset, data and images, and the cache. */
  readonly resolved: Readonly<Record<string, Resolved<unknown>>>;
}

/** One dataset of the run, loaded. */
interface Loaded {
  readonly ref: string;
  readonly description: DatasetDescription;
  readonly dataset: Dataset;
  readonly source: DatasetSource;
  readonly resolved: Readonly<Record<string, Resolved<string>>>;
}

/**
 * Prepares a transfer run from its flags (see the module doc). Every mistake — a task a dataset
 * lacks, no class map, a map that does not cover the classes, a split without two classes, a
 * bad row — is one line (exit status 2) before anything is created; then each dataset's features
 * are extracted or found with the same CLIP model.
 */
export async function prepareTransfer(
  flags: TransferFlagValues,
  settings: RunSettings,
  options: { readonly resultsRoot: string; readonly log?: (line: string) => void },
): Promise<PreparedTransfer> {
  if (flags.from === undefined) throw new UsageError("--from dataset:task is required");
  if (flags.to === undefined || flags.to.length === 0) {
    throw new UsageError("--to dataset:task[,dataset:task…] is required");
  }
  const cwd = callerDir();
  const from = parseTaskRef(flags.from, "--from");
  const to = flags.to.map((t) => parseTaskRef(t, "--to"));
  const described = new Map<string, { description: DatasetDescription; ref: string }>();
  for (const r of [from, ...to]) {
    if (described.has(r.dataset)) continue;
    const flag = r === from ? "--from" : "--to";
    const d = await describedDataset({ value: r.dataset, source: "flag" }, cwd).catch((e) => {
      if (e instanceof SettingError) {
        throw new SettingError(flag, r.dataset, e.expected);
      }
      throw e;
    });
    described.set(r.dataset, d);
  }
  const names = [...new Set([...described.values()].map((d) => d.description.name))];
  if (names.length !== described.size) {
    throw new UsageError(
      "two datasets of the run have one name: --data and --images could not tell them apart",
    );
  }
  const nameOf = (r: TaskRef) => described.get(r.dataset)!.description.name;
  const sourceDesc = described.get(from.dataset)!.description;
  const sourceTask = datasetTask(sourceDesc, from.task);
  const seen = new Set<string>();
  const maps: ClassMap[] = to.map((r) => {
    const desc = described.get(r.dataset)!.description;
    const task = datasetTask(desc, r.task);
    const id = transferTargetId(desc.name, task.name);
    if (seen.has(id)) throw new SettingError("--to", flags.to, `each target once (${id} twice)`);
    seen.add(id);
    if (desc.name === sourceDesc.name && task.name === sourceTask.name) {
      throw new SettingError(
        "--to",
        flags.to,
        `targets other than the source (${id} is the source: its test split is in every table)`,
      );
    }
    return classMap({ dataset: sourceDesc, task: sourceTask }, { dataset: desc, task }, flags.map);
  });
  const data = parseNamedPairs(flags.data, "--data", names);
  const images = parseNamedPairs(flags.images, "--images", names);
  const splits = parseSplitPairs(flags.splits, names);

  // Every dataset loaded and checked before anything is created.
  const loaded = new Map<string, Loaded>();
  for (const [ref, d] of described) {
    const name = d.description.name;
    const one = await datasetFromFlags({
      dataset: ref,
      data: data[name],
      images: images[name],
      splits: splits[name],
    }, { offline: settings.offline, cwd, log: options.log });
    loaded.set(ref, { ref: d.ref, description: d.description, ...one });
  }
  const source = loaded.get(from.dataset)!;
  checkTaskSplits(source.dataset, null, [from.task]);
  to.forEach((r) => checkTaskSplits(loaded.get(r.dataset)!.dataset, null, [r.task], ["test"]));

  const cache = cacheSetting(flags.cache);
  const inputsOf = new Map<string, ExperimentInputs>();
  for (const [ref, l] of loaded) {
    try {
      inputsOf.set(
        ref,
        await prepareInputs({
          dataset: l.dataset,
          source: l.source,
          model: settings.config.clip.model,
          preprocess: settings.config.clip.preprocess,
          imageMode: settings.config.clip.imageMode,
          offline: settings.offline,
          verify: flags.verify === true,
          cacheDir: cache.value,
          log: options.log,
        }),
      );
    } catch (e) {
      throw asModelError(e, settings.config.clip.model);
    }
  }
  const within = await withinRuns(flags.within, to, inputsOf, options.resultsRoot);
  const targets: TransferTarget[] = to.map((r, i) => {
    const inputs = inputsOf.get(r.dataset)!;
    const found = within.get(i);
    return {
      id: transferTargetId(nameOf(r), r.task),
      inputs,
      task: r.task,
      classMap: maps[i],
      ...(found === undefined ? {} : { within: found }),
    };
  });
  const title = `MemeSense transfer: ${sourceDesc.title} ${from.task} → ${
    to.map((r) => `${described.get(r.dataset)!.description.title} ${r.task}`).join(", ")
  }`;
  return {
    inputs: inputsOf.get(from.dataset)!,
    task: from.task,
    targets,
    title,
    resolved: { ...source.resolved, cache },
  };
}

/** `--splits name.role=split,…` per dataset name. */
function parseSplitPairs(
  list: readonly string[] | undefined,
  names: readonly string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of list ?? []) {
    const m = /^([a-z0-9][a-z0-9_-]*)\.(train|val|test)=([a-z0-9][a-z0-9_-]*)$/.exec(pair);
    if (m === null || !names.includes(m[1])) {
      throw new SettingError(
        "--splits",
        list,
        `name.role=split pairs (e.g. fhm.test=dev_seen), the names among: ${names.join(", ")}`,
      );
    }
    (out[m[1]] ??= []).push(`${m[2]}=${m[3]}`);
  }
  return out;
}

/** Whether a run was trained on these data and features (the same model) and has the task. */
function trainedOn(record: RunRecord, inputs: ExperimentInputs, task: string): boolean {
  return record.transfer === undefined && record.tasks.includes(task) &&
    record.dataset.identity?.hash === inputs.dataset.identity.hash &&
    record.featureStore === inputs.featureKey;
}

/**
 * The within-dataset run shown beside each target (by target index): the `--within` runs, each
 * matched to the target whose data (its dataset's identity) and features (the same CLIP model)
 * it was trained on and whose task it has; else the newest finished run under the results root
 * that matches.
 */
async function withinRuns(
  given: readonly string[] | undefined,
  to: readonly TaskRef[],
  inputs: ReadonlyMap<string, ExperimentInputs>,
  resultsRoot: string,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (given !== undefined) {
    for (const dir of given) {
      let record: RunRecord;
      try {
        record = await readRunRecord(dir);
      } catch (e) {
        throw new SettingError("--within", dir, `a run directory (${(e as Error).message})`);
      }
      const finished = await Deno.stat(`${dir}/metrics.json`).then(() => true, () => false);
      const i = to.findIndex((r) => trainedOn(record, inputs.get(r.dataset)!, r.task));
      if (!finished || i < 0) {
        throw new SettingError(
          "--within",
          show(given),
          `finished runs on a target's data, features and task (${dir} ${
            finished ? "is on other data, features or tasks" : "has not finished"
          })`,
        );
      }
      out.set(i, dir);
    }
    return out;
  }
  const runs = (await listRuns(resultsRoot)).filter((r) => r.finished);
  to.forEach((r, i) => {
    const run = runs.find((x) => trainedOn(x.meta, inputs.get(r.dataset)!, r.task));
    if (run !== undefined) out.set(i, run.dir);
  });
  return out;
}

/**
 * `--resume` for `deno task transfer`: the run's flags restored from its record as every script
 * restores them (a flag given with another value is refused), `--data` and `--images` — lists of
 * `name=path` here — included, and the CLIP model and cache the run recorded.
 */
export async function resumeTransferFlags(
  flags: Record<string, unknown> & { resume?: string; model?: string; cache?: string },
  name: string,
  specs: readonly FlagSpec[],
  args: readonly string[],
  outRoot: string,
): Promise<void> {
  const target = await resolveResume(flags.resume!, { outRoot, name }, { model: flags.model });
  const given = givenFlagNames(args, specs);
  restoreRecordedFlags(flags, target.runDir, target.record, given, specs);
  const saved = target.record.flags ?? {};
  for (const flag of ["data", "images"]) {
    if (!given.has(flag)) flags[flag] = saved[flag];
    else if (JSON.stringify(flags[flag]) !== JSON.stringify(saved[flag])) {
      throw new ResumeError(
        `--${flag} ${show(flags[flag])} differs from the ${show(saved[flag])} that ` +
          `${target.runDir} was started with (its config.json); leave --${flag} out to resume ` +
          "with the run's, or start a new run",
      );
    }
  }
  if (!given.has("cache") && target.record.cache) flags.cache = target.record.cache;
  flags.model = target.model;
  flags.resume = target.runDir;
  console.error(describeResume(target));
}
