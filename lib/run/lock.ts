/**
 * Run-directory locks: a process that trains cells in a run directory holds a lock file there
 * (`locks/<scope>.lock`, with its pid, host and start time), so two resumes of one run do not
 * both train every cell. Scopes follow shards: shard K of N and shard J of N (J ≠ K) train
 * disjoint cells and may work side by side; the same shard twice, shards of different splits,
 * or a whole-run process beside any shard may not. A lock left by a process that no longer runs
 * on this host is taken over with a message; one held on another host is reported with its
 * host and pid, since only that host can tell whether the process still runs. Once every cell of
 * a sharded run is in, one shard claims the writing of its tables (`locks/aggregated`).
 *
 * @module
 */
import {
  ensureDir,
  formatShard,
  readTextIfExists,
  type Shard,
  writeFileAtomic,
} from "../util/mod.ts";
import { lockPath, runPath } from "./run_dir.ts";

/** What a lock file holds. */
export interface LockInfo {
  /** Process id of the holder. */
  readonly pid: number;
  /** Host the holder runs on (pids are only meaningful there). */
  readonly host: string;
  /** `all` (the whole run) or `shard-K-of-N`. */
  readonly scope: string;
  /** When the lock was taken (ISO 8601). */
  readonly startedAt: string;
  /** The Slurm job (`<array job>_<task>`) the holder runs in, if any. */
  readonly slurmJob?: string;
}

/** Thrown when another live process holds a conflicting lock on the run directory. */
export class RunLockedError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RunLockedError";
  }
}

/** A held lock; `release()` removes the lock file (idempotent). */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** What the lock file holds. */
  readonly info: LockInfo;
  /** Removes the lock file if it is still this process's (idempotent). */
  release(): Promise<void>;
}

function scopeOf(shard: Shard | undefined): string {
  return shard ? `shard-${shard.index}-of-${shard.count}` : "all";
}

/** The shard a lock scope names (`shard-K-of-N`); undefined for `all`. */
export function parseScope(scope: string): Shard | undefined {
  const m = /^shard-(\d+)-of-(\d+)$/.exec(scope);
  return m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
}

/** Two scopes may work at once only as different shards of the same split. */
function compatible(a: string, b: string): boolean {
  const sa = parseScope(a), sb = parseScope(b);
  return !!sa && !!sb && sa.count === sb.count && sa.index !== sb.index;
}

/** Whether `pid` runs on this host (Linux: /proc; elsewhere: `kill -0`). */
function alive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its parent) still has an entry: it runs no more.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    // no /proc entry: not running here (or no /proc at all: ask kill)
  }
  try {
    Deno.statSync("/proc/self");
    return false;
  } catch {
    return new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync()
      .success;
  }
}

function describe(info: LockInfo): string {
  const what = info.scope === "all" ? "the whole run" : info.scope.replaceAll("-", " ");
  return `${what} (pid ${info.pid} on ${info.host}${
    info.slurmJob ? `, Slurm job ${info.slurmJob}` : ""
  }, since ${info.startedAt})`;
}

/** A lock file that does not read as one (cut short or altered): held by nobody. */
const DAMAGED = "damaged";

async function readLock(path: string): Promise<LockInfo | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  try {
    const info = JSON.parse(text) as LockInfo;
    if (Number.isInteger(info?.pid) && typeof info.host === "string") return info;
  } catch { /* below */ }
  // Locks are written whole (a temporary file, then a link), so one that does not read was
  // damaged after it was written, or written by an older version killed mid-write.
  return { pid: -1, host: DAMAGED, scope: "unknown", startedAt: "unknown" };
}

/**
 * Locks `runDir` for the whole run (`shard` undefined) or for one shard. Throws
 * {@linkcode RunLockedError} naming the holder when a live process holds a conflicting lock;
 * takes over (with a message through `log`) locks of processes that died on this host.
 */
export async function lockRunDir(
  runDir: string,
  shard: Shard | undefined,
  log: (line: string) => void = (l) => console.error(l),
): Promise<RunLock> {
  const dir = runPath(runDir, "locks");
  await ensureDir(dir);
  const host = Deno.hostname();
  const scope = scopeOf(shard);
  const slurmJob = Deno.env.get("SLURM_ARRAY_JOB_ID")
    ? `${Deno.env.get("SLURM_ARRAY_JOB_ID")}_${Deno.env.get("SLURM_ARRAY_TASK_ID")}`
    : Deno.env.get("SLURM_JOB_ID");
  const info: LockInfo = {
    pid: Deno.pid,
    host,
    scope,
    startedAt: new Date().toISOString(),
    ...(slurmJob ? { slurmJob } : {}),
  };
  const path = lockPath(runDir, scope);
  const holder = (other: LockInfo) =>
    other.host === DAMAGED || (other.host === host && other.pid > 0 && !alive(other.pid))
      ? "stale"
      : "live";

  // Our own scope: created exclusively, so two processes of one shard cannot both get it.
  for (let attempt = 0;; attempt++) {
    try {
      await writeFileAtomic(path, JSON.stringify(info) + "\n", { exclusive: true });
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists) || attempt > 0) {
        if (e instanceof Deno.errors.AlreadyExists) {
          throw new RunLockedError(`${runDir} is locked by a process that just started`);
        }
        throw e;
      }
      const other = await readLock(path);
      if (other && holder(other) === "live") {
        throw new RunLockedError(
          `${runDir} is in use by ${describe(other)}; wait for it to finish` +
            (other.host === host ? "" : `, or remove ${path} if that process is gone`),
        );
      }
      if (other?.host === DAMAGED) log(`${path} is damaged (not a lock record): taking it over`);
      else if (other) {
        log(`taking over the lock of ${describe(other)}: that process no longer runs`);
      }
      await Deno.remove(path).catch(() => {});
    }
  }
  const release = async () => {
    const current = await readLock(path);
    if (current && current.pid === info.pid && current.host === host) {
      await Deno.remove(path).catch(() => {});
    }
  };
  // Other scopes: a live conflicting holder wins (we step back); stale ones are cleared.
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !e.name.endsWith(".lock") || e.name === `${scope}.lock`) continue;
    const otherScope = e.name.slice(0, -".lock".length);
    if (compatible(scope, otherScope)) continue;
    const other = await readLock(`${dir}/${e.name}`);
    if (!other) continue;
    if (holder(other) === "live") {
      await release();
      throw new RunLockedError(
        `${runDir} is in use by ${describe(other)}, which overlaps ${
          shard ? `shard ${formatShard(shard)}` : "the whole run"
        }; wait for it to finish` +
          (other.host === host ? "" : `, or remove ${dir}/${e.name} if that process is gone`),
      );
    }
    log(
      other.host === DAMAGED
        ? `${dir}/${e.name} is damaged (not a lock record): clearing it`
        : `clearing the lock of ${describe(other)}: that process no longer runs`,
    );
    await Deno.remove(`${dir}/${e.name}`).catch(() => {});
  }
  return { path, info, release };
}

/** The live-or-not locks of a run directory (for status). */
export async function listRunLocks(
  runDir: string,
): Promise<(LockInfo & { readonly running: boolean | "unknown" })[]> {
  const out: (LockInfo & { running: boolean | "unknown" })[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(runPath(runDir, "locks"))];
  } catch {
    return out;
  }
  const host = Deno.hostname();
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile || !e.name.endsWith(".lock")) continue;
    const info = await readLock(`${runPath(runDir, "locks")}/${e.name}`);
    if (!info) continue;
    const running = info.host === DAMAGED
      ? false
      : info.host === host
      ? alive(info.pid)
      : "unknown";
    out.push({ ...info, running });
  }
  return out;
}

/**
 * Claims the writing of a run's tables and report for one process: the first to create
 * `locks/aggregated` wins; others get false. `deno task aggregate` does not need the claim.
 */
export async function claimAggregation(runDir: string): Promise<boolean> {
  await ensureDir(runPath(runDir, "locks"));
  try {
    await writeFileAtomic(runPath(runDir, "aggregated"), `${Deno.pid}@${Deno.hostname()}\n`, {
      exclusive: true,
    });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}
