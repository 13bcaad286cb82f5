/**
 * What a notebook's later cells say after its set-up failed.
 *
 * The Deno kernel runs every cell of "Run All" even after one fails, and a cell whose top-level
 * `const { inputs } = await …` threw leaves `inputs` undeclared: every later cell that uses it
 * would fail with its own `ReferenceError: inputs is not defined`, burying the cause. After a
 * failed set-up, the stack trace of such a `ReferenceError` — which is what JupyterLab and
 * Jupyter Notebook show for an error — is replaced by one line naming the set-up failure (V8's
 * `Error.prepareStackTrace` hook, which Deno honours). Other errors keep their usual trace, and
 * a set-up that succeeds (run again once fixed) removes the hook.
 *
 * @module
 */

/** A V8 call site, as `Error.prepareStackTrace` receives them (printed as `at …` lines). */
interface CallSite {
  toString(): string;
}

type PrepareStackTrace = (error: Error, frames: CallSite[]) => unknown;

const errorConstructor = Error as unknown as { prepareStackTrace?: PrepareStackTrace };

let failure: { readonly cause: string; readonly where: string } | undefined;
let hook: PrepareStackTrace | undefined;
let previous: PrepareStackTrace | undefined;

/** The first sentence of an error message: the cause, without the advice that follows it. */
export function firstSentence(message: string): string {
  const line = message.split("\n")[0].trim();
  const end = line.search(/\.\s/);
  return end < 0 ? line : line.slice(0, end + 1);
}

/** The line a later cell shows for `error` (a `ReferenceError`) after the set-up failed. */
export function setUpFailureLine(cause: string, where: string, error: Error): string {
  return `set-up failed in ${where}: ${firstSentence(cause)} Fix it and run that cell again ` +
    `(here: ${error.message}).`;
}

/** Makes later `ReferenceError`s report the failed set-up (see the module doc). */
export function reportSetUpFailure(error: unknown, where: string): void {
  failure = { cause: error instanceof Error ? error.message : String(error), where };
  if (hook !== undefined && errorConstructor.prepareStackTrace === hook) return;
  previous = errorConstructor.prepareStackTrace;
  const fallback = previous;
  hook = (error, frames) => {
    if (failure !== undefined && error instanceof ReferenceError) {
      return setUpFailureLine(failure.cause, failure.where, error);
    }
    if (fallback) return fallback(error, frames);
    return `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
  };
  errorConstructor.prepareStackTrace = hook;
}

/** Forgets a failed set-up: errors are reported as usual again. */
export function clearSetUpFailure(): void {
  failure = undefined;
  if (hook !== undefined && errorConstructor.prepareStackTrace === hook) {
    errorConstructor.prepareStackTrace = previous;
  }
  hook = undefined;
}
