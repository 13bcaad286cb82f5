/**
 * Writes the notebooks from their TypeScript sources, so notebooks are authored, reviewed, linted
 * and type-checked as code, while the `.ipynb` files Jupyter opens are still committed.
 *
 *   deno task notebooks:build [NAME ...]          notebooks/NAME.ts  → notebooks/NAME.ipynb
 *   deno task notebooks:build --from-ipynb NAME   notebooks/NAME.ipynb → notebooks/NAME.ts
 *
 * A source is a TypeScript module beside its notebook (so `../lib/...` imports resolve the same
 * way for `deno check` and for the kernel, whose working directory is `notebooks/`). Cells are
 * separated by marker lines, in the "percent" format editors already know:
 *
 * ```ts
 * // %% [markdown]
 * // # A heading
 * // Markdown, one `// ` comment line per line.
 *
 * // %%
 * import { PRIDEMM_TASKS } from "../lib/data/mod.ts";
 * PRIDEMM_TASKS
 * ```
 *
 * Generated notebooks carry no outputs and no execution counts, with the Deno kernelspec, and
 * are byte for byte what Jupyter writes back when it saves them. `--from-ipynb` brings edits made
 * in Jupyter back into the source, then rewrites the notebook from it (outputs dropped).
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { REPO_ROOT, writeFileAtomic } from "../lib/util/mod.ts";

/** Where notebooks and their sources live. */
export const NOTEBOOK_DIR = `${REPO_ROOT}/notebooks`;

/** One notebook cell as authored. */
export interface SourceCell {
  readonly kind: "code" | "markdown";
  /** The cell's text without trailing blank lines (markdown without its `// ` prefixes). */
  readonly source: string;
}

const CODE_MARKER = /^\/\/ %%\s*$/;
const MARKDOWN_MARKER = /^\/\/ %% \[markdown\]\s*$/;

/**
 * Splits a notebook source into cells. Lines before the first marker are not part of any cell
 * and must be blank or comments (a file header, kept out of the notebook); markdown cells must
 * consist of `//` lines.
 * `file` names the source in error messages.
 */
export function parseNotebookSource(text: string, file = "<source>"): SourceCell[] {
  const cells: { kind: "code" | "markdown"; lines: string[]; line: number }[] = [];
  text.replace(/\r\n/g, "\n").split("\n").forEach((line, i) => {
    if (MARKDOWN_MARKER.test(line)) cells.push({ kind: "markdown", lines: [], line: i + 1 });
    else if (CODE_MARKER.test(line)) cells.push({ kind: "code", lines: [], line: i + 1 });
    else if (cells.length > 0) cells[cells.length - 1].lines.push(line);
    else if (line.trim() !== "" && !/^\s*(\/\/|\/\*|\*)/.test(line)) {
      throw new Error(`${file}:${i + 1}: code before the first "// %%" cell marker`);
    }
  });
  if (cells.length === 0) throw new Error(`${file}: no "// %%" cell markers`);
  return cells.map(({ kind, lines, line }) => {
    while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
    while (lines.length > 0 && lines[0].trim() === "") lines.shift();
    if (kind === "markdown") {
      lines = lines.map((l, k) => {
        if (l.trim() === "") return "";
        if (!/^\/\/( |$)/.test(l)) {
          throw new Error(`${file}:${line + 1 + k}: markdown cell lines must start with "// "`);
        }
        return l.replace(/^\/\/ ?/, "");
      });
    }
    return { kind, source: lines.join("\n") };
  });
}

/** Formats cells back into source text (the inverse of {@linkcode parseNotebookSource}). */
export function formatNotebookSource(cells: readonly SourceCell[], header = ""): string {
  const parts = cells.map((c) =>
    c.kind === "markdown"
      ? "// %% [markdown]\n" +
        c.source.split("\n").map((l) => (l === "" ? "//" : `// ${l}`)).join("\n")
      : `// %%\n${c.source}`
  );
  return (header ? `${header.trimEnd()}\n\n` : "") + parts.join("\n\n") + "\n";
}

/** The kernelspec written into every notebook: the Deno kernel (`deno jupyter`). */
export const DENO_KERNELSPEC = { display_name: "Deno", language: "typescript", name: "deno" };

/**
 * The notebook's `language_info` exactly as the Deno kernel reports it in its `kernel_info_reply`
 * (Deno 2.9.6: TypeScript 6.0.3). JupyterLab and Jupyter Notebook copy the kernel's into the
 * notebook when the kernel starts: any other value marks the notebook modified as soon as it is
 * opened, and a save rewrites it. `tests/notebooks_test.ts` asks the kernel, so a Deno upgrade
 * that changes it fails there (rebuild the notebooks after updating this).
 */
export const DENO_LANGUAGE_INFO = {
  codemirror_mode: "typescript",
  file_extension: ".ts",
  mimetype: "text/x.typescript",
  name: "typescript",
  nbconvert_exporter: "script",
  pygments_lexer: "typescript",
  version: "6.0.3",
};

/**
 * The `.ipynb` JSON for `cells` (nbformat 4.5), output-free, byte for byte what Jupyter writes
 * back when the notebook is opened and saved (sorted keys, one-space indent, source as a list of
 * lines, the kernel's own `language_info`), so that saving from JupyterLab or Jupyter Notebook
 * changes nothing. Cell ids are `<stem>-<index>`.
 */
export function notebookJson(cells: readonly SourceCell[], stem: string): string {
  const nb = {
    cells: cells.map((c, i) => ({
      cell_type: c.kind,
      ...(c.kind === "code" ? { execution_count: null, outputs: [] } : {}),
      id: `${stem.replace(/[^A-Za-z0-9_-]/g, "-")}-${i}`,
      metadata: {},
      source: splitLines(c.source),
    })),
    metadata: {
      kernelspec: DENO_KERNELSPEC,
      language_info: DENO_LANGUAGE_INFO,
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

/** Cells of a parsed `.ipynb` (outputs and metadata dropped), for `--from-ipynb`. */
export function cellsFromNotebook(nb: unknown, file = "<notebook>"): SourceCell[] {
  const cells = (nb as { cells?: { cell_type: string; source: string | string[] }[] })?.cells;
  if (!Array.isArray(cells)) throw new Error(`${file}: not a notebook (no cells array)`);
  return cells.filter((c) => c.cell_type === "code" || c.cell_type === "markdown").map((c) => ({
    kind: c.cell_type as "code" | "markdown",
    source: (Array.isArray(c.source) ? c.source.join("") : c.source).replace(/\s+$/, ""),
  }));
}

/** Names (without extension) of the notebook sources `notebooks/*.ts`, sorted. */
export async function notebookSources(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOK_DIR)) {
    if (e.isFile && e.name.endsWith(".ts")) names.push(e.name.slice(0, -3));
  }
  return names.sort();
}

/** Builds `notebooks/<stem>.ipynb` from `notebooks/<stem>.ts`; returns whether it changed. */
export async function buildNotebook(stem: string): Promise<boolean> {
  const src = `${NOTEBOOK_DIR}/${stem}.ts`;
  const out = `${NOTEBOOK_DIR}/${stem}.ipynb`;
  const json = notebookJson(parseNotebookSource(await Deno.readTextFile(src), src), stem);
  const old = await Deno.readTextFile(out).catch(() => null);
  if (old === json) return false;
  await writeFileAtomic(out, json);
  return true;
}

/** The header comment of a source (lines before the first cell marker). */
function sourceHeader(text: string): string {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => CODE_MARKER.test(l) || MARKDOWN_MARKER.test(l));
  return lines.slice(0, first < 0 ? 0 : first).join("\n").trim();
}

function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const FLAGS = defineFlags([
  { name: "from-ipynb", type: "boolean", help: "write the sources from the notebooks instead" },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const usage = "deno task notebooks:build [--from-ipynb] [NAME ...]   (default: every source)";
  const names = Deno.args.filter((a) => !a.startsWith("--")).map((n) =>
    n.replace(/^.*\//, "").replace(/\.(ts|ipynb)$/, "")
  );
  const flags = parseFlagsOrExit(Deno.args.filter((a) => a.startsWith("--")), FLAGS, usage);
  try {
    if (flags["from-ipynb"]) {
      if (names.length === 0) throw new Error("--from-ipynb needs the notebook names to convert");
      for (const stem of names) {
        const nbPath = `${NOTEBOOK_DIR}/${stem}.ipynb`;
        const srcPath = `${NOTEBOOK_DIR}/${stem}.ts`;
        const cells = cellsFromNotebook(JSON.parse(await Deno.readTextFile(nbPath)), nbPath);
        const header = sourceHeader(await Deno.readTextFile(srcPath).catch(() => ""));
        await writeFileAtomic(srcPath, formatNotebookSource(cells, header));
        // And the notebook from the source: what Jupyter added (outputs, its metadata) goes.
        await buildNotebook(stem);
        console.log(`wrote ${srcPath} from ${nbPath}, then ${nbPath} from it (outputs dropped)`);
      }
    } else {
      for (const stem of names.length > 0 ? names : await notebookSources()) {
        const changed = await buildNotebook(stem);
        console.log(`${changed ? "wrote    " : "unchanged"} notebooks/${stem}.ipynb`);
      }
    }
  } catch (e) {
    console.error(`notebooks:build: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
