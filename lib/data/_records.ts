/**
 * Annotation files as records that remember their line, whatever the format (CSV, TSV, JSON
 * lines, a JSON array), and compiled field accessors for them. What the fields mean is checked
 * by the dataset loader.
 *
 * @module
 */
import { parseCsv } from "./_csv.ts";
import { type DatasetDescription, describe, fieldSteps, parseJsonText } from "./description.ts";
import { DataError } from "./data_error.ts";

/** One record: its 1-based starting line and its fields (a row of cells, or a JSON object). */
export interface AnnotationRecord {
  /** 1-based line on which the record starts. */
  readonly line: number;
  /** Cells in column order (CSV, TSV) or the parsed object (JSON). */
  readonly value: readonly string[] | Readonly<Record<string, unknown>>;
}

/** A parsed annotation file. */
export interface RecordTable {
  /** The column names (CSV, TSV); `null` for JSON, whose records carry their own keys. */
  readonly columns: readonly string[] | null;
  /** The records in file order. */
  readonly records: readonly AnnotationRecord[];
}

/** Reads the records of an annotation file's text. `file` names it in errors. */
export function readRecords(text: string, file: string, desc: DatasetDescription): RecordTable {
  switch (desc.format) {
    case "csv":
    case "tsv": {
      const { header, rows } = parseCsv(text, file, {
        delimiter: desc.format === "csv" ? "," : "\t",
        quoting: desc.quoting,
        columns: desc.columns,
      });
      return {
        columns: header,
        records: rows.map((r) => ({ line: r.line, value: r.fields })),
      };
    }
    case "jsonl":
      return { columns: null, records: jsonLines(text, file) };
    case "json":
      return { columns: null, records: jsonArray(text, file) };
  }
}

function jsonLines(text: string, file: string): AnnotationRecord[] {
  const records: AnnotationRecord[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const body = text.slice(start, end);
    start = end + 1;
    if (body.trim() === "") continue;
    const value = parseJsonText(body, file, line);
    records.push({ line, value: asObject(value, file, line) });
  }
  return records;
}

function jsonArray(text: string, file: string): AnnotationRecord[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") {
    throw new DataError(file, "the file is empty (expected a JSON array of objects)", { line: 1 });
  }
  const value = parseJsonText(body, file);
  if (!Array.isArray(value)) {
    throw new DataError(file, `expected a JSON array of objects, got ${kind(value)}`, { line: 1 });
  }
  const lines = elementLines(body);
  return value.map((v, i) => ({ line: lines[i], value: asObject(v, file, lines[i]) }));
}

function asObject(value: unknown, file: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DataError(file, `expected a JSON object, got ${kind(value)}`, { line });
  }
  return value as Record<string, unknown>;
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${describe(value)}`;
}

/** The line on which each element of a top-level JSON array starts (the text parses). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1, depth = 0, inString = false, escaped = false, expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (expecting && depth === 1 && c !== 93) lines.push(line);
    expecting = false;
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1) expecting = true;
  }
  return lines;
}

/**
 * A compiled accessor for one field: the raw value of a record (a cell's text for CSV and TSV;
 * any JSON value, `undefined` when absent, for JSON).
 */
export type FieldGetter = (record: AnnotationRecord["value"]) => unknown;

/**
 * The accessor for `field` in a table's records, or `null` when a CSV/TSV header lacks the
 * column. JSON fields step into arrays (`labels[1]`) and objects (`meta.label`).
 */
export function fieldGetter(field: string, table: RecordTable): FieldGetter | null {
  if (table.columns !== null) {
    const column = table.columns.indexOf(field);
    if (column < 0) return null;
    return (record) => (record as readonly string[])[column];
  }
  const steps = fieldSteps(field);
  if (steps.length === 1) {
    const key = steps[0] as string;
    return (record) =>
      Object.hasOwn(record, key) ? (record as Record<string, unknown>)[key] : undefined;
  }
  return (record) => {
    let value: unknown = record;
    for (const step of steps) {
      if (typeof step === "number") {
        if (!Array.isArray(value) || step >= value.length) return undefined;
        value = value[step];
      } else {
        if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
        if (!Object.hasOwn(value, step)) return undefined;
        value = (value as Record<string, unknown>)[step];
      }
    }
    return value;
  };
}
