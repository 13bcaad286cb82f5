/**
 * The error every data-layer check throws: it names the file, and where known the line and field,
 * so a bad row can be found and fixed by hand.
 *
 * @module
 */

/** Where a {@linkcode DataError} points. */
export interface DataErrorLocation {
  /** 1-based line in the file (the first line of the record for multi-line records). */
  readonly line?: number;
  /** The CSV column (or other field) at fault. */
  readonly field?: string;
}

/**
 * Bad input data. The message reads `PrideMM.csv:42: field "hate": expected …`, i.e. it starts
 * with the file, line and field; the parts are also available as properties.
 */
export class DataError extends Error {
  /** The file at fault (a path, or `archive.zip!inner/path.csv` for a file inside an archive). */
  readonly file: string;
  /** 1-based line, when the fault is on a line. */
  readonly line?: number;
  /** Field (column) name, when the fault is in one field. */
  readonly field?: string;
  /** The message without the location prefix. */
  readonly detail: string;

  /** Creates the error; the message is prefixed with the location. */
  constructor(file: string, detail: string, at: DataErrorLocation = {}) {
    const where = at.line === undefined ? file : `${file}:${at.line}`;
    super(`${where}: ${at.field === undefined ? "" : `field "${at.field}": `}${detail}`);
    this.name = "DataError";
    this.file = file;
    this.line = at.line;
    this.field = at.field;
    this.detail = detail;
  }
}
