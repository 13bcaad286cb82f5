/**
 * Executes the notebooks headlessly on the Deno kernel and checks what they produced.
 *
 *   deno task notebooks [NAME ...] [--out results/notebooks] [--timeout 600] [--online]
 *
 * Each notebook runs through `scripts/run_notebook.py` (Debian's nbclient, tolerant of the Deno
 * kernel's late outputs) with the repository's kernelspec on `JUPYTER_PATH`, so nothing is
 * installed into the user's Jupyter. The executed copies go to `results/notebooks/`; a notebook
 * passes when every code cell ran, none produced an error, at least one figure was
 * displayed, no cell left an empty result (a figure call whose value the kernel echoed) and no
 * table was printed as text instead of displayed as Markdown. `MEMESENSE_OFFLINE=1` is set unless the environment already sets it (or `--online`):
 * the notebooks then use the tiny CLIP model and the synthetic memes.
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { notebookOutputKind } from "../lib/report/mod.ts";
import { formatDuration, REPO_ROOT, writeJsonAtomic } from "../lib/util/mod.ts";
/** Where the notebooks live. */
export const NOTEBOOK_DIR = `${REPO_ROOT}/notebooks`;
/** The directory to put on `JUPYTER_PATH` for the repository's Deno kernelspec. */
export const KERNELSPEC_PATH = `${NOTEBOOK_DIR}/jupyter`;
/** Default directory of the executed copies. */
export const DEFAULT_EXECUTED_DIR = `${REPO_ROOT}/results/notebooks`;

/** Options for {@linkcode runNotebooks}. */
export interface RunNotebooksOptions {
  /** Notebook paths or names (`00_overview`); default every `notebooks/*.ipynb`, sorted. */
  readonly notebooks?: readonly string[];
  /** Directory for the executed copies (default `results/notebooks`). */
  readonly outDir?: string;
  /** Seconds allowed per cell (default 600). */
  readonly cellTimeoutSeconds?: number;
  /** Seconds allowed per notebook before the run is killed (default 900). */
  readonly notebookTimeoutSeconds?: number;
  /** Set `MEMESENSE_OFFLINE=1` when the environment does not set it (default true). */
  readonly offline?: boolean;
  /** Extra environment variables for the kernel (the current environment is passed through). */
  readonly env?: Readonly<Record<string, string>>;
  /** The Python with nbclient (default `/usr/bin/python3`, Debian's). */
  readonly python?: string;
  /** Where progress lines go (default console.log); `null` for silence. */
  readonly log?: ((line: string) => void) | null;
}

/** What one notebook run produced. */
export interface NotebookRun {
  /** Notebook file name, e.g. `00_overview.ipynb`. */
  readonly name: string;
  /** Path of the source notebook. */
  readonly notebook: string;
  /** Path of the executed copy (absent when the runner wrote none). */
  readonly executed: string;
  /** Wall-clock seconds, kernel start included. */
  readonly seconds: number;
  /** Exit status of the Python runner. */
  readonly exitCode: number;
  /** Number of figures displayed. */
  readonly figures: number;
  /** Everything wrong with the run; empty when it passed. */
  readonly problems: readonly string[];
  /** Whether the notebook passed. */
  readonly ok: boolean;
}

/** What {@linkcode inspectExecutedNotebook} finds in an executed notebook. */
export interface ExecutedNotebookReport {
  /** Figures displayed (outputs of `display(figure)`: the plotly type or the figure's HTML). */
  readonly figures: number;
  /** Outputs that brought plotly.js to the page: one per kernel session with figures. */
  readonly plotlyOutputs: number;
  /** One line per error output: `cell 3: TypeError: …`. */
  readonly errors: readonly string[];
  /** 1-based indices of code cells with source that never ran. */
  readonly unexecuted: readonly number[];
  /**
   * 1-based indices of cells whose `execute_result` shows nothing: no data, or `undefined` —
   * a value the cell ended with (e.g. a figure call's) that the kernel echoed as an empty output.
   */
  readonly emptyResults: readonly number[];
  /** 1-based indices of cells that printed a Markdown table as text (a `| --- |` row in a stream). */
  readonly textTables: readonly number[];
}

interface NotebookJson {
  cells: {
    cell_type: string;
    source: string | string[];
    execution_count?: number | null;
    outputs?: {
      output_type: string;
      text?: string | string[];
      data?: Record<string, unknown>;
      ename?: string;
      evalue?: string;
    }[];
  }[];
}

/** A Markdown table's delimiter row, e.g. `| :--- | ---: |`. */
const TABLE_DELIMITER = /^\s*\|(\s*:?-+:?\s*\|)+\s*$/m;

/**
 * Counts figures, error outputs, unexecuted cells, empty results and tables printed as text in
 * a parsed executed notebook.
 */
export function inspectExecutedNotebook(nb: unknown): ExecutedNotebookReport {
  const cells = (nb as NotebookJson)?.cells;
  if (!Array.isArray(cells)) throw new Error("not a notebook: no cells array");
  let figures = 0;
  let plotlyOutputs = 0;
  const errors: string[] = [];
  const unexecuted: number[] = [];
  const emptyResults = new Set<number>();
  const textTables = new Set<number>();
  const text = (t: string | string[] | undefined) => Array.isArray(t) ? t.join("") : t ?? "";
  cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (source.trim() !== "" && cell.execution_count == null) unexecuted.push(i + 1);
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") {
        errors.push(`cell ${i + 1}: ${out.ename ?? "Error"}: ${stripAnsi(out.evalue ?? "")}`);
      }
      const kind = out.data ? notebookOutputKind(out.data) : "other";
      if (kind === "figure") figures++;
      if (kind === "plotly.js") plotlyOutputs++;
      if (out.output_type === "execute_result") {
        const mimes = Object.keys(out.data ?? {});
        const plain = text(out.data?.["text/plain"] as string | string[] | undefined).trim();
        const shown = mimes.some((m) => m !== "text/plain") || !["", "undefined"].includes(plain);
        if (!shown) emptyResults.add(i + 1);
      }
      if (out.output_type === "stream" && TABLE_DELIMITER.test(text(out.text))) {
        textTables.add(i + 1);
      }
    }
  });
  return {
    figures,
    plotlyOutputs,
    errors,
    unexecuted,
    emptyResults: [...emptyResults],
    textTables: [...textTables],
  };
}

/**
 * Resolves notebook arguments to paths: a path as given, else a name in `notebooks/` with or
 * without `.ipynb`. No arguments: every `notebooks/*.ipynb`, sorted by name.
 */
export async function listNotebooks(args: readonly string[] = []): Promise<string[]> {
  if (args.length === 0) {
    const names: string[] = [];
    for await (const e of Deno.readDir(NOTEBOOK_DIR)) {
      if (e.isFile && e.name.endsWith(".ipynb")) names.push(e.name);
    }
    return names.sort().map((n) => `${NOTEBOOK_DIR}/${n}`);
  }
  const out: string[] = [];
  for (const arg of args) {
    const candidates = [arg, `${NOTEBOOK_DIR}/${arg}`, `${NOTEBOOK_DIR}/${arg}.ipynb`];
    let found: string | undefined;
    for (const c of candidates) {
      if (c.endsWith(".ipynb") && await isFile(c)) {
        found = c;
        break;
      }
    }
    if (!found) throw new Error(`no notebook "${arg}" (looked for ${candidates.join(", ")})`);
    out.push(found);
  }
  return out;
}

/** The environment the Python runner (and so the kernel) gets. */
export function notebookEnv(opts: RunNotebooksOptions = {}): Record<string, string> {
  const env: Record<string, string> = { ...Deno.env.toObject(), ...opts.env };
  const jupyterPath = env.JUPYTER_PATH;
  env.JUPYTER_PATH = jupyterPath ? `${KERNELSPEC_PATH}:${jupyterPath}` : KERNELSPEC_PATH;
  // The kernelspec starts `deno` from PATH: make it this Deno, wherever it is installed.
  const denoDir = Deno.execPath().replace(/\/[^/]*$/, "");
  env.PATH = env.PATH ? `${denoDir}:${env.PATH}` : denoDir;
  env.NO_COLOR = "1";
  if ((opts.offline ?? true) && env.MEMESENSE_OFFLINE === undefined) env.MEMESENSE_OFFLINE = "1";
  return env;
}

/** Executes one notebook and checks the executed copy. */
export async function runNotebook(
  notebook: string,
  opts: RunNotebooksOptions = {},
): Promise<NotebookRun> {
  const name = notebook.slice(notebook.lastIndexOf("/") + 1);
  const outDir = opts.outDir ?? DEFAULT_EXECUTED_DIR;
  await Deno.mkdir(outDir, { recursive: true });
  const executed = `${outDir}/${name}`;
  await Deno.remove(executed).catch(() => {}); // never judge a stale copy from an earlier run
  const cellTimeout = opts.cellTimeoutSeconds ?? 600;
  const notebookTimeout = opts.notebookTimeoutSeconds ?? 900;

  const t0 = performance.now();
  const child = new Deno.Command(opts.python ?? "/usr/bin/python3", {
    args: [
      `${REPO_ROOT}/scripts/run_notebook.py`,
      notebook,
      executed,
      "--timeout",
      String(cellTimeout),
    ],
    cwd: REPO_ROOT,
    env: notebookEnv(opts),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  // SIGTERM lets nbclient shut the kernel down; SIGKILL follows if it does not exit.
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
    setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 10_000);
  }, notebookTimeout * 1000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;

  const problems: string[] = [];
  const log = runnerLog(new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr));
  // After a kill the runner's own messages are only about being stopped.
  if (timedOut) problems.push(`stopped after ${notebookTimeout}s (--notebook-timeout)`);
  else if (code !== 0 && log) problems.push(log);
  else if (code !== 0) problems.push(`run_notebook.py exited with status ${code}`);
  let figures = 0;
  try {
    const report = inspectExecutedNotebook(JSON.parse(await Deno.readTextFile(executed)));
    figures = report.figures;
    if (code === 0) problems.push(...report.errors); // a failed run's error is already in its log
    if (report.unexecuted.length > 0 && code === 0) {
      problems.push(`code cells never ran: ${report.unexecuted.join(", ")}`);
    }
    if (figures === 0) problems.push(`no figure (an output of display(figure))`);
    else if (report.plotlyOutputs !== 1) {
      problems.push(`plotly.js was sent ${report.plotlyOutputs} times, not once per session`);
    }
    if (report.emptyResults.length > 0) {
      problems.push(
        `empty results under cells ${report.emptyResults.join(", ")} ` +
          "(end a cell with `await display(…)`, not with a value)",
      );
    }
    if (report.textTables.length > 0) {
      problems.push(
        `tables printed as text in cells ${report.textTables.join(", ")} ` +
          "(show them with `displayMarkdown(markdownTable(…))`)",
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    problems.push("no executed copy was written");
  }
  return {
    name,
    notebook,
    executed,
    seconds,
    exitCode: code,
    figures,
    problems,
    ok: problems.length === 0,
  };
}

/**
 * Executes the notebooks one after another (each takes the whole machine), logging one line per
 * notebook, then writes `summary.json` beside the executed copies.
 */
export async function runNotebooks(opts: RunNotebooksOptions = {}): Promise<NotebookRun[]> {
  const log = opts.log === undefined ? console.log : opts.log;
  const notebooks = await listNotebooks(opts.notebooks);
  const outDir = opts.outDir ?? DEFAULT_EXECUTED_DIR;
  const runs: NotebookRun[] = [];
  for (const [i, nb] of notebooks.entries()) {
    const run = await runNotebook(nb, opts);
    runs.push(run);
    log?.(
      `[${i + 1}/${notebooks.length}] ${run.ok ? "ok  " : "FAIL"} ${run.name.padEnd(28)} ${
        run.seconds.toFixed(1).padStart(6)
      }s  ${run.figures} figure${run.figures === 1 ? "" : "s"}`,
    );
    for (const p of run.problems) log?.(indent(p, "       "));
  }
  await Deno.mkdir(outDir, { recursive: true });
  await writeJsonAtomic(`${outDir}/summary.json`, {
    offline: notebookEnv(opts).MEMESENSE_OFFLINE ?? null,
    notebooks: runs.map((r) => ({
      name: r.name,
      ok: r.ok,
      seconds: Math.round(r.seconds * 10) / 10,
      figures: r.figures,
      problems: r.problems,
    })),
  });
  return runs;
}

/** `3/3 notebooks passed in 12.4s (executed copies in …)`. */
export function formatSummary(runs: readonly NotebookRun[], outDir = DEFAULT_EXECUTED_DIR): string {
  const passed = runs.filter((r) => r.ok).length;
  const total = runs.reduce((s, r) => s + r.seconds, 0);
  const failed = runs.filter((r) => !r.ok).map((r) => r.name);
  return `${passed}/${runs.length} notebooks passed in ${formatDuration(total)}` +
    (failed.length ? `; failed: ${failed.join(", ")}` : "") + ` (executed copies in ${outDir})`;
}

/** The runner's output without the kernel's start-up banner and asyncio shutdown noise. */
function runnerLog(text: string): string {
  const noise = [/^Warning "deno jupyter" is unstable/, /^Task was destroyed/, /^task: <Task/];
  return stripAnsi(text).split("\n").filter((l) => l.trim() && !noise.some((n) => n.test(l)))
    .join("\n");
}

function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

function indent(s: string, prefix: string): string {
  return s.split("\n").map((l) => prefix + l).join("\n");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

const FLAGS = defineFlags([
  {
    name: "out",
    type: "string",
    help: "directory for the executed copies",
    default: "results/notebooks",
  },
  { name: "timeout", type: "number", help: "seconds allowed per cell", default: 600 },
  {
    name: "notebook-timeout",
    type: "number",
    help: "seconds allowed per notebook",
    default: 900,
  },
  { name: "online", type: "boolean", help: "do not set MEMESENSE_OFFLINE=1" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** Splits `NAME ...` positionals from `--flags` (a value-taking flag consumes the next word). */
function splitArgs(args: readonly string[]): { names: string[]; flags: string[] } {
  const names: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      names.push(a);
      continue;
    }
    flags.push(a);
    const spec = FLAGS.find((f) => f.name === a.slice(2));
    if (spec && spec.type !== "boolean" && !a.includes("=") && i + 1 < args.length) {
      flags.push(args[++i]);
    }
  }
  return { names, flags };
}

if (import.meta.main) {
  const usage = "deno task notebooks [NAME ...] [flags]   (NAME: e.g. 00_overview; default: all)";
  const { names, flags: flagArgs } = splitArgs(Deno.args);
  const flags = parseFlagsOrExit(flagArgs, FLAGS, usage);
  const out = flags.out;
  const outDir = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
  let runs: NotebookRun[];
  try {
    runs = await runNotebooks({
      notebooks: names,
      outDir,
      cellTimeoutSeconds: flags.timeout,
      notebookTimeoutSeconds: flags["notebook-timeout"],
      offline: !flags.online,
    });
  } catch (e) {
    console.error(`notebooks: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
  console.log(formatSummary(runs, outDir));
  Deno.exit(runs.length > 0 && runs.every((r) => r.ok) ? 0 : 1);
}
