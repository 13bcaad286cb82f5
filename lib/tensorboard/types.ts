/**
 * The values a TensorBoard event file carries, as the suite writes and reads them: scalar points
 * and hparams sessions. They sit below both the protobuf messages and the file reader.
 *
 * @module
 */

/** A setting's value as the hparams plugin stores it (a `google.protobuf.Value`). */
export type HparamValue = number | string | boolean;

/** How a session ended: the hparams plugin's `Status`. */
export type SessionStatus = "success" | "failure" | "running" | "unknown";

/** One point of a scalar series. */
export interface ScalarEvent {
  /** Series name; `/` groups series in TensorBoard's sections (`val/auroc`). */
  readonly tag: string;
  /** The x coordinate: a non-negative integer (the suite uses the epoch, from 1). */
  readonly step: number;
  /** The value; stored as float32 (`simple_value`), as TensorBoard's scalars are. */
  readonly value: number;
  /** Seconds since the Unix epoch. */
  readonly wallTime: number;
}

/**
 * One training session for TensorBoard's HParams dashboard: the settings it ran with and when.
 * The dashboard lists a row per session, a column per setting, and the last value of each of the
 * run's scalar series as metric columns.
 */
export interface HparamsSession {
  /** Setting name → value (`ratio: 0.4`, `task: "hate"`). */
  readonly hparams: Readonly<Record<string, HparamValue>>;
  /**
   * Metric tags for an `experiment` summary, as torch's `hparams()` writes one. Leave it out for
   * files that are compared under one `--logdir`: TensorBoard then builds the columns from every
   * session's settings and every scalar tag, whereas an experiment summary (it uses the first one
   * it finds) fixes them to that one file's.
   */
  readonly metricTags?: readonly string[];
  /** Sessions with the same group name form one row; empty: a row of its own. */
  readonly groupName?: string;
  /** Seconds since the Unix epoch when the session started. */
  readonly startTime: number;
  /** Seconds since the Unix epoch when it ended; default `startTime`. */
  readonly endTime?: number;
  /** Default `"success"`. */
  readonly status?: SessionStatus;
}
