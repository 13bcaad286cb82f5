/**
 * The Jupyter frontends the notebooks are tried in (`tests/notebooks_browser_test.ts`), each
 * started on a loopback port with the repository's kernelspec and nothing of the user's Jupyter:
 *
 * - `notebook`: Jupyter Notebook 6 as Debian packages it (`apt install jupyter-notebook`);
 * - `lab`: JupyterLab 4, which Debian does not package: pip installs it into a virtual
 *   environment under `.cache/jupyter/lab` (git-ignored, never system-wide);
 * - `lab-plotly`: the same JupyterLab with plotly's own renderer, the jupyterlab-plotly
 *   extension that `pip install plotly` brings, installed under `.cache/jupyter/plotly` and put on
 *   `JUPYTER_PATH` for this frontend only.
 *
 *   deno run -A scripts/notebook_frontends.ts install   pip part, best effort: says why not
 *   deno run -A scripts/notebook_frontends.ts list      which frontends are there
 *
 * `scripts/bootstrap.sh test` installs the apt packages and runs `install`.
 *
 * @module
 */
import { REPO_ROOT } from "../lib/util/mod.ts";
import { KERNELSPEC_PATH } from "./run_notebooks.ts";

/** A frontend's name. */
export type FrontendName = "notebook" | "lab" | "lab-plotly";

/** The pinned versions pip installs (JupyterLab 4.6 is what researchers were seen to use). */
export const PIP_PACKAGES = { jupyterlab: "4.6.4", plotly: "7.1.0" } as const;

/** Where pip's part goes. */
export const LAB_VENV = `${REPO_ROOT}/.cache/jupyter/lab`;
/** The prefix plotly is installed into; its `share/jupyter` holds jupyterlab-plotly. */
export const PLOTLY_PREFIX = `${REPO_ROOT}/.cache/jupyter/plotly`;
const PLOTLY_EXTENSION = `${PLOTLY_PREFIX}/share/jupyter/labextensions/jupyterlab-plotly`;
const CLASSIC = "/usr/bin/jupyter-notebook";

/** A frontend and whether it can start here. */
export interface Frontend {
  /** Its name. */
  readonly name: FrontendName;
  /** In words, with its version. */
  readonly title: string;
  /** Why it cannot start here; `null` when it can. */
  readonly missing: string | null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function output(command: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** The version of JupyterLab in {@linkcode LAB_VENV} (asked of its metadata: fast), or null. */
async function labVersion(): Promise<string | null> {
  if (!(await isFile(`${LAB_VENV}/bin/jupyter-lab`))) return null;
  return await output(`${LAB_VENV}/bin/python`, [
    "-c",
    "import importlib.metadata as m; print(m.version('jupyterlab'))",
  ]);
}

/** The three frontends, each with why it cannot start here, if it cannot. */
export async function findFrontends(): Promise<Frontend[]> {
  const classic = await output(CLASSIC, ["--version"]);
  const lab = await labVersion();
  const plotly = await isFile(`${PLOTLY_EXTENSION}/package.json`);
  const noLab = `no JupyterLab in ${LAB_VENV} (\`deno run -A scripts/notebook_frontends.ts ` +
    "install` needs pip and a Python package index)";
  return [
    {
      name: "notebook",
      title: `Jupyter Notebook ${classic ?? ""}`.trim(),
      missing: classic ? null : `no ${CLASSIC} (apt install jupyter-notebook)`,
    },
    { name: "lab", title: `JupyterLab ${lab ?? ""}`.trim(), missing: lab ? null : noLab },
    {
      name: "lab-plotly",
      title: `JupyterLab ${lab ?? ""} with jupyterlab-plotly (plotly ${PIP_PACKAGES.plotly})`,
      missing: !lab ? noLab : plotly ? null : `no jupyterlab-plotly in ${PLOTLY_PREFIX}`,
    },
  ];
}

async function run(command: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    if (out.success) return null;
    const text = new TextDecoder().decode(out.stderr).split("\n")
      .filter((l) => l.trim() && !/^WARNING: (Retrying|Location)/.test(l));
    return text.slice(-3).join(" ") || `exit status ${out.code}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Installs JupyterLab into {@linkcode LAB_VENV} and plotly (for its JupyterLab extension) into
 * {@linkcode PLOTLY_PREFIX} with Debian's Python, unless they are there. Best effort: returns
 * one line per part that could not be installed (no `python3 -m venv`, no package index), and
 * leaves nothing half-installed behind.
 */
export async function installPipFrontends(log: (line: string) => void = console.log): Promise<
  string[]
> {
  const problems: string[] = [];
  const pip = `${LAB_VENV}/bin/pip`;
  // One try per index and a short timeout: an unreachable index then fails in seconds.
  const pipArgs = ["install", "--quiet", "--disable-pip-version-check", "--retries", "0"];
  if ((await labVersion()) !== PIP_PACKAGES.jupyterlab) {
    log(`notebook_frontends: pip install jupyterlab==${PIP_PACKAGES.jupyterlab} into ${LAB_VENV}`);
    await Deno.remove(LAB_VENV, { recursive: true }).catch(() => {});
    const problem = await run("/usr/bin/python3", ["-m", "venv", LAB_VENV]) ??
      await run(pip, [...pipArgs, "--timeout", "30", `jupyterlab==${PIP_PACKAGES.jupyterlab}`]);
    if (problem) {
      await Deno.remove(LAB_VENV, { recursive: true }).catch(() => {});
      problems.push(`JupyterLab not installed: ${problem}`);
      return problems;
    }
  }
  if (!(await isFile(`${PLOTLY_EXTENSION}/package.json`))) {
    log(`notebook_frontends: pip install plotly==${PIP_PACKAGES.plotly} into ${PLOTLY_PREFIX}`);
    await Deno.remove(PLOTLY_PREFIX, { recursive: true }).catch(() => {});
    const problem = await run(pip, [
      ...pipArgs,
      "--timeout",
      "30",
      "--no-deps",
      "--prefix",
      PLOTLY_PREFIX,
      `plotly==${PIP_PACKAGES.plotly}`,
    ]);
    if (problem) {
      await Deno.remove(PLOTLY_PREFIX, { recursive: true }).catch(() => {});
      problems.push(`jupyterlab-plotly not installed: ${problem}`);
    } else {
      // Only the extension is used; plotly's Python package (60 MB) is not.
      await Deno.remove(`${PLOTLY_PREFIX}/lib`, { recursive: true }).catch(() => {});
    }
  }
  return problems;
}

/** A running Jupyter server. */
export interface JupyterServer {
  /** Which frontend. */
  readonly frontend: FrontendName;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** The token every request needs (`?token=`). */
  readonly token: string;
  /** A URL that opens `path` (relative to the server's root) alone in a page of this frontend. */
  notebookUrl(path: string): string;
  /** What the server printed so far. */
  log(): string;
  /** Shuts down the kernel of the notebook at `path` (relative to the root), if one runs. */
  shutDownKernelOf(path: string): Promise<void>;
  /** Shuts its kernels down, then the server (SIGTERM, SIGKILL after 15 s); idempotent. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startJupyter}. */
export interface StartJupyterOptions {
  /** The directory the server serves (default the repository). */
  readonly root?: string;
  /** The kernels' environment (the server passes its own on); `JUPYTER_*` are set here. */
  readonly env?: Readonly<Record<string, string>>;
  /** Seconds to wait for the server (default 90). */
  readonly timeoutSeconds?: number;
}

/** A free loopback TCP port (asked of the OS, then released for the server to take). */
export function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** JupyterLab settings for a test: no autosave behind the test's back, no news pop-up. */
const LAB_SETTINGS: Record<string, unknown> = {
  "@jupyterlab/docmanager-extension/plugin": { autosave: false },
  "@jupyterlab/apputils-extension/notification": { fetchNews: "false", checkForUpdates: false },
};

/**
 * Starts a frontend's server on a free loopback port with a fresh, temporary Jupyter state
 * (config, data, runtime, settings and workspace directories), the repository's kernelspec on
 * `JUPYTER_PATH` (and, for `lab-plotly`, plotly's extension), and waits until it answers.
 */
export async function startJupyter(
  frontend: FrontendName,
  options: StartJupyterOptions = {},
): Promise<JupyterServer> {
  const root = options.root ?? REPO_ROOT;
  const token = crypto.randomUUID();
  const jupyterPath = [KERNELSPEC_PATH];
  if (frontend === "lab-plotly") jupyterPath.push(`${PLOTLY_PREFIX}/share/jupyter`);
  let lastError = "";
  // A port taken between asking and binding: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = await Deno.makeTempDir({ prefix: `memesense-${frontend}-` });
    for (const [plugin, settings] of Object.entries(LAB_SETTINGS)) {
      const file = `${state}/settings/${plugin}.jupyterlab-settings`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, JSON.stringify(settings));
    }
    const env: Record<string, string> = {
      ...(options.env ?? Deno.env.toObject()),
      JUPYTER_PATH: jupyterPath.join(":"),
      JUPYTER_CONFIG_DIR: `${state}/config`,
      JUPYTER_DATA_DIR: `${state}/data`,
      JUPYTER_RUNTIME_DIR: `${state}/runtime`,
      JUPYTERLAB_SETTINGS_DIR: `${state}/settings`,
      JUPYTERLAB_WORKSPACES_DIR: `${state}/workspaces`,
    };
    const port = freeLoopbackPort();
    const args = frontend === "notebook"
      ? [
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        `--port=${port}`,
        "--port-retries=0",
        `--NotebookApp.token=${token}`,
        `--notebook-dir=${root}`,
      ]
      : [
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        `--ServerApp.port=${port}`,
        "--ServerApp.port_retries=0",
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${root}`,
      ];
    const command = frontend === "notebook" ? CLASSIC : `${LAB_VENV}/bin/jupyter-lab`;
    const child = new Deno.Command(command, {
      args,
      env,
      clearEnv: true,
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let printed = "";
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) printed += chunk;
    };
    const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const base = `http://127.0.0.1:${port}`;
    let stopped: Promise<void> | undefined;
    const server: JupyterServer = {
      frontend,
      base,
      token,
      // JupyterLab: a workspace of its own per page, or it reopens the notebooks of earlier pages
      // beside this one (and "Run All" may run one of those).
      notebookUrl: (path) =>
        frontend === "notebook"
          ? `${base}/notebooks/${path}?token=${token}`
          : `${base}/lab/workspaces/${crypto.randomUUID().slice(0, 8)}/tree/${path}?reset` +
            `&token=${token}`,
      log: () => printed,
      shutDownKernelOf: async (path) => {
        const sessions = await (await fetch(`${base}/api/sessions?token=${token}`)).json();
        for (const s of sessions as { id: string; path: string }[]) {
          if (s.path !== path) continue;
          await (await fetch(`${base}/api/sessions/${s.id}?token=${token}`, {
            method: "DELETE",
          })).body?.cancel();
        }
      },
      stop: () =>
        stopped ??= (async () => {
          if (!exited) {
            // Kernels first, through the server's API, so that none outlives it.
            try {
              const kernels = await (await fetch(`${base}/api/kernels?token=${token}`)).json();
              for (const k of kernels as { id: string }[]) {
                await (await fetch(`${base}/api/kernels/${k.id}?token=${token}`, {
                  method: "DELETE",
                })).body?.cancel();
              }
            } catch { /* the server is not answering: signals follow */ }
            try {
              child.kill("SIGTERM");
            } catch { /* gone */ }
            const timer = setTimeout(() => {
              try {
                child.kill("SIGKILL");
              } catch { /* gone */ }
            }, 15_000);
            await status;
            clearTimeout(timer);
          }
          await collected.catch(() => {});
          await Deno.remove(state, { recursive: true }).catch(() => {});
        })(),
    };
    const deadline = Date.now() + (options.timeoutSeconds ?? 90) * 1000;
    while (!exited && Date.now() < deadline) {
      try {
        const response = await fetch(`${base}/api/status?token=${token}`);
        await response.body?.cancel();
        if (response.ok) return server;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 250));
    }
    lastError = exited
      ? `exited: ${printed.trim().split("\n").slice(-3).join(" | ")}`
      : `did not answer within ${options.timeoutSeconds ?? 90} s`;
    await server.stop();
    if (!exited) break;
  }
  throw new Error(`${frontend}: the Jupyter server did not start (${lastError})`);
}

if (import.meta.main) {
  const [command] = Deno.args;
  if (command === "install") {
    const problems = await installPipFrontends();
    for (const p of problems) console.log(`notebook_frontends: ${p} (skipped: best effort)`);
  } else if (command !== "list") {
    console.error("usage: deno run -A scripts/notebook_frontends.ts install|list");
    Deno.exit(2);
  }
  for (const f of await findFrontends()) {
    console.log(`${f.name.padEnd(10)} ${f.missing ? `missing: ${f.missing}` : f.title}`);
  }
}
