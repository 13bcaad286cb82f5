/**
 * Writing one TensorBoard event file: built in memory, written atomically when closed.
 *
 * @module
 */
import { join } from "node:path";
import { exists, writeFileAtomic } from "../util/mod.ts";
import { encodeFileVersionEvent, encodeHparamsEvents, encodeScalarEvent } from "./_messages.ts";
import { frameRecord } from "./_record.ts";
import { EventFileError, type HparamsSession, type ScalarEvent } from "./events.ts";

/** Where and when an event file starts. */
export interface EventFileOptions {
  /**
   * Seconds since the Unix epoch: the time in the file's name and of its first event. Give it
   * (e.g. the time training started) for a file name and content that do not depend on when
   * the file is written; default: now.
   */
  readonly wallTime?: number;
  /** The host in the file's name; default `Deno.hostname()`. */
  readonly host?: string;
}

/**
 * `events.out.tfevents.<unix seconds, 10 digits>.<host>`, the name TensorFlow's writer gives an
 * event file (TensorBoard reads every file with `tfevents` in its name, in name order). Characters
 * other than letters, digits, `.`, `_` and `-` in the host become `_`.
 */
export function eventFileName(wallTime: number, host: string): string {
  if (!Number.isFinite(wallTime) || wallTime < 0) {
    throw new RangeError(`eventFileName: wallTime must be seconds since 1970, got ${wallTime}`);
  }
  const seconds = String(Math.floor(wallTime)).padStart(10, "0");
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, "_") || "localhost";
  return `events.out.tfevents.${seconds}.${safeHost}`;
}

/**
 * One event file of one TensorBoard run (a directory): scalars and hparams sessions are added in
 * memory, and {@linkcode EventFileWriter.close} writes the whole file at once, atomically, so a
 * reader never sees a partial file. Every value is checked as it is added; a bad one throws an
 * {@linkcode EventFileError} naming the file, the tag and the field.
 */
export class EventFileWriter {
  /** The file's path: `<dir>/events.out.tfevents.<seconds>.<host>`. */
  readonly path: string;
  readonly #dir: string;
  readonly #wallTime: number;
  readonly #records: Uint8Array[] = [];
  #closed = false;

  /** Starts the file for run directory `dir` (created on close). */
  constructor(dir: string, options: EventFileOptions = {}) {
    const wallTime = options.wallTime ?? Date.now() / 1000;
    this.#dir = dir;
    this.path = join(dir, eventFileName(wallTime, options.host ?? Deno.hostname()));
    this.#wallTime = wallTime;
    this.#records.push(frameRecord(encodeFileVersionEvent(wallTime)));
  }

  #fail(what: string): never {
    throw new EventFileError(`${this.path}: ${what}`);
  }

  #checkOpen(): void {
    if (this.#closed) this.#fail("already closed");
  }

  #checkTime(field: string, t: number): void {
    if (!Number.isFinite(t) || t < 0) this.#fail(`${field} must be seconds since 1970, got ${t}`);
  }

  /**
   * Adds one point of a scalar series. `wallTime` defaults to the file's. NaN is kept (a metric
   * that is undefined, such as AUROC without positives, shows as NaN); a finite value beyond
   * float32's range is refused rather than stored as infinity.
   */
  addScalar(scalar: Omit<ScalarEvent, "wallTime"> & { readonly wallTime?: number }): void {
    this.#checkOpen();
    const { tag, step, value } = scalar;
    const wallTime = scalar.wallTime ?? this.#wallTime;
    if (typeof tag !== "string" || tag === "") this.#fail(`a scalar needs a non-empty tag`);
    if (tag.startsWith("_hparams_/")) this.#fail(`tag ${tag}: reserved for the hparams plugin`);
    if (!Number.isSafeInteger(step) || step < 0) {
      this.#fail(`tag ${tag}: step must be a non-negative integer, got ${step}`);
    }
    if (typeof value !== "number") this.#fail(`tag ${tag}, step ${step}: value is not a number`);
    if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
      this.#fail(`tag ${tag}, step ${step}: value ${value} is beyond float32's range`);
    }
    this.#checkTime(`tag ${tag}, step ${step}: wallTime`, wallTime);
    this.#records.push(frameRecord(encodeScalarEvent({ tag, step, value, wallTime })));
  }

  /**
   * Adds an hparams session: its start info (settings, group, start time) and end info (status,
   * end time), and an experiment summary when `metricTags` is given.
   */
  addHparams(session: HparamsSession): void {
    this.#checkOpen();
    const names = Object.keys(session.hparams);
    if (names.length === 0) this.#fail(`an hparams session needs at least one setting`);
    for (const name of names) {
      const v = session.hparams[name];
      if (name === "") this.#fail(`hparams: a setting has an empty name`);
      if (typeof v === "number" && !Number.isFinite(v)) {
        this.#fail(`hparams: ${name} = ${v} is not a finite number`);
      }
      if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
        this.#fail(`hparams: ${name} must be a number, string or boolean, got ${typeof v}`);
      }
    }
    for (const tag of session.metricTags ?? []) {
      if (typeof tag !== "string" || tag === "") this.#fail(`hparams: empty metric tag`);
    }
    this.#checkTime("hparams: startTime", session.startTime);
    if (session.endTime !== undefined) this.#checkTime("hparams: endTime", session.endTime);
    for (const event of encodeHparamsEvents(session)) this.#records.push(frameRecord(event));
  }

  /** The file's bytes as they stand. */
  bytes(): Uint8Array {
    const total = this.#records.reduce((n, r) => n + r.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const r of this.#records) {
      out.set(r, at);
      at += r.length;
    }
    return out;
  }

  /**
   * Writes the file atomically (creating the directory) and returns its path. A file of the same
   * name with the same bytes is left as it is (a rerun with the same times); one with other bytes
   * is never replaced: that throws.
   */
  async close(): Promise<string> {
    this.#checkOpen();
    this.#closed = true;
    const bytes = this.bytes();
    await Deno.mkdir(this.#dir, { recursive: true });
    if (await exists(this.path)) {
      const old = await Deno.readFile(this.path);
      if (old.length === bytes.length && old.every((b, i) => b === bytes[i])) return this.path;
      this.#fail(`exists with other content; an event file is never replaced`);
    }
    await writeFileAtomic(this.path, bytes);
    return this.path;
  }
}
