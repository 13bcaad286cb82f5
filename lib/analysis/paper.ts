/**
 * The paper's published PrideMM numbers, read from one data file (`results/paper.json`) so the
 * comparison table never hard-codes them.
 *
 * @module
 */
import { PRIDEMM_TASKS, type PrideMMTask } from "../data/mod.ts";
import { REPO_ROOT } from "../util/mod.ts";

/** One task's published figures, in percent. */
export interface PaperFigures {
  /** Accuracy in percent. */
  readonly accuracy: number;
  /** AUROC in percent. */
  readonly auroc: number;
  /** Macro-F1 in percent. */
  readonly macroF1: number;
}

/** The published results and where they come from. */
export interface PaperResults {
  /** Where the figures are from (paper and table). */
  readonly source: string;
  /** The paper's figures per task. */
  readonly tasks: Readonly<Record<PrideMMTask, PaperFigures>>;
}

/** Default location of the paper's numbers. */
export const PAPER_RESULTS_PATH = `${REPO_ROOT}/results/paper.json`;

/** Reads and validates the paper's numbers. */
export async function loadPaperResults(path: string = PAPER_RESULTS_PATH): Promise<PaperResults> {
  const raw = JSON.parse(await Deno.readTextFile(path));
  for (const task of PRIDEMM_TASKS) {
    const t = raw?.tasks?.[task];
    for (const m of ["accuracy", "auroc", "macroF1"] as const) {
      if (typeof t?.[m] !== "number") {
        throw new Error(`${path}: tasks.${task}.${m} must be a number (percent)`);
      }
    }
  }
  return raw as PaperResults;
}
