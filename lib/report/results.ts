/**
 * Run directories under `results/`: one fresh folder per run, named by time and purpose, never
 * reusing an existing one, and atomic writes into it.
 *
 * @module
 */

import { writeFileAtomic } from "../util/mod.ts";

/** `YYYYMMDD-HHMMSS` of `date` in UTC, so names sort by time on every machine. */
export function runTimestamp(date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Options for {@linkcode createRunDir}. */
export interface CreateRunDirOptions {
  /** The time in the name (default: now). */
  readonly now?: Date;
}

/**
 * Creates `<resultsRoot>/<YYYYMMDD-HHMMSS>-<name>/` and returns its path. The root is created
 * if needed; the run folder itself is created without `recursive`, so an existing folder — from
 * the same second, or a concurrent process — is never reused: the next free name with a `-2`,
 * `-3`, … suffix is taken instead. `name` may hold letters, digits, `.`, `_` and `-`.
 */
export async function createRunDir(
  resultsRoot: string,
  name: string,
  options: CreateRunDirOptions = {},
): Promise<string> {
  if (!SAFE_NAME.test(name)) {
    throw new Error(
      `createRunDir: run name "${name}" must start with a letter or digit and hold only ` +
        "letters, digits, '.', '_' and '-'",
    );
  }
  await Deno.mkdir(resultsRoot, { recursive: true });
  const base = `${resultsRoot.replace(/\/+$/, "")}/${runTimestamp(options.now)}-${name}`;
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const dir = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await Deno.mkdir(dir);
      return dir;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
  throw new Error(`createRunDir: 1000 folders named ${base}[-N] exist already`);
}

/**
 * Writes `content` to `<dir>/<file>` atomically (temporary file, then rename) and returns the
 * path. `file` is relative and may name a subfolder (`curves/hate-seed1.json`), which is
 * created; `..` is refused so that nothing lands outside the run folder. Objects are written
 * as pretty JSON.
 */
export async function writeRunFile(
  dir: string,
  file: string,
  content: string | Uint8Array | Record<string, unknown> | unknown[],
): Promise<string> {
  const parts = file.split("/");
  if (file.startsWith("/") || parts.some((p) => p === ".." || p === "." || p === "")) {
    throw new Error(`writeRunFile: "${file}" must be a relative path inside the run folder`);
  }
  if (parts.length > 1) {
    await Deno.mkdir(`${dir}/${parts.slice(0, -1).join("/")}`, { recursive: true });
  }
  const path = `${dir}/${file}`;
  const data = typeof content === "string" || content instanceof Uint8Array
    ? content
    : JSON.stringify(content, null, 2) + "\n";
  await writeFileAtomic(path, data);
  return path;
}
