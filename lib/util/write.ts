/**
 * The one layer every result, store and lock file is written through: atomic writes (a temporary
 * file in the same folder, then a rename — or a hard link, where the file must not exist yet),
 * folder creation, and what a failed write becomes — a {@linkcode FileWriteError} naming the
 * path and the cause (`ENOSPC`, `EIO`, …), never a half-written file under the final name.
 *
 * Faults can be injected ({@linkcode injectWriteFaults}): the fault-injection tests make any
 * write fail with `ENOSPC` or `EIO` exactly as the operating system would — a part of the bytes
 * reaches the temporary file, then the write throws — so the code that recovers from a full or
 * failing disk is the code that runs for real.
 *
 * @module
 */

/** The causes of a failed write that the suite anticipates and names. */
export const WRITE_FAULT_CAUSES = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
} as const;

/** An anticipated cause of a failed write (an errno name). */
export type WriteFaultCause = keyof typeof WRITE_FAULT_CAUSES;

/**
 * A write that failed: the file (or folder) it was for, the cause, and — once the caller knows
 * what the file belongs to — what to do. The message is one line:
 * `cannot write <path>: no space left on device (ENOSPC); <remedy>`.
 */
export class FileWriteError extends Error {
  /** Creates the error for `path`; `cause` is the errno name, `detail` the system's words. */
  constructor(
    /** The file or folder that could not be written. */
    readonly path: string,
    /** The errno name (`ENOSPC`, `EIO`, …), or `unknown`. */
    readonly code: string,
    /** What to do about it (empty until a caller that knows adds it). */
    readonly remedy = "",
  ) {
    const words = WRITE_FAULT_CAUSES[code as WriteFaultCause] ?? "write failed";
    super(`cannot write ${path}: ${words} (${code})${remedy ? `; ${remedy}` : ""}`);
    this.name = "FileWriteError";
  }

  /** The same error with `remedy` said after the cause (the first remedy given is kept). */
  withRemedy(remedy: string): FileWriteError {
    return this.remedy ? this : new FileWriteError(this.path, this.code, remedy);
  }
}

/**
 * Decides whether a write fails: given the final path of a file (a folder's ends with `/`), a
 * cause to fail with, or null to let the write happen.
 */
export type WriteFaultHook = (path: string) => WriteFaultCause | null;

let faultHook: WriteFaultHook | null = null;

/**
 * Makes the writes of this process fail as `hook` decides (null: no faults), for the
 * fault-injection tests; returns a function that restores the previous hook.
 *
 * ```ts
 * import { FileWriteError, injectWriteFaults, writeFileAtomic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const restore = injectWriteFaults((path) => path.endsWith(".json") ? "ENOSPC" : null);
 * try {
 *   await writeFileAtomic(`${dir}/a.json`, "{}");
 * } catch (e) {
 *   console.log(e instanceof FileWriteError && e.code); // "ENOSPC"
 * } finally {
 *   restore();
 * }
 * ```
 */
export function injectWriteFaults(hook: WriteFaultHook | null): () => void {
  const previous = faultHook;
  faultHook = hook;
  return () => void (faultHook = previous);
}

/** The errno name of a failed file operation, from Deno's error (`code`) or its message. */
export function errnoOf(e: unknown): string | null {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  const m = /\(os error (\d+)\)/.exec((e as Error)?.message ?? "");
  const byNumber: Record<string, string> = {
    "1": "EPERM",
    "5": "EIO",
    "13": "EACCES",
    "28": "ENOSPC",
    "30": "EROFS",
    "122": "EDQUOT",
  };
  return m ? byNumber[m[1]] ?? null : null;
}

/** Whether `e` is a failed write the suite anticipates (a full disk, an I/O error, …). */
export function isWriteFault(e: unknown): boolean {
  if (e instanceof FileWriteError) return true;
  const code = errnoOf(e);
  return code !== null && code in WRITE_FAULT_CAUSES;
}

/** `e` as a {@linkcode FileWriteError} for `path` when it is an anticipated write fault. */
function asWriteError(e: unknown, path: string): unknown {
  if (e instanceof FileWriteError) return e;
  const code = errnoOf(e);
  return code !== null && code in WRITE_FAULT_CAUSES ? new FileWriteError(path, code) : e;
}

/** The injected fault of a write to `path`, as the operating system would raise it. */
function injected(path: string): Error | null {
  const cause = faultHook?.(path) ?? null;
  if (!cause) return null;
  const e = new Error(`${WRITE_FAULT_CAUSES[cause]} (injected): write '${path}'`);
  (e as { code?: string }).code = cause;
  return e;
}

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /**
   * Create the file only if it does not exist yet: the complete temporary file is hard-linked
   * to `path`, so a concurrent reader or writer sees the whole file or none; throws
   * `Deno.errors.AlreadyExists` when it exists.
   */
  readonly exclusive?: boolean;
}

/**
 * Writes `data` to `path` atomically: to a temporary file in the same directory, then rename
 * (or, `exclusive`, hard link). A reader (or a killed writer) never sees a half-written file. A
 * full disk or an I/O error throws a {@linkcode FileWriteError} naming `path`, and leaves no
 * temporary file behind.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const fault = injected(path);
    if (fault) {
      // As a full disk does: part of the data lands, then the write fails.
      await Deno.writeFile(tmp, bytes.subarray(0, Math.floor(bytes.length / 2)));
      throw fault;
    }
    await Deno.writeFile(tmp, bytes);
    if (options.exclusive) await Deno.link(tmp, path);
    else await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw asWriteError(e, path);
  } finally {
    if (options.exclusive) await Deno.remove(tmp).catch(() => {});
  }
}

/** Writes `value` as pretty JSON, atomically (see {@linkcode writeFileAtomic}). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Creates `dir` and its missing parents; a full disk or an I/O error throws a
 * {@linkcode FileWriteError} naming the folder.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    const fault = injected(`${dir}/`);
    if (fault) throw fault;
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw asWriteError(e, dir);
  }
}
