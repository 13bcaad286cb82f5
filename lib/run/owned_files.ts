/**
 * Owned files: a file a cell or the run's outputs own is known by its size and SHA-256, so a
 * file cut short or altered is told from one as written (records are sealed JSON, lib/util).
 *
 * @module
 */
import { ensureDir, FileWriteError, sha256Hex, writeFileAtomic } from "../util/mod.ts";

/** A file a cell or the run's outputs own, as it was written. */
export interface OwnedFile {
  /** Path relative to the run directory. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** SHA-256 of its bytes, hex. */
  readonly sha256: string;
}

/**
 * Writes `bytes` to `<runDir>/<path>` atomically, reads them back and checks them; returns the
 * file as owned. A read-back that differs throws a {@linkcode FileWriteError} (`EIO`).
 */
export async function writeOwnedFile(
  runDir: string,
  path: string,
  bytes: Uint8Array,
): Promise<OwnedFile> {
  const full = `${runDir}/${path}`;
  await ensureDir(full.slice(0, full.lastIndexOf("/")));
  await writeFileAtomic(full, bytes);
  const sha256 = await sha256Hex(bytes);
  const back = await ownedFile(runDir, path);
  if (back.size !== bytes.length || back.sha256 !== sha256) throw new FileWriteError(full, "EIO");
  return back;
}

/** A file of the run directory as it is on disk now. */
export async function ownedFile(runDir: string, path: string): Promise<OwnedFile> {
  const bytes = await Deno.readFile(`${runDir}/${path}`);
  return { path, size: bytes.length, sha256: await sha256Hex(bytes) };
}

/**
 * What is wrong with an owned file now, in words (`missing`, `12202 bytes, expected 13776 (cut
 * short or altered)`, `checksum mismatch (altered)`), or null when it is as written.
 */
export async function ownedFileProblem(runDir: string, file: OwnedFile): Promise<string | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${runDir}/${file.path}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "missing";
    return `unreadable (${(e as Error).message})`;
  }
  if (bytes.length !== file.size) {
    return `${bytes.length} bytes, expected ${file.size} (${
      bytes.length < file.size ? "cut short" : "altered"
    })`;
  }
  return (await sha256Hex(bytes)) === file.sha256 ? null : "checksum mismatch (altered)";
}
