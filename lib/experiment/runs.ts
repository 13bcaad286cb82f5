/**
 * Result directories: `results/<timestamp>-<name>/` holding `config.json`, `cells/*.json` (one per
 * finished training run, written atomically — the resume points), `metrics.json`, `metrics.csv`,
 * `table.md`, `curves.json` and `report.html`.
 *
 * @module
 */
import { REPO_ROOT } from "../util/mod.ts";
import type { CellResult } from "./cells.ts";

/** Default results root. */
export const RESULTS_ROOT = `${REPO_ROOT}/results`;

/** A run directory found on disk. */
export interface RunInfo {
  /** The run directory. */
  readonly dir: string;
  /** Its folder name (`<timestamp>-<name>`). */
  readonly name: string;
  /** Parsed `config.json` (the experiment's settings). */
  readonly meta: Record<string, unknown>;
  /** Whether `metrics.json` exists (the run finished). */
  readonly finished: boolean;
}

/** Lists run directories under `root`, newest first. */
export async function listRuns(root: string = RESULTS_ROOT): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const e of entries) {
    if (!e.isDirectory || !/^\d{8}-\d{6}/.test(e.name)) continue;
    const dir = `${root}/${e.name}`;
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    } catch {
      continue;
    }
    let finished = true;
    try {
      await Deno.stat(`${dir}/metrics.json`);
    } catch {
      finished = false;
    }
    runs.push({ dir, name: e.name, meta, finished });
  }
  return runs.sort((a, b) => b.name.localeCompare(a.name));
}

/** Reads every finished cell of a run directory (`cells/*.json`). */
export async function loadCellResults(runDir: string): Promise<CellResult[]> {
  const out: CellResult[] = [];
  try {
    for (const e of Deno.readDirSync(`${runDir}/cells`)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const path = `${runDir}/cells/${e.name}`;
      try {
        out.push(JSON.parse(await Deno.readTextFile(path)));
      } catch (err) {
        throw new Error(`${path}: unreadable cell result (${(err as Error).message})`);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
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

/**
 * Claims the writing of a run's tables and report for one process: the first to create
 * `locks/aggregated` wins; others get false. `deno task report` does not need the claim.
 */
export async function claimAggregation(runDir: string): Promise<boolean> {
  await Deno.mkdir(`${runDir}/locks`, { recursive: true });
  try {
    await Deno.writeTextFile(`${runDir}/locks/aggregated`, `${Deno.pid}@${Deno.hostname()}\n`, {
      createNew: true,
    });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}
