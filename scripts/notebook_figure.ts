/**
 * Renders one plotly figure of an executed notebook to PNG with headless Chromium — how the
 * README's `docs/figure.png` is made:
 *
 *   deno task notebooks 08_training
 *   deno run -A scripts/notebook_figure.ts --notebook results/notebooks/08_training.ipynb \
 *     --title "training curves" --out docs/figure.png
 *
 * The figure is the first whose title contains `--title` (case-insensitive), or the
 * `--index`-th plotly output (from 0). A figure redrawn in place (live training curves) is
 * taken in its final state, as the executed notebook stores it.
 *
 * @module
 */
import { defineFlags, helpText, parseFlags, UsageError } from "../lib/config/mod.ts";
import { type Figure, figureTitle, PLOTLY_MIME, screenshotFigure } from "../lib/report/mod.ts";

/** Every plotly figure in an executed notebook (nbformat 4), in output order. */
export function notebookFigures(notebook: unknown, file = "<notebook>"): Figure[] {
  const cells = (notebook as { cells?: unknown })?.cells;
  if (!Array.isArray(cells)) throw new Error(`${file}: not a notebook (no cells array)`);
  const figures: Figure[] = [];
  for (const cell of cells) {
    for (
      const output of (cell as { outputs?: { data?: Record<string, unknown> }[] }).outputs ?? []
    ) {
      const figure = output.data?.[PLOTLY_MIME];
      if (figure) figures.push(figure as Figure);
    }
  }
  return figures;
}

/** Picks a figure by a title substring (case-insensitive) or by index; throws naming the choices. */
export function pickFigure(
  figures: readonly Figure[],
  by: { title?: string; index?: number },
  file = "<notebook>",
): Figure {
  const titles = () => figures.map((f, i) => `  ${i}: ${figureTitle(f)}`).join("\n");
  if (by.title !== undefined) {
    const needle = by.title.toLowerCase();
    const hit = figures.find((f) => figureTitle(f).toLowerCase().includes(needle));
    if (!hit) {
      throw new Error(`${file}: no figure title contains "${by.title}"; figures:\n${titles()}`);
    }
    return hit;
  }
  const index = by.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= figures.length) {
    throw new Error(
      `${file}: figure index ${index} out of range (${figures.length} figures):\n${titles()}`,
    );
  }
  return figures[index];
}

const FLAGS = defineFlags([
  { name: "notebook", type: "string", help: "the executed notebook (results/notebooks/…)" },
  { name: "title", type: "string", help: "pick the first figure whose title contains this" },
  { name: "index", type: "integer", default: 0, help: "pick the N-th figure (from 0)" },
  { name: "out", type: "string", default: "docs/figure.png", help: "PNG to write" },
  { name: "width", type: "number", default: 900, help: "width in CSS pixels" },
  { name: "scale", type: "number", default: 1.5, help: "device pixel ratio" },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const usage = "deno run -A scripts/notebook_figure.ts --notebook EXECUTED.ipynb [flags]";
  try {
    const flags = parseFlags(Deno.args, FLAGS);
    const file = flags.notebook;
    if (flags.help || !file) {
      console.log(helpText(usage, FLAGS));
      Deno.exit(flags.help ? 0 : 2);
    }
    const figures = notebookFigures(JSON.parse(await Deno.readTextFile(file)), file);
    const figure = pickFigure(figures, {
      title: flags.title,
      index: flags.index,
    }, file);
    await screenshotFigure(figure, flags.out, {
      width: flags.width,
      deviceScaleFactor: flags.scale,
    });
    const bytes = (await Deno.stat(flags.out)).size;
    console.log(`${flags.out}: "${figureTitle(figure)}" (${(bytes / 1024).toFixed(0)} KB)`);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${helpText(usage, FLAGS)}`);
      Deno.exit(2);
    }
    throw e;
  }
}
