/**
 * Checks the committed notebooks: no outputs, no execution counts, the Deno kernelspec, and the
 * cells (type and source, in order) of each equal to its TypeScript source's. Outputs in git
 * bloat the history, leak local paths and make every re-run a diff; the executed copies belong in
 * `results/notebooks/`.
 *
 * Metadata that Jupyter owns — `language_info` (copied from the running kernel), cell ids, cell
 * and notebook metadata an extension adds — is not compared: a notebook saved from JupyterLab or
 * Jupyter Notebook without running it passes. (`deno task notebooks:build` writes exactly what
 * Jupyter writes back, so such a save changes nothing to begin with.)
 *
 *   deno task notebooks:check      (exit status 1 and one line per problem when any)
 *
 * @module
 */
import {
  cellsFromNotebook,
  NOTEBOOK_DIR,
  parseNotebookSource,
  type SourceCell,
} from "./build_notebooks.ts";

interface NotebookJson {
  nbformat?: number;
  metadata?: { kernelspec?: { name?: string } };
  cells?: { cell_type: string; execution_count?: number | null; outputs?: unknown[] }[];
}

/** Problems with one notebook's text, as `file: problem` lines; empty when it is clean. */
export function checkNotebookText(text: string, file: string): string[] {
  let nb: NotebookJson;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    return [`${file}: not valid JSON (${e instanceof Error ? e.message : e})`];
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) return [`${file}: not an nbformat 4 notebook`];
  const problems: string[] = [];
  if (nb.metadata?.kernelspec?.name !== "deno") {
    problems.push(
      `${file}: kernelspec is ${JSON.stringify(nb.metadata?.kernelspec?.name)}, expected "deno"`,
    );
  }
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length > 0) {
      problems.push(`${file}: cell ${i + 1} has ${cell.outputs!.length} output(s)`);
    }
    if (cell.execution_count != null) {
      problems.push(`${file}: cell ${i + 1} has execution count ${cell.execution_count}`);
    }
  });
  return problems;
}

/**
 * How a notebook's cells differ from its source's, as one line naming the first differing cell
 * (1-based, counting every cell as Jupyter numbers them), or `null` when they are the same.
 */
export function cellDifference(
  notebook: readonly SourceCell[],
  source: readonly SourceCell[],
): string | null {
  const n = Math.max(notebook.length, source.length);
  for (let i = 0; i < n; i++) {
    const a = notebook[i];
    const b = source[i];
    if (!a) return `cell ${i + 1} (${b.kind}) is in the source only`;
    if (!b) return `cell ${i + 1} (${a.kind}) is in the notebook only`;
    if (a.kind !== b.kind) {
      return `cell ${i + 1} is ${a.kind} in the notebook, ${b.kind} in the source`;
    }
    if (a.source !== b.source) {
      const lines = [a.source.split("\n"), b.source.split("\n")];
      const line = lines[0].findIndex((l, k) => l !== lines[1][k]);
      const at = line < 0 ? lines[0].length + 1 : line + 1;
      return `cell ${i + 1} (${a.kind}) differs at its line ${at}`;
    }
  }
  return null;
}

/**
 * Checks every `*.ipynb` in `dir` (default `notebooks/`) with {@linkcode checkNotebookText}, and
 * that each notebook with a `.ts` source has the source's cells (and each source has its
 * notebook). Returns the problems; empty when all is well.
 */
export async function checkCommittedNotebooks(dir: string = NOTEBOOK_DIR): Promise<string[]> {
  const files = new Set<string>();
  for await (const e of Deno.readDir(dir)) if (e.isFile) files.add(e.name);
  const problems: string[] = [];
  for (const name of [...files].sort()) {
    const path = `${dir}/${name}`;
    if (name.endsWith(".ipynb")) {
      const text = await Deno.readTextFile(path);
      const own = checkNotebookText(text, path);
      problems.push(...own);
      const stem = name.slice(0, -".ipynb".length);
      const readable = !own.some((p) => / not (valid JSON|an nbformat 4 notebook)/.test(p));
      if (readable && files.has(`${stem}.ts`)) {
        const src = `${dir}/${stem}.ts`;
        try {
          const difference = cellDifference(
            cellsFromNotebook(JSON.parse(text), path),
            parseNotebookSource(await Deno.readTextFile(src), src),
          );
          if (difference !== null) {
            problems.push(
              `${path}: differs from its source ${stem}.ts: ${difference} (edited in Jupyter: ` +
                `\`deno task notebooks:build --from-ipynb ${stem}\`; edited the source: ` +
                "`deno task notebooks:build`)",
            );
          }
        } catch (e) {
          problems.push(`${src}: ${e instanceof Error ? e.message : e}`);
        }
      }
    } else if (name.endsWith(".ts") && !files.has(`${name.slice(0, -3)}.ipynb`)) {
      problems.push(`${path}: source without its notebook (run \`deno task notebooks:build\`)`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await checkCommittedNotebooks();
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log("notebooks: committed copies are output-free and have their sources' cells");
}
