/**
 * Sealed JSON records and owned files: a record carries the SHA-256 of its own content, and a
 * file a cell or the run's outputs own is known by its size and SHA-256, so a file cut short or
 * altered is told from one as written.
 *
 * @module
 */
import {
  ensureDir,
  FileWriteError,
  sha256Hex,
  writeFileAtomic,
  type WriteOptions,
} from "../util/mod.ts";

/** A file a cell or the run's outputs own, as it was written. */
export interface OwnedFile {
  /** Path relative to the run directory. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** SHA-256 of its bytes, hex. */
  readonly sha256: string;
}

/** The field of a sealed record that holds its checksum. */
export const SEAL = "checksum";

/**
 * `value` as pretty JSON with a last field `checksum`: the SHA-256 of the same JSON without it,
 * so a record that was cut short or altered is told from an intact one.
 */
export async function sealJson(value: Record<string, unknown>): Promise<string> {
  const { [SEAL]: _, ...plain } = value;
  const text = JSON.stringify(plain, null, 2) + "\n";
  const digest = await sha256Hex(new TextEncoder().encode(text));
  return JSON.stringify({ ...plain, [SEAL]: `sha256:${digest}` }, null, 2) + "\n";
}

/**
 * Parses a JSON record written by {@linkcode sealJson} and checks its checksum. Returns the
 * value, or the problem in words (`not JSON (…)`, `checksum mismatch (altered)`); a record
 * without a checksum (written by an older version) is accepted as it is.
 */
export async function openSealedJson(
  text: string,
): Promise<{ value: Record<string, unknown>; problem: null } | { value: null; problem: string }> {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const cut = text.length > 0 && !text.trimEnd().endsWith("}");
    return {
      value: null,
      problem: `${cut ? "cut short" : "not valid JSON"} (${(e as Error).message})`,
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { value: null, problem: "not a JSON object" };
  }
  const seal = value[SEAL];
  if (seal === undefined) return { value, problem: null };
  const resealed = await sealJson(value);
  const expected = JSON.parse(resealed)[SEAL];
  return seal === expected
    ? { value, problem: null }
    : { value: null, problem: "checksum mismatch (the file was altered)" };
}

/** Writes `value` sealed ({@linkcode sealJson}) to `path`, atomically. */
export async function writeSealedJson(
  path: string,
  value: Record<string, unknown>,
  options: WriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, await sealJson(value), options);
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
