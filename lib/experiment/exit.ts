/**
 * How every script ends: one table of exit statuses ({@linkcode EXIT_CODES}, printed in the
 * README and checked against it by a test), and {@linkcode runMain}, which runs a script's body
 * and turns each condition the suite anticipates — a bad flag, bad data, a locked run, a full
 * disk, a damaged file — into one line `error: …` and its status, with no stack trace. Only an
 * error nobody anticipated (a bug) prints its stack.
 *
 * @module
 */
import { UsageError } from "../config/mod.ts";
import { DataError } from "../data/mod.ts";
import { FetchError } from "../fetch/mod.ts";
import { FeatureStoreError, MissingImagesError } from "../features/mod.ts";
import { SafetensorsError } from "../model/mod.ts";
import { BackendUnavailableError, TrainInputError } from "../train/mod.ts";
import { SlurmError } from "../cluster/mod.ts";
import { isWriteFault } from "../util/mod.ts";
import { PredictionsError, RunIntegrityError, RunLockedError, RunRecordError } from "../run/mod.ts";
import { PartialDataError } from "../analysis/mod.ts";

/** One exit status of the scripts. */
export interface ExitCode {
  /** The status. */
  readonly code: number;
  /** Its name in {@linkcode EXIT}. */
  readonly name: keyof typeof EXIT;
  /** What it means, as the README's table says it. */
  readonly meaning: string;
}

/** The exit statuses by name. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A runtime failure. */
  failure: 1,
  /** A usage or input error, found before anything was created. */
  usage: 2,
  /** Another live process works in the run directory. */
  locked: 3,
  /** Results or a feature store are incomplete or damaged. */
  incomplete: 4,
} as const;

/** Every exit status of every script, with what it means (the README's table). */
export const EXIT_CODES: readonly ExitCode[] = [
  { code: EXIT.ok, name: "ok", meaning: "done" },
  {
    code: EXIT.failure,
    name: "failure",
    meaning: "runtime failure: a write failed (disk full, I/O error; the message names the " +
      "file and what to run once it is fixed), a download or a Slurm submission failed",
  },
  {
    code: EXIT.usage,
    name: "usage",
    meaning: "usage or input error: a bad flag, variable or value, a flag that contradicts " +
      "the run being resumed, data, images or model missing or invalid (file, line and field " +
      "named); checked before anything is created",
  },
  {
    code: EXIT.locked,
    name: "locked",
    meaning: "another live process works in the run directory (its pid and host named): " +
      "wait for it, or remove its lock file if that process is gone",
  },
  {
    code: EXIT.incomplete,
    name: "incomplete",
    meaning: "results or features are incomplete or damaged (a missing, truncated or altered " +
      "file): the message names the files and the command that repairs them",
  },
];

/** The exit status of an error, by what it means ({@linkcode EXIT_CODES}). */
export function exitCodeOf(e: unknown): number {
  if (
    e instanceof UsageError || e instanceof DataError || e instanceof PartialDataError ||
    e instanceof MissingImagesError || e instanceof TrainInputError ||
    e instanceof BackendUnavailableError
  ) return EXIT.usage;
  if (e instanceof RunLockedError) return EXIT.locked;
  if (
    e instanceof RunIntegrityError || e instanceof FeatureStoreError ||
    e instanceof RunRecordError || e instanceof PredictionsError || e instanceof SafetensorsError
  ) return EXIT.incomplete;
  return EXIT.failure;
}

/** Whether the suite anticipates `e` (printed as one line, no stack trace). */
export function isAnticipated(e: unknown): boolean {
  return exitCodeOf(e) !== EXIT.failure || isWriteFault(e) || e instanceof FetchError ||
    e instanceof SlurmError;
}

/**
 * Runs a script's body and exits: with the status it returns (default 0), or, when it throws,
 * with the error's status ({@linkcode exitCodeOf}) after printing `error: <message>` — and the
 * stack only for an error nobody anticipated.
 */
export async function runMain(body: () => Promise<number | void> | number | void): Promise<never> {
  let code: number;
  try {
    code = (await body()) ?? EXIT.ok;
  } catch (e) {
    code = exitCodeOf(e);
    if (isAnticipated(e)) console.error(`error: ${(e as Error).message}`);
    else console.error(e);
  }
  Deno.exit(code);
}
