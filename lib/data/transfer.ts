/**
 * Which class of a source task each class of a target task is, for cross-dataset evaluation: a
 * head trained on the source is scored on the target's memes with their labels read as source
 * classes. The map comes from a description's `transfer` field or from `--map`.
 *
 * @module
 */
import { UsageError } from "../config/mod.ts";
import type { DatasetDescription, TaskDescription } from "./description.ts";

/** A task of a dataset, as a transfer names it. */
export interface TaskOfDataset {
  /** The dataset's description. */
  readonly dataset: DatasetDescription;
  /** The task. */
  readonly task: TaskDescription;
}

/** How a target task's classes read as a source task's. */
export interface ClassMap {
  /** For each class of the target task, the class of the source task it is. */
  readonly targetToSource: readonly number[];
  /** Where the map comes from: `--map`, or the description field that declares it. */
  readonly declaredBy: string;
}

/** `<dataset>:<task>`, the name a transfer map and the scripts give a task of a dataset. */
export function taskRef(t: TaskOfDataset): string {
  return `${t.dataset.name}:${t.task.name}`;
}

/**
 * The class map from `source` to `target`: `given` (`--map`: `s=t` pairs of class indices, source
 * first), else the target task's `transfer` entry for the source, else the source task's entry
 * for the target (which must then be one-to-one). Every target class must be one source class
 * and every source class must be reached, so that the target's test memes are all scored and
 * every class the head predicts exists there. Throws `UsageError` saying what is wrong.
 */
export function classMap(
  source: TaskOfDataset,
  target: TaskOfDataset,
  given?: string,
): ClassMap {
  const s = source.task.classes, t = target.task.classes;
  const names = `${taskRef(source)} → ${taskRef(target)}`;
  let targetToSource: number[];
  let declaredBy: string;
  if (given !== undefined) {
    declaredBy = "--map";
    targetToSource = parseMap(given, s.length, t.length, names);
  } else if (target.task.transfer?.[taskRef(source)] !== undefined) {
    declaredBy = `${target.dataset.name}'s task ${target.task.name} (transfer.${taskRef(source)})`;
    targetToSource = [...target.task.transfer[taskRef(source)]];
    targetToSource.forEach((c, k) => {
      if (c >= s.length) {
        throw new UsageError(
          `${declaredBy}: class ${k} (${t[k]}) names class ${c} of ${taskRef(source)}, which ` +
            `has ${s.length} classes (${s.join(", ")})`,
        );
      }
    });
  } else if (source.task.transfer?.[taskRef(target)] !== undefined) {
    declaredBy = `${source.dataset.name}'s task ${source.task.name} (transfer.${taskRef(target)})`;
    const sourceToTarget = source.task.transfer[taskRef(target)];
    targetToSource = new Array<number>(t.length).fill(-1);
    sourceToTarget.forEach((c, k) => {
      if (c >= t.length || targetToSource[c] !== -1) {
        throw new UsageError(
          `${declaredBy}: read backwards, a map must give each class of ${taskRef(target)} ` +
            `one class of ${taskRef(source)}; declare it on ${taskRef(target)} or give --map`,
        );
      }
      targetToSource[c] = k;
    });
  } else {
    throw new UsageError(
      `no class map from ${taskRef(source)} (${s.join(", ")}) to ${taskRef(target)} ` +
        `(${t.join(", ")}): give --map with source=target class indices (e.g. --map 0=0,1=1), ` +
        `or declare it in a description's "transfer" field`,
    );
  }
  const unmapped = t.findIndex((_, k) => !(targetToSource[k] >= 0));
  if (unmapped >= 0) {
    throw new UsageError(
      `${declaredBy}: ${names}: target class ${unmapped} (${t[unmapped]}) is no source class; ` +
        "every target class must be one",
    );
  }
  const unreached = s.findIndex((_, c) => !targetToSource.includes(c));
  if (unreached >= 0) {
    throw new UsageError(
      `${declaredBy}: ${names}: source class ${unreached} (${s[unreached]}) has no target ` +
        "class; every class the head predicts must exist in the target",
    );
  }
  return Object.freeze({ targetToSource: Object.freeze(targetToSource), declaredBy });
}

/** `s=t` pairs: source class `s` is target class `t`; every target class once. */
function parseMap(text: string, sources: number, targets: number, names: string): number[] {
  const out = new Array<number>(targets).fill(-1);
  const pairs = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const bad = (why: string): never => {
    throw new UsageError(`--map ${text}: ${why} (${names}; source=target class indices)`);
  };
  if (pairs.length === 0) bad("no pairs");
  for (const pair of pairs) {
    const m = /^(\d+)=(\d+)$/.exec(pair);
    if (m === null) bad(`"${pair}" is not source=target`);
    const [sc, tc] = [Number(m![1]), Number(m![2])];
    if (sc >= sources) bad(`source class ${sc} does not exist (0–${sources - 1})`);
    if (tc >= targets) bad(`target class ${tc} does not exist (0–${targets - 1})`);
    if (out[tc] !== -1) bad(`target class ${tc} is mapped twice`);
    out[tc] = sc;
  }
  return out;
}
