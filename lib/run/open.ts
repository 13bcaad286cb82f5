/**
 * Opening a run: a new run directory with its record written once, or — with `resume` — the
 * run directory to continue, its record read once and checked against the settings given.
 *
 * @module
 */
import { assertWritableDir } from "../config/mod.ts";
import { FileWriteError, writeSealedJson } from "../util/mod.ts";
import { latestUnfinishedRun } from "./listing.ts";
import { readRunRecord, type RunRecord } from "./record.ts";
import { checkResumable, ResumeError } from "./resume.ts";
import { createRunDir, runPath } from "./run_dir.ts";

/** What {@linkcode openRunDir} opens. */
export interface OpenRunOptions {
  /** The record of the run: every setting, as `config.json` holds it. */
  readonly record: RunRecord;
  /** The results root a new run is created in, and `latest` is looked for in. */
  readonly resultsRoot: string;
  /** A run directory to continue, or `latest` (the newest unfinished run of the record's name). */
  readonly resume?: string;
}

/** An open run directory. */
export interface OpenRun {
  /** The run directory. */
  readonly runDir: string;
  /**
   * Its record as on disk: the one just written, or the one a resumed run started with (its
   * creation time, commit and bootstrap are the run's, not this invocation's).
   */
  readonly record: RunRecord;
}

/**
 * Creates `<resultsRoot>/<timestamp>-<name>/` and writes the record into it, sealed; or, with
 * `resume`, finds the run, reads its record and checks that `record` has its settings (a
 * {@linkcode ResumeError} names the first that differs). The results folder, or the folder
 * resumed, is probed for writing before anything is created; a record that cannot be written
 * leaves no folder behind.
 */
export async function openRunDir(options: OpenRunOptions): Promise<OpenRun> {
  const { record, resultsRoot, resume } = options;
  if (!resume) {
    await assertWritableDir(resultsRoot, "--out");
    const runDir = await createRunDir(resultsRoot, record.name);
    try {
      await writeSealedJson(
        runPath(runDir, "config"),
        record as unknown as Record<string, unknown>,
      );
    } catch (e) {
      // A folder without its record is no run: leave nothing behind.
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
      if (!(e instanceof FileWriteError)) throw e;
      const fix = e.code === "ENOSPC" || e.code === "EDQUOT" ? "free space" : "fix the disk";
      throw e.withRemedy(`the run folder was removed; ${fix}, then start the run again`);
    }
    return { runDir, record };
  }
  let runDir = resume;
  if (resume === "latest") {
    try {
      runDir = await latestUnfinishedRun(resultsRoot, record.name);
    } catch (e) {
      throw new ResumeError((e as Error).message);
    }
  }
  // Names a missing or damaged record, and what to do.
  const saved = await readRunRecord(runDir);
  await assertWritableDir(runDir, "--resume");
  checkResumable(runDir, saved, record);
  return { runDir, record: saved };
}
