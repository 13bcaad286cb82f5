/**
 * A private one-node Slurm for the tests and the orchestration benchmark (`bench:slurm`), started
 * from slurm_local.sh beside this file with its own state folder, munge socket and ports, and
 * stopped by the pid files it wrote; and the flags of the ablation both submit to it.
 */
import { REPO_ROOT } from "../lib/util/mod.ts";

/**
 * The ablation the Slurm test and `bench:slurm` submit: two ratio variants on the stance task,
 * `seeds` (a comma list), on the generated memes with the tiny CLIP, offline.
 */
export function ablationArgs(
  memes: { readonly csvPath: string; readonly imageDir: string },
  seeds: string,
  epochs: number,
): string[] {
  return [
    ...["--data", memes.csvPath, "--images", memes.imageDir, "--model", "tiny", "--offline"],
    ...["--mode", "sweeps", "--ratios", "0.2,0.6", "--depths", "1", "--named", "false"],
    ...["--tasks", "stance", "--seeds", seeds, "--epochs", String(epochs)],
  ];
}

/** `--executor slurm`, one CPU per array task, and `--shards` when given. */
export function slurmExecutorArgs(shards?: number): string[] {
  const shardArgs = shards === undefined ? [] : ["--shards", String(shards)];
  return ["--executor", "slurm", ...shardArgs, "--cpus-per-task", "1"];
}

/** A running local Slurm. */
export interface LocalSlurm {
  readonly state: string;
  /** Environment that points Slurm's commands at this cluster (`SLURM_CONF`). */
  readonly env: Record<string, string>;
  /** Stops the daemons it started and removes the state folder. */
  stop(): Promise<void>;
}

/** Why Slurm cannot run here, or null when it can (root, and Slurm or apt-get present). */
export function slurmUnavailable(): string | null {
  if (Deno.build.os !== "linux") return `not Linux (${Deno.build.os})`;
  if (Deno.uid() !== 0) return "not root: a local Slurm needs root (munged, slurmd)";
  const has = (cmd: string) =>
    new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" }).outputSync()
      .success;
  if (!has("slurmctld") && !has("apt-get")) return "Slurm is not installed and there is no apt-get";
  return null;
}

/** Starts a local Slurm (installing Debian's packages first if needed). */
export async function startLocalSlurm(): Promise<LocalSlurm> {
  const state = await Deno.makeTempDir({ prefix: "memesense-slurm-" });
  const script = `${REPO_ROOT}/scripts/slurm_local.sh`;
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const out = await new Deno.Command("bash", {
    args: [script, "start", state, port],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stop = async () => {
    await new Deno.Command("bash", { args: [script, "stop", state], stdout: "null" }).output();
    await Deno.remove(state, { recursive: true }).catch(() => {});
  };
  if (!out.success) {
    await stop();
    throw new Error(`local Slurm did not start: ${new TextDecoder().decode(out.stderr)}`);
  }
  return { state, env: { SLURM_CONF: `${state}/slurm.conf` }, stop };
}

/** Runs a Slurm command against `slurm` and returns its stdout. */
export async function slurmCommand(
  slurm: LocalSlurm,
  cmd: string,
  args: readonly string[],
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    env: slurm.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** Waits until none of `jobs` is in the queue any more (or the timeout passes). */
export async function waitForJobs(
  slurm: LocalSlurm,
  jobs: readonly string[],
  timeoutSeconds = 600,
): Promise<void> {
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < timeoutSeconds) {
    // squeue names jobs that left the queue long ago an invalid id: gone as well.
    const left = await slurmCommand(slurm, "squeue", ["-h", "-j", jobs.join(","), "-o", "%i"])
      .catch(() => "");
    if (left.trim() === "") return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Slurm jobs ${jobs.join(",")} still queued after ${timeoutSeconds} s`);
}
