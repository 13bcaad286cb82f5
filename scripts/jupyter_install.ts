/**
 * Installs the Deno kernelspec into the user's own Jupyter, so JupyterLab, Jupyter Notebook and
 * VS Code can open `notebooks/*.ipynb` on the Deno kernel.
 *
 *   deno task jupyter:install [--prefix DIR] [--force] [--dry-run] [--uninstall]
 *
 * `deno task notebooks` does not need this: it points `JUPYTER_PATH` at the repository's own
 * kernelspec (`notebooks/jupyter/`), writing nothing outside the repository. This task copies
 * that kernelspec to `<jupyter data dir>/kernels/deno/`, with the absolute path of this Deno
 * (editors often start kernels without the shell's PATH) and `NO_COLOR=1` (kernel errors then
 * show without ANSI escape codes).
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { exists, REPO_ROOT, writeJsonAtomic } from "../lib/util/mod.ts";

/** The repository's kernelspec (the file `JUPYTER_PATH=notebooks/jupyter` exposes). */
export const REPO_KERNELSPEC = `${REPO_ROOT}/notebooks/jupyter/kernels/deno/kernel.json`;

/** A Jupyter kernelspec (`kernel.json`). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The user's Jupyter data directory, where `kernels/` lives: `$JUPYTER_DATA_DIR` when set, else
 * the platform default that `jupyter --data-dir` reports (Linux `$XDG_DATA_HOME/jupyter` or
 * `~/.local/share/jupyter`, macOS `~/Library/Jupyter`, Windows `%APPDATA%\jupyter`).
 */
export function jupyterDataDir(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (Deno.build.os === "windows") return `${env.APPDATA}\\jupyter`;
  const home = env.HOME;
  if (!home) throw new Error("HOME is not set: pass --prefix <jupyter data dir>");
  if (Deno.build.os === "darwin") return `${home}/Library/Jupyter`;
  return `${env.XDG_DATA_HOME || `${home}/.local/share`}/jupyter`;
}

/** The repository kernelspec with `argv[0]` replaced by the absolute path of `deno`. */
export async function userKernelSpec(denoPath: string = Deno.execPath()): Promise<KernelSpec> {
  const spec = JSON.parse(await Deno.readTextFile(REPO_KERNELSPEC)) as KernelSpec;
  return { ...spec, argv: [denoPath, ...spec.argv.slice(1)] };
}

/** What {@linkcode installKernelSpec} did. */
export interface InstallResult {
  /** The kernelspec file. */
  readonly path: string;
  /** `installed`, `unchanged`, `replaced`, `removed`, `absent`, or `would …` on a dry run. */
  readonly action: string;
}

/** Options for {@linkcode installKernelSpec}. */
export interface InstallOptions {
  /** Jupyter data directory (default {@linkcode jupyterDataDir}). */
  readonly prefix?: string;
  /** Replace a different existing `deno` kernelspec. */
  readonly force?: boolean;
  /** Only report what would be done. */
  readonly dryRun?: boolean;
  /** Remove the kernelspec instead. */
  readonly uninstall?: boolean;
}

/**
 * Writes (or removes) `<prefix>/kernels/deno/kernel.json`. An existing kernelspec that differs
 * (for example one written by `deno jupyter --install`) is only replaced with `force`.
 */
export async function installKernelSpec(opts: InstallOptions = {}): Promise<InstallResult> {
  const dir = `${opts.prefix ?? jupyterDataDir()}/kernels/deno`;
  const path = `${dir}/kernel.json`;
  const would = (action: string) => (opts.dryRun ? `would be ${action}` : action);
  const present = await exists(path);
  if (opts.uninstall) {
    if (!present) return { path, action: "absent" };
    if (!opts.dryRun) await Deno.remove(dir, { recursive: true });
    return { path, action: would("removed") };
  }
  const spec = await userKernelSpec();
  const text = JSON.stringify(spec, null, 2) + "\n";
  if (present) {
    const old = await Deno.readTextFile(path);
    if (old === text) return { path, action: "unchanged" };
    if (!opts.force) {
      throw new Error(
        `${path} exists with different content:\n${old.trim()}\nrerun with --force to replace it`,
      );
    }
  }
  if (!opts.dryRun) {
    await Deno.mkdir(dir, { recursive: true });
    await writeJsonAtomic(path, spec);
  }
  return { path, action: would(present ? "replaced" : "installed") };
}

const FLAGS = defineFlags([
  { name: "prefix", type: "string", help: "Jupyter data directory (default: the user's)" },
  { name: "force", type: "boolean", help: "replace a different existing deno kernelspec" },
  { name: "dry-run", type: "boolean", help: "only print what would be done" },
  { name: "uninstall", type: "boolean", help: "remove the kernelspec" },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const usage = "deno task jupyter:install [flags]";
  const flags = parseFlagsOrExit(Deno.args, FLAGS, usage);
  try {
    const { path, action } = await installKernelSpec({
      prefix: flags.prefix,
      force: flags.force,
      dryRun: flags["dry-run"],
      uninstall: flags.uninstall,
    });
    console.log(`Deno kernelspec ${action}: ${path}`);
    if (!flags.uninstall && !action.startsWith("would")) {
      console.log(
        `kernel command: ${(await userKernelSpec()).argv.join(" ")}\n` +
          "Open notebooks/*.ipynb in JupyterLab (`jupyter lab notebooks/`) or VS Code and pick " +
          'the "Deno" kernel.',
      );
    }
  } catch (e) {
    console.error(`jupyter:install: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
