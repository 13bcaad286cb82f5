/**
 * CSV reading on top of `csv-parse` (a kept, dependency-free parser from npm; JSR's `@std/csv` is
 * unreachable here). This layer only turns text into a header and rows that remember their line;
 * what the columns mean is checked by the caller.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { DataError } from "./errors.ts";

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
 * Parses CSV text (RFC 4180 quoting, `\n` or `\r\n` line ends, optional UTF-8 BOM; blank lines are
 * skipped). `file` is only used in error messages. Throws {@linkcode DataError} for an empty file,
 * a malformed record (e.g. an unclosed quote) or a repeated column name.
 */
export function parseCsv(text: string, file: string): CsvTable {
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
