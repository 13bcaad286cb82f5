/**
 * The errors of bad settings. A script prints a {@linkcode UsageError} as one line and exits with
 * status 2 before it creates anything.
 *
 * @module
 */

/** A mistake in how a script was called: a bad flag, variable or config value. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A setting with a value that is not allowed. The message names the setting (a `--flag`, a
 * `MEMESENSE_*` variable or a config field), the value, and what is allowed:
 * `--epochs -1: expected an integer ≥ 1`.
 */
export class SettingError extends UsageError {
  /** Creates the error for `setting` holding `value`; `expected` says what is allowed. */
  constructor(
    /** The flag (`--epochs`), variable (`MEMESENSE_DEVICE`) or config field (`head.ratio`). */
    readonly setting: string,
    /** The value given. */
    readonly value: unknown,
    /** What is allowed, e.g. `an integer ≥ 1`. */
    readonly expected: string,
  ) {
    super(
      `${setting}${setting.startsWith("MEMESENSE_") ? "=" : " "}${
        show(value)
      }: expected ${expected}`,
    );
    this.name = "SettingError";
  }
}

/**
 * Thrown for an invalid config value; `field` is the dotted path, e.g. `head.ratio`, and the
 * message reads `head.ratio 1.5: expected a number in [0, 1]`.
 */
export class ConfigError extends SettingError {
  /** Creates the error for `field` holding `value`; `expected` says what is allowed. */
  constructor(readonly field: string, value: unknown, expected: string) {
    super(field, value, expected);
    this.name = "ConfigError";
  }
}

/** Shows a value as a user typed it: numbers and words bare, lists comma-separated. */
export function show(v: unknown): string {
  if (v === undefined) return "(missing)";
  if (typeof v === "string") return v === "" ? '""' : v;
  if (Array.isArray(v)) return v.map(show).join(",");
  return JSON.stringify(v) ?? String(v);
}
