/** Runs an experiment script as a user does, for the end-to-end tests and the benchmarks. */
import { REPO_ROOT } from "../lib/util/mod.ts";

/** What a script run printed and how it ended. */
export interface ScriptRun {
  readonly code: number;
  readonly success: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `experiments/<name>.ts` with `args` in a child Deno (all permissions, frozen lock) from the
 * repository root; `env` is added to the inherited environment, `NO_COLOR=1` always.
 */
export async function runScript(
  name: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--frozen", `${REPO_ROOT}/experiments/${name}.ts`, ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    success: out.success,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
