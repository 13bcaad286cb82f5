/**
 * CSV reading on top of `csv-parse` (a kept, dependency-free parser from npm; JSR's `@std/csv` is
 * unreachable here). This layer only turns text into a header and rows that remember their line;
 * what the columns mean is checked by the caller.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { DataError } from "./data_error.ts";

/** One data record and where it starts in the file. */
export interface CsvRow {
  /** 1-based line on which the record starts (records may span lines inside quotes). */
  readonly line: number;
  /** The raw field values, as many as the record has (may differ from the header's count). */
  readonly fields: readonly string[];
}

/** A parsed CSV file: its header and data rows. */
export interface CsvTable {
  /** Column names from the first record, trimmed. */
  readonly header: readonly string[];
  /** Data records in file order. */
  readonly rows: readonly CsvRow[];
}

interface ParsedRecord {
  readonly record: string[];
  readonly info: { readonly lines: number; readonly empty_lines: number };
}

/**
 * Decodes a CSV file's bytes. UTF-8 (the default) is decoded strictly: an invalid byte sequence
 * is a {@linkcode DataError} naming the line and, where the header allows, the field, never a
 * silent U+FFFD. Any other WHATWG encoding label (`windows-1252`, `iso-8859-15`, `shift_jis`, …)
 * decodes a legacy file as that encoding.
 */
export function decodeCsvBytes(
  bytes: Uint8Array,
  file: string,
  encoding = "utf-8",
  layout: DecodeLayout = {},
): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new DataError(
      file,
      `unknown text encoding "${encoding}" (use a WHATWG label such as utf-8, windows-1252, ` +
        "iso-8859-15)",
    );
  }
  try {
    return decoder.decode(bytes);
  } catch {
    const at = firstInvalidOffset(bytes, decoder.encoding);
    const line = 1 + bytes.subarray(0, at).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
    const field = layout.delimiter === null ? undefined : fieldAt(bytes, at, layout.delimiter);
    const hex = Array.from(bytes.subarray(at, at + 4), (b) => b.toString(16).padStart(2, "0"))
      .join(" ");
    throw new DataError(
      file,
      `not valid ${decoder.encoding} text at byte ${at} (${hex} …); save the file as UTF-8, or ` +
        (layout.hint ?? "name its encoding with --csv-encoding (e.g. windows-1252)"),
      { line, field },
    );
  }
}

/** What {@linkcode decodeCsvBytes} needs to know to point at a field and say how to fix it. */
export interface DecodeLayout {
  /** The field separator (default `,`); `null` for files that are not tables (JSON). */
  readonly delimiter?: string | null;
  /** How to name the file's encoding, ending the error (default: the `--csv-encoding` flag). */
  readonly hint?: string;
}

/** The offset of the first byte at which decoding fails (by bisection on prefixes). */
function firstInvalidOffset(bytes: Uint8Array, encoding: string): number {
  const ok = (end: number) => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  // A streaming decode of a prefix fails only when an invalid sequence ends inside it.
  let lo = 0, hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid + 1)) lo = mid + 1;
    else hi = mid;
  }
  // The decoder notices a bad sequence at the first byte that cannot continue it: step back to
  // its lead byte when the failing byte is ASCII, a continuation right after a lead, or the end
  // of the file (a truncated sequence).
  let at = lo;
  if (
    at >= bytes.length || bytes[at] < 0x80 || (bytes[at] < 0xc0 && at > 0 && bytes[at - 1] >= 0xc0)
  ) {
    for (let k = 1; k <= 3 && at - k >= 0; k++) {
      if (bytes[at - k] >= 0xc0) {
        at -= k;
        break;
      }
    }
  }
  return at;
}

/** The header's name of the column holding byte `at` (quotes respected), when it can tell. */
function fieldAt(bytes: Uint8Array, at: number, delimiter = ","): string | undefined {
  const sep = delimiter.charCodeAt(0);
  const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
  const headerEnd = bytes.indexOf(0x0a);
  if (headerEnd < 0 || lineStart === 0) return undefined;
  const header = new TextDecoder().decode(bytes.subarray(0, headerEnd)).replace(/\r$/, "")
    .replace(/^\uFEFF/, "").split(delimiter).map((h) => h.trim().replace(/^"|"$/g, ""));
  let column = 0, quoted = false;
  for (let i = lineStart; i < at; i++) {
    if (bytes[i] === 0x22) quoted = !quoted;
    else if (bytes[i] === sep && !quoted) column++;
  }
  return header[column];
}

/** How a delimited file is written. */
export interface CsvDialect {
  /** The field separator; default `,`. */
  readonly delimiter?: string;
  /** Whether `"` quotes fields (default true). */
  readonly quoting?: boolean;
  /** The column names of a file without a header line; absent: the first record is the header. */
  readonly columns?: readonly string[];
}

/**
 * Parses CSV text (RFC 4180 quoting, `\n` or `\r\n` line ends, optional UTF-8 BOM; blank lines are
 * skipped). `file` is only used in error messages. Throws {@linkcode DataError} for an empty file,
 * a malformed record (e.g. an unclosed quote) or a repeated column name.
 */
export function parseCsv(text: string, file: string, dialect: CsvDialect = {}): CsvTable {
  if (text.replace(/^\uFEFF/, "").trim() === "") {
    throw new DataError(file, "the file is empty (expected a header line and data rows)", {
      line: 1,
    });
  }
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true, // the caller reports a short or long row with its field name
      skip_empty_lines: true,
      delimiter: dialect.delimiter ?? ",",
      quote: dialect.quoting === false ? false : '"',
    }) as unknown as ParsedRecord[];
  } catch (e) {
    const err = e as { lines?: number; message?: string };
    throw new DataError(file, `malformed CSV: ${err.message ?? String(e)}`, { line: err.lines });
  }
  // csv-parse reports the line on which a record *ends*; a record starts on the line after the
  // previous record ended, plus any blank lines skipped in between.
  const rows: CsvRow[] = [];
  let prevEnd = 0;
  let prevEmpty = 0;
  for (const { record, info } of records) {
    const line = prevEnd + 1 + (info.empty_lines - prevEmpty);
    rows.push({ line, fields: record });
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
  }
  if (dialect.columns !== undefined) {
    return { header: dialect.columns, rows };
  }
  const [head, ...data] = rows;
  const header = head.fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) {
      throw new DataError(file, "column appears twice in the header", {
        line: head.line,
        field: column,
      });
    }
    seen.add(column);
  }
  return { header, rows: data };
}
