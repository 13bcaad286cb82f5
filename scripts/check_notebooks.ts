/**
 * Checks the committed notebooks: no outputs, no execution counts, the Deno kernelspec, and each
 * in step with its TypeScript source. Outputs in git bloat the history, leak local paths and
 * make every re-run a diff; the executed copies belong in `results/notebooks/`.
 *
 *   deno task notebooks:check      (exit status 1 and one line per problem when any)
 *
 * @module
 */
import { NOTEBOOK_DIR, notebookJson, parseNotebookSource } from "./build_notebooks.ts";

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
 * Checks every `*.ipynb` in `dir` (default `notebooks/`) with {@linkcode checkNotebookText}, and
 * that each notebook with a `.ts` source equals what the source builds (and each source has its
 * notebook). Returns the problems; empty when all is well.
 */
export async function checkCommittedNotebooks(dir: string = NOTEBOOK_DIR): Promise<string[]> {
  const files = new Set<string>();
  for await (const e of Deno.readDir(dir)) if (e.isFile) files.add(e.name);
  const problems: string[] = [];
  const fix = "run `deno task notebooks:build`";
  for (const name of [...files].sort()) {
    const path = `${dir}/${name}`;
    if (name.endsWith(".ipynb")) {
      const text = await Deno.readTextFile(path);
      problems.push(...checkNotebookText(text, path));
      const stem = name.slice(0, -".ipynb".length);
      if (files.has(`${stem}.ts`)) {
        const src = `${dir}/${stem}.ts`;
        let built: string | undefined;
        try {
          built = notebookJson(parseNotebookSource(await Deno.readTextFile(src), src), stem);
        } catch (e) {
          problems.push(`${src}: ${e instanceof Error ? e.message : e}`);
        }
        if (built !== undefined && built !== text) {
          problems.push(`${path}: differs from its source ${stem}.ts (${fix})`);
        }
      }
    } else if (name.endsWith(".ts") && !files.has(`${name.slice(0, -3)}.ipynb`)) {
      problems.push(`${path}: source without its notebook (${fix})`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await checkCommittedNotebooks();
  for (const p of problems) console.error(p);
  if (problems.length > 0) Deno.exit(1);
  console.log("notebooks: committed copies are output-free and match their sources");
}
