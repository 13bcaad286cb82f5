/**
 * The runs under a results root, newest first, each with its record and whether it finished.
 *
 * @module
 */
import { runFinished } from "./integrity.ts";
import { readRunRecord, type RunRecord } from "./record.ts";
import { RUN_NAME } from "./run_dir.ts";

/** A run directory found on disk. */
export interface RunInfo {
  /** The run directory. */
  readonly dir: string;
  /** Its folder name (`<timestamp>-<name>`). */
  readonly name: string;
  /** Its record (`config.json`): the experiment's settings. */
  readonly meta: RunRecord;
  /** Whether it finished: `metrics.json` and every output it lists are as written. */
  readonly finished: boolean;
}

/**
 * Lists the run directories under `root` (a results root: see `resultsRootSetting`), newest
 * first; folders whose record does not read as one are skipped.
 */
export async function listRuns(root: string): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const e of entries) {
    if (!e.isDirectory || !RUN_NAME.test(e.name)) continue;
    const dir = `${root}/${e.name}`;
    let meta: RunRecord;
    try {
      meta = await readRunRecord(dir);
    } catch {
      continue;
    }
    runs.push({ dir, name: e.name, meta, finished: await runFinished(dir) });
  }
  return runs.sort((a, b) => b.name.localeCompare(a.name));
}

/**
 * The newest run named `name` under `root` that has not finished (no `metrics.json`): what
 * `--resume latest` continues. Throws when there is none, naming the finished ones if any.
 */
export async function latestUnfinishedRun(root: string, name: string): Promise<string> {
  const runs = (await listRuns(root)).filter((r) => r.meta.name === name);
  const open = runs.find((r) => !r.finished);
  if (open) return open.dir;
  throw new Error(
    `--resume latest: no unfinished "${name}" run under ${root}` +
      (runs.length > 0 ? ` (the newest, ${runs[0].dir}, has finished)` : ""),
  );
}
