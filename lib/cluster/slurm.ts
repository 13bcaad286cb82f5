/**
 * Slurm: the sbatch scripts of a sharded run (an array job, one task per shard, and a report job
 * that depends on it), their submission, and the job states `squeue` knows. Everything a
 * submission wrote — scripts, job ids, shard list, logs — stays in the run directory's `slurm/`.
 *
 * @module
 */
import { writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";

/** sbatch options passed through from the command line. */
export interface SlurmOptions {
  /** Partition (queue) to run in. */
  readonly partition?: string;
  /** Wall-time limit per array task, in Slurm's format (`2:00:00`). */
  readonly time?: string;
  /** CPUs per task. */
  readonly cpusPerTask?: number;
  /** Memory per node, in Slurm's format (`16G`). */
  readonly mem?: string;
  /** Generic resources per task (`gpu:1`). */
  readonly gres?: string;
  /** Account to charge. */
  readonly account?: string;
  /** Free-form extra sbatch options, each one `--option=value` or `--flag`. */
  readonly extra?: readonly string[];
}

/** One submission of a run to Slurm. */
export interface SlurmSubmission {
  /** The array job id. */
  readonly arrayJob: string;
  /** The dependent report job id. */
  readonly reportJob: string;
  /** Shard count of the run. */
  readonly count: number;
  /** The shards (1-based) submitted: all of them, or those with missing cells on a resume. */
  readonly shards: readonly number[];
  /** Cells the submitted shards were to train. */
  readonly cells: number;
  /** When it was submitted (ISO 8601). */
  readonly submittedAt: string;
  /** The array job's script, relative to the run directory. */
  readonly script: string;
}

/** Thrown when sbatch (or another Slurm command) fails; the message holds its output. */
export class SlurmError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SlurmError";
  }
}

/** Quotes one word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `#SBATCH` lines for the pass-through options. */
function optionLines(options: SlurmOptions): string[] {
  const lines: string[] = [];
  if (options.partition) lines.push(`--partition=${options.partition}`);
  if (options.time) lines.push(`--time=${options.time}`);
  if (options.cpusPerTask) lines.push(`--cpus-per-task=${options.cpusPerTask}`);
  if (options.mem) lines.push(`--mem=${options.mem}`);
  if (options.gres) lines.push(`--gres=${options.gres}`);
  if (options.account) lines.push(`--account=${options.account}`);
  for (const extra of options.extra ?? []) {
    if (!extra.startsWith("-")) {
      throw new SlurmError(`--sbatch-extra: "${extra}" is not an sbatch option (--name=value)`);
    }
    lines.push(extra);
  }
  return lines.map((l) => `#SBATCH ${l}`);
}

/** What an sbatch script runs. */
export interface SbatchScriptSpec {
  /** The job's name in `squeue`. */
  readonly jobName: string;
  /** Working directory of the job (the repository). */
  readonly cwd: string;
  /** Log file pattern (Slurm's `%A`, `%a`, `%j`), stdout and stderr together. */
  readonly output: string;
  /** `--array=` value, for an array job. */
  readonly array?: string;
  /** sbatch options passed through. */
  readonly options: SlurmOptions;
  /** The command, word by word; `$SLURM_ARRAY_TASK_ID` may appear inside a word. */
  readonly command: readonly string[];
  /** Why this script exists, in one comment line. */
  readonly comment: string;
}

/**
 * An sbatch script. Words of the command are single-quoted except where they use
 * `$SLURM_ARRAY_TASK_ID`, which is left to bash.
 */
export function sbatchScript(spec: SbatchScriptSpec): string {
  const quote = (w: string) =>
    w.includes("$SLURM_ARRAY_TASK_ID")
      ? `"${w.replace(/["\\`]/g, (c) => `\\${c}`)}"`
      : shellQuote(w);
  return [
    "#!/bin/bash",
    `# ${spec.comment}`,
    `#SBATCH --job-name=${spec.jobName}`,
    `#SBATCH --output=${spec.output}`,
    ...(spec.array ? [`#SBATCH --array=${spec.array}`] : []),
    ...optionLines(spec.options),
    "set -euo pipefail",
    `cd ${shellQuote(spec.cwd)}`,
    `echo "$(date -u +%FT%T.%3NZ) start on $(hostname -s)${
      spec.array ? " task $SLURM_ARRAY_TASK_ID" : ""
    }"`,
    spec.command.map(quote).join(" "),
    "",
  ].join("\n");
}

async function run(cmd: string, args: readonly string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args: [...args], stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SlurmError(
        `${cmd} not found: is this a Slurm login node (slurm-client installed)?`,
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  if (!out.success) {
    throw new SlurmError(
      `${cmd} ${args.join(" ")} failed (exit ${out.code}): ${dec.decode(out.stderr).trim()}`,
    );
  }
  return dec.decode(out.stdout).trim();
}

/** Submits a script with `sbatch --parsable` (plus `args`) and returns the job id. */
export async function sbatch(script: string, args: readonly string[] = []): Promise<string> {
  const out = await run("sbatch", ["--parsable", ...args, script]);
  const id = out.split(";")[0].trim();
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch printed "${out}", not a job id`);
  return id;
}

/** Compresses sorted shard numbers to Slurm's array syntax: `1-3,5`. */
export function arraySpec(shards: readonly number[]): string {
  const sorted = [...new Set(shards)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * The log of shard `shard` of array job `arrayJob` in a job directory:
 * `<dir>/slurm/logs/shard-<shard>-job-<arrayJob>.log` (`%a` and `%A`, Slurm's placeholders, in
 * the scripts).
 */
export function shardLogPath(dir: string, shard: number | string, arrayJob: string): string {
  return `${dir}/slurm/logs/shard-${shard}-job-${arrayJob}.log`;
}

/** What {@linkcode submitShards} needs. */
export interface SubmitShardsSpec {
  /** The folder the scripts, logs and job ids go to (`<runDir>/slurm/`). */
  readonly runDir: string;
  /** Short job name, e.g. the run's name. */
  readonly name: string;
  /** Working directory of the jobs (the repository). */
  readonly cwd: string;
  /** Shards of the run. */
  readonly count: number;
  /** The shards (1-based) to submit. */
  readonly shards: readonly number[];
  /** Cells the submitted shards are to train. */
  readonly cells: number;
  /** A shard's command; `$SLURM_ARRAY_TASK_ID` stands for its shard number. */
  readonly shardCommand: readonly string[];
  /** The report step's command. */
  readonly reportCommand: readonly string[];
  /** sbatch options passed through. */
  readonly options: SlurmOptions;
}

/**
 * Writes the array and report scripts into `<runDir>/slurm/`, submits the array job and then the
 * report job with `--dependency=afterany:<array>`, and records the submission in
 * `slurm/submissions.json`.
 */
export async function submitShards(spec: SubmitShardsSpec): Promise<SlurmSubmission> {
  const dir = `${spec.runDir}/slurm`;
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  const earlier = await readSubmissions(spec.runDir);
  const n = earlier.length + 1;
  const arrayScript = `slurm/shards-${n}.sbatch`;
  const reportScript = `slurm/report-${n}.sbatch`;
  await writeFileAtomic(
    `${spec.runDir}/${arrayScript}`,
    sbatchScript({
      jobName: `${spec.name}`,
      cwd: spec.cwd,
      output: shardLogPath(spec.runDir, "%a", "%A"),
      array: arraySpec(spec.shards),
      options: spec.options,
      command: spec.shardCommand,
      comment: `shards ${arraySpec(spec.shards)} of ${spec.count} of ${spec.runDir}`,
    }),
  );
  await writeFileAtomic(
    `${spec.runDir}/${reportScript}`,
    sbatchScript({
      jobName: `${spec.name}-report`,
      cwd: spec.cwd,
      output: `${spec.runDir}/slurm/logs/report-job-%j.log`,
      // The report is light: the shards' partition and account, none of their resources.
      options: { partition: spec.options.partition, account: spec.options.account },
      command: spec.reportCommand,
      comment: `tables and report of ${spec.runDir} once every shard has ended`,
    }),
  );
  const arrayJob = await sbatch(`${spec.runDir}/${arrayScript}`);
  const reportJob = await sbatch(`${spec.runDir}/${reportScript}`, [
    `--dependency=afterany:${arrayJob}`,
  ]);
  const submission: SlurmSubmission = {
    arrayJob,
    reportJob,
    count: spec.count,
    shards: [...spec.shards],
    cells: spec.cells,
    submittedAt: new Date().toISOString(),
    script: arrayScript,
  };
  await writeJsonAtomic(`${dir}/submissions.json`, [...earlier, submission]);
  return submission;
}

/** The submissions recorded in a run directory, oldest first. */
export async function readSubmissions(runDir: string): Promise<SlurmSubmission[]> {
  try {
    return JSON.parse(await Deno.readTextFile(`${runDir}/slurm/submissions.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new SlurmError(`${runDir}/slurm/submissions.json: unreadable (${(e as Error).message})`);
  }
}

/**
 * The states `squeue` reports for the given jobs (array tasks as `<job>_<task>`, e.g.
 * `12_3 RUNNING`); jobs that have left the queue are absent. Null when squeue is unavailable.
 */
export async function queueStates(jobs: readonly string[]): Promise<Map<string, string> | null> {
  if (jobs.length === 0) return new Map();
  let out: string;
  try {
    out = await run("squeue", ["-h", "-r", "-o", "%i %T", "-j", jobs.join(",")]);
  } catch (e) {
    // Jobs that left the queue a while ago are "invalid" to squeue: none queued.
    if (e instanceof SlurmError && /Invalid job id/i.test(e.message)) return new Map();
    return null;
  }
  const states = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) states.set(id, state);
  }
  return states;
}

/**
 * Final states from `sacct` (`<job>_<task>` → `COMPLETED`, `CANCELLED`, `FAILED`, …); null when
 * accounting is not available (a cluster without slurmdbd).
 */
export async function accountingStates(
  jobs: readonly string[],
): Promise<Map<string, string> | null> {
  if (jobs.length === 0) return new Map();
  let out: string;
  try {
    out = await run("sacct", ["-n", "-X", "-P", "-o", "JobID,State", "-j", jobs.join(",")]);
  } catch {
    return null;
  }
  const states = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [id, state] = line.trim().split("|");
    if (id && state) states.set(id, state.split(" ")[0]);
  }
  return states;
}
