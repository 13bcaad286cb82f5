/**
 * Sealed JSON records: a record carries, as its last field `checksum`, the SHA-256 of its own
 * content, so a record cut short or altered is told from one as written — by every reader, with
 * the problem in words.
 *
 * @module
 */
import { sha256Hex } from "./fs.ts";
import { writeFileAtomic, type WriteOptions } from "./write.ts";

/** The field of a sealed record that holds its checksum. */
export const SEAL = "checksum";

/**
 * `value` as pretty JSON with a last field `checksum`: the SHA-256 of the same JSON without it,
 * so a record that was cut short or altered is told from an intact one.
 *
 * ```ts
 * import { openSealedJson, sealJson } from "./mod.ts";
 * const text = await sealJson({ seeds: [1, 2] });
 * console.log((await openSealedJson(text)).problem); // null
 * console.log((await openSealedJson(text.replace("2", "3"))).problem); // "checksum mismatch …"
 * ```
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
