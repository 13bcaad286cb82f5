/**
 * File-system helpers shared by every module that writes results or caches.
 *
 * @module
 */
import { dirname } from "node:path";
import { readEnvironment, SettingError } from "../config/mod.ts";

/** Whether `path` exists (file or directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Hex SHA-256 of bytes or of a file's content. */
export async function sha256Hex(data: Uint8Array | { path: string }): Promise<string> {
  const bytes = data instanceof Uint8Array ? data : await Deno.readFile(data.path);
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The repository root (the directory holding `deno.json`), from this file's location. */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The cache directory for generated models, feature stores and synthetic data:
 * `$MEMESENSE_CACHE`, else `<repo>/.cache`.
 */
export function cacheDir(): string {
  return readEnvironment().cache ?? `${REPO_ROOT}/.cache`;
}

/**
 * Checks, before any work, that files can be created in `dir` (or, when it does not exist yet,
 * in its nearest existing ancestor, where it would be created). Leaves nothing behind. Throws a
 * {@linkcode SettingError} naming `setting` (e.g. `--out`), the folder and the reason.
 */
export async function assertWritableDir(dir: string, setting: string): Promise<void> {
  let probe = dir;
  while (!(await exists(probe))) {
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  let tmp: string | undefined;
  try {
    tmp = await Deno.makeTempFile({ dir: probe, prefix: ".memesense-write-check-" });
  } catch (e) {
    const why =
      e instanceof Deno.errors.NotADirectory || (e as Error).message.includes("Not a directory")
        ? `${probe} is not a folder`
        : `${probe} is not writable (${(e as Error).name})`;
    throw new SettingError(setting, dir, `a folder where files can be created; ${why}`);
  } finally {
    if (tmp) await Deno.remove(tmp).catch(() => {});
  }
}
