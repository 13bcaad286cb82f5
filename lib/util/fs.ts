/**
 * File-system helpers shared by every module that writes results or caches. Like all of
 * `lib/util`, it imports no other module of the suite: the folders it is given are settings,
 * resolved in `lib/config`.
 *
 * @module
 */

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

/** The text of the file at `path`, or null when there is none; other errors are thrown. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
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
