/**
 * Run-directory integrity: a cell is finished only when every file it owns is written and
 * verified — its per-meme predictions, for the cell that saves it its task's head, and last its
 * record `cells/<key>.json`, which holds each owned file's size and SHA-256 and a checksum of
 * itself. The run's tables are finished only when `metrics.json`, written last, holds the size
 * and SHA-256 of every output and a checksum of itself.
 *
 * Everything that reads a run checks this first: `--resume` trains every cell that is not
 * complete again, `deno task status` counts it as damaged, and `deno task aggregate` (and every
 * reader of the cells) refuses with a {@linkcode RunIntegrityError} that names the files, what
 * is wrong with each, and the command that repairs them — so no table is ever made from part of
 * a run's seeds.
 *
 * @module
 */
import { ensureDir, openSealedJson, SEAL, writeSealedJson } from "../util/mod.ts";
import { cellKey, type CellResult, gridCells } from "./cells.ts";
import { type OwnedFile, ownedFileProblem } from "./owned_files.ts";
import { readCellPredictions } from "./predictions.ts";
import { readRunRecord, resumeCommand, resumeCommandOf, type RunRecord } from "./record.ts";
import { cellFile, cellPath, predictionsPath, RUN_FILES, runPath } from "./run_dir.ts";

/** A cell's record as stored: its result, the files it owns, and the record's own checksum. */
export interface StoredCell extends CellResult {
  /** The files the cell owns (absent in runs from older versions). */
  readonly files?: readonly OwnedFile[];
}

/**
 * Thrown when a run's cells or tables are incomplete or damaged; the message names the files,
 * what is wrong with each and the command that repairs them (exit status 4).
 */
export class RunIntegrityError extends Error {
  /** Creates the error; `files` are the paths at fault. */
  constructor(message: string, readonly files: readonly string[] = []) {
    super(message);
    this.name = "RunIntegrityError";
  }
}

/** Writes a finished cell's record — result and owned files, sealed — to `cells/<key>.json`. */
export async function writeCellResult(
  runDir: string,
  result: CellResult,
  files: readonly OwnedFile[] = [],
): Promise<string> {
  await ensureDir(runPath(runDir, "cells"));
  const path = cellPath(runDir, result.key);
  await writeSealedJson(path, { ...result, files } as unknown as Record<string, unknown>);
  return path;
}

/** Whether a cell is finished (every file it owns as written) or must be trained again. */
export type CellCondition = "complete" | "damaged";

/** One cell record found in a run directory, checked. */
export interface CellCheck {
  /** The cell's key (from its record's file name). */
  readonly key: string;
  /** Complete, or damaged (to train again). */
  readonly condition: CellCondition;
  /** The result, when the record itself is intact. */
  readonly result: CellResult | null;
  /** Each problem as `<path relative to the run>: <what is wrong>`. */
  readonly problems: readonly string[];
}

/**
 * Checks every cell record of a run directory (`cells/*.json`), in key order: the record's
 * checksum, then each file it owns (size and SHA-256). A record from an older version, which
 * lists no files, is complete when its predictions file reads.
 */
export async function checkCells(runDir: string): Promise<CellCheck[]> {
  const dir = runPath(runDir, "cells");
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const out: CellCheck[] = [];
  for (const name of names.sort()) {
    const key = name.slice(0, -".json".length);
    const rel = `${RUN_FILES.cells}/${name}`;
    let text: string;
    try {
      text = await Deno.readTextFile(`${dir}/${name}`);
    } catch (e) {
      out.push(damaged(key, [`${rel}: unreadable (${(e as Error).message})`]));
      continue;
    }
    const opened = await openSealedJson(text);
    if (!opened.value) {
      out.push(damaged(key, [`${rel}: ${opened.problem}`]));
      continue;
    }
    const stored = opened.value as unknown as StoredCell;
    if (typeof stored.key !== "string" || stored.key !== key) {
      out.push(damaged(key, [`${rel}: its key is ${JSON.stringify(stored.key)}, not "${key}"`]));
      continue;
    }
    const problems: string[] = [];
    if (stored.files) {
      for (const f of stored.files) {
        const problem = await ownedFileProblem(runDir, f);
        if (problem) problems.push(`${f.path}: ${problem}`);
      }
    } else {
      // An older record: its predictions must at least read.
      try {
        await readCellPredictions(predictionsPath(runDir, key));
      } catch (e) {
        problems.push(`${RUN_FILES.predictions}/${key}.safetensors: ${(e as Error).message}`);
      }
    }
    const { files: _, [SEAL]: __, ...result } = stored as StoredCell & { checksum?: string };
    out.push(
      problems.length > 0
        ? { key, condition: "damaged", result: result as CellResult, problems }
        : { key, condition: "complete", result: result as CellResult, problems },
    );
  }
  return out;
}

function damaged(key: string, problems: string[]): CellCheck {
  return { key, condition: "damaged", result: null, problems };
}

/**
 * The error for cells that are not complete: the files and what is wrong with each (the first
 * few), and the command that trains those cells again.
 */
export function incompleteCellsError(
  runDir: string,
  bad: readonly CellCheck[],
  total: number,
  command: string,
): RunIntegrityError {
  const problems = bad.flatMap((c) => c.problems);
  const shown = problems.slice(0, 3).join("; ") + (problems.length > 3 ? "; …" : "");
  return new RunIntegrityError(
    `${runDir}: ${bad.length} of ${total} cells ${
      bad.length === 1 ? "is" : "are"
    } incomplete — ${shown}; to train ${bad.length === 1 ? "it" : "them"} again: ${command}`,
    problems.map((p) => p.slice(0, p.indexOf(": "))),
  );
}

/**
 * The results of every complete cell of a run directory, in key order. Throws a
 * {@linkcode RunIntegrityError} naming the files and the resume command when a cell record or a
 * file it owns is missing, cut short or altered: a reader never gets part of a run's seeds.
 */
export async function loadCellResults(runDir: string): Promise<CellResult[]> {
  const checks = await checkCells(runDir);
  const bad = checks.filter((c) => c.condition !== "complete");
  if (bad.length > 0) {
    throw incompleteCellsError(runDir, bad, checks.length, await resumeCommandOf(runDir));
  }
  return checks.map((c) => c.result!);
}

/**
 * The run directory a heads folder (`<run>/heads` or `<run>/heads/<task>`) belongs to, when it
 * is one (its `config.json` is there); null for a head folder outside a run.
 */
export async function runOfHeads(headsPath: string): Promise<string | null> {
  const m = /^(.*?)\/+heads(\/[^/]+)?\/*$/.exec(headsPath);
  if (!m) return null;
  const runDir = m[1] || ".";
  return await Deno.stat(runPath(runDir, "config")).then(() => runDir, () => null);
}

/**
 * Checks the heads a run's cells own (`heads/<task>/head.{json,safetensors}`) against their
 * records; throws a {@linkcode RunIntegrityError} naming each one missing, cut short or altered
 * and the command that writes it again.
 */
export async function checkRunHeads(runDir: string): Promise<void> {
  const bad = (await checkCells(runDir)).flatMap((c) =>
    c.problems.filter((p) => p.startsWith(`${RUN_FILES.heads}/`))
  );
  if (bad.length === 0) return;
  throw new RunIntegrityError(
    `${runDir}: ${bad.join("; ")}; to write ${
      bad.length === 1 ? "it" : "them"
    } again: ${await resumeCommandOf(runDir)}`,
    bad.map((p) => p.slice(0, p.indexOf(": "))),
  );
}

/**
 * The results of every cell of a run, after checking that each is complete (its record and
 * every file it owns as written). Throws a {@linkcode RunIntegrityError} naming the files, what
 * is wrong with each and the command that trains them again, when a cell is missing or not
 * complete: every table, comparison and export is made from all of a run's seeds or not at all.
 */
export async function completeCells(
  runDir: string,
  record?: RunRecord,
): Promise<CellResult[]> {
  record ??= await readRunRecord(runDir);
  const cells = gridCells(record);
  const wanted = new Set(cells.map(cellKey));
  const checks = (await checkCells(runDir)).filter((c) => wanted.has(c.key));
  const command = resumeCommand(runDir, record);
  const bad = checks.filter((c) => c.condition !== "complete");
  if (bad.length > 0) throw incompleteCellsError(runDir, bad, cells.length, command);
  const done = new Set(checks.map((c) => c.key));
  const missing = cells.filter((c) => !done.has(cellKey(c)));
  if (missing.length > 0) {
    throw new RunIntegrityError(
      `${runDir}: ${missing.length} of ${cells.length} cells have not finished ` +
        `(${missing.slice(0, 3).map(cellKey).join(", ")}${missing.length > 3 ? ", …" : ""}); ` +
        `to train them: ${command} (deno task status ${runDir} says where each stands)`,
      missing.map((c) => cellFile(cellKey(c))),
    );
  }
  return checks.map((c) => c.result!);
}

/**
 * Whether the run has finished: its `metrics.json`, written last, is intact and every output it
 * lists has its recorded size (see {@linkcode checkOutputs} for the full check).
 */
export async function runFinished(runDir: string): Promise<boolean> {
  return (await checkOutputs(runDir, false)).complete;
}

/** The outputs `metrics.json` vouches for, and the cells its tables count, checked. */
export interface OutputsCheck {
  /** `metrics.json` is there, intact, and every output it lists is as written. */
  readonly complete: boolean;
  /** Whether `metrics.json` exists at all (the tables were written once). */
  readonly written: boolean;
  /** Each output's problem as `<path relative to the run>: <what is wrong>`. */
  readonly problems: readonly string[];
  /** Each problem of a cell the tables count (its record or a file it owns), likewise. */
  readonly cellProblems: readonly string[];
}

/**
 * `<runDir>/metrics.json` as the run's tables were written with it, its seal checked. Throws
 * {@linkcode RunIntegrityError} naming the file, what is wrong (missing, unreadable, cut short,
 * altered) and the command that writes it again.
 */
export async function readRunMetrics(runDir: string): Promise<Record<string, unknown>> {
  const path = runPath(runDir, "metrics");
  const remedy = `write the run's tables again: deno task aggregate ${runDir}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "missing" : (e as Error).message;
    throw new RunIntegrityError(`${path}: ${why}; ${remedy}`, [RUN_FILES.metrics]);
  }
  const opened = await openSealedJson(text);
  if (!opened.value) {
    throw new RunIntegrityError(`${path}: ${opened.problem}; ${remedy}`, [RUN_FILES.metrics]);
  }
  return opened.value;
}

/**
 * Checks the run's outputs: `metrics.json` (sealed), each output it lists, and each cell its
 * tables count — the cell's record and the files it owns. With `hash` false the files' sizes
 * are compared, not their checksums (for listings of many runs).
 */
export async function checkOutputs(runDir: string, hash = true): Promise<OutputsCheck> {
  const none = { complete: false, written: true, cellProblems: [] };
  let text: string;
  try {
    text = await Deno.readTextFile(runPath(runDir, "metrics"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ...none, written: false, problems: [] };
    return { ...none, problems: [`${RUN_FILES.metrics}: unreadable (${(e as Error).message})`] };
  }
  const opened = await openSealedJson(text);
  if (!opened.value) return { ...none, problems: [`${RUN_FILES.metrics}: ${opened.problem}`] };
  const problemOf = async (f: OwnedFile) => {
    if (hash) return await ownedFileProblem(runDir, f);
    const st = await Deno.stat(`${runDir}/${f.path}`).catch(() => null);
    return !st ? "missing" : st.size !== f.size ? `${st.size} bytes, expected ${f.size}` : null;
  };
  const problems: string[] = [];
  for (const f of (opened.value.outputs ?? []) as OwnedFile[]) {
    const problem = await problemOf(f);
    if (problem) problems.push(`${f.path}: ${problem}`);
  }
  // The tables count these cells: each must still be as it was, with every file it owns.
  const cellProblems: string[] = [];
  for (const cell of (opened.value.cells ?? []) as { key?: string }[]) {
    if (typeof cell?.key !== "string") continue;
    const file = cellFile(cell.key);
    let record: string;
    try {
      record = await Deno.readTextFile(`${runDir}/${file}`);
    } catch {
      cellProblems.push(`${file}: missing`);
      continue;
    }
    const cellRecord = await openSealedJson(record);
    if (!cellRecord.value) {
      cellProblems.push(`${file}: ${cellRecord.problem}`);
      continue;
    }
    for (const f of (cellRecord.value.files ?? []) as OwnedFile[]) {
      const problem = await problemOf(f);
      if (problem) cellProblems.push(`${f.path}: ${problem}`);
    }
  }
  return {
    complete: problems.length === 0 && cellProblems.length === 0,
    written: true,
    problems,
    cellProblems,
  };
}
