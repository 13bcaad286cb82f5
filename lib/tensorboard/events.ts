/**
 * What a TensorBoard event file holds, as the suite writes and reads it: scalars and hparams
 * sessions, and the reader that checks every record of a file.
 *
 * @module
 */
import { decodeEvent, decodeHparamsData, FILE_VERSION, HPARAMS_PLUGIN } from "./_messages.ts";
import { unframeRecords } from "./_record.ts";
import type { HparamsSession, ScalarEvent } from "./types.ts";

export type { HparamsSession, HparamValue, ScalarEvent, SessionStatus } from "./types.ts";

/** Thrown for an event file that cannot be written or read as one; the message names the file. */
export class EventFileError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "EventFileError";
  }
}

/** Everything {@linkcode parseEventFile} found in a file. */
export interface EventFileContent {
  /** The first event's `file_version` (`brain.Event:2`). */
  readonly fileVersion: string;
  /** The first event's wall time. */
  readonly wallTime: number;
  /** Every `simple_value` scalar, in file order. */
  readonly scalars: readonly ScalarEvent[];
  /** Every hparams session (start info, with its end info when present), in file order. */
  readonly sessions: readonly HparamsSession[];
  /** The hparams `experiment` summary, when the file has one. */
  readonly experiment?: {
    readonly hparams: readonly string[];
    readonly metricTags: readonly string[];
  };
  /** Number of records (events) in the file. */
  readonly records: number;
}

/**
 * Reads the bytes of an event file: checks the framing of every record (length and both masked
 * CRC-32Cs), that the first event carries a `brain.Event:` file version, and decodes scalars and
 * hparams. Throws an {@linkcode EventFileError} naming `source`, the record and its byte offset.
 */
export function parseEventFile(bytes: Uint8Array, source: string): EventFileContent {
  let records: { offset: number; data: Uint8Array }[];
  try {
    records = unframeRecords(bytes);
  } catch (e) {
    throw new EventFileError(`${source}: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new EventFileError(`${source}: no records`);
  const scalars: ScalarEvent[] = [];
  const sessions: HparamsSession[] = [];
  let experiment: EventFileContent["experiment"];
  let fileVersion = "";
  let wallTime = 0;
  records.forEach(({ offset, data }, index) => {
    const where = `${source}: record ${index} (byte ${offset})`;
    try {
      const event = decodeEvent(data);
      if (index === 0) {
        if (!event.fileVersion?.startsWith("brain.Event:")) {
          throw new Error(`the first event has no file_version "${FILE_VERSION}"`);
        }
        fileVersion = event.fileVersion;
        wallTime = event.wallTime;
      }
      for (const value of event.values ?? []) {
        if (value.simpleValue !== undefined) {
          scalars.push({
            tag: value.tag,
            step: event.step,
            value: value.simpleValue,
            wallTime: event.wallTime,
          });
        } else if (value.plugin?.name === HPARAMS_PLUGIN) {
          const data = decodeHparamsData(value.plugin.content);
          if (data.version !== 0) throw new Error(`hparams plugin data version ${data.version}`);
          if (data.experiment) {
            experiment = {
              hparams: data.experiment.hparams.map((h) => h.name),
              metricTags: data.experiment.metricTags,
            };
          }
          if (data.start) {
            sessions.push({
              hparams: data.start.hparams,
              ...(data.start.groupName ? { groupName: data.start.groupName } : {}),
              startTime: data.start.startTime,
              status: "unknown",
            });
          }
          if (data.end) {
            const last = sessions.pop();
            if (!last) throw new Error(`a session end without a session start`);
            sessions.push({ ...last, endTime: data.end.endTime, status: data.end.status });
          }
        }
      }
    } catch (e) {
      throw new EventFileError(`${where}: ${(e as Error).message}`);
    }
  });
  return {
    fileVersion,
    wallTime,
    scalars,
    sessions,
    ...(experiment ? { experiment } : {}),
    records: records.length,
  };
}

/** {@linkcode parseEventFile} of a file on disk. */
export async function readEventFile(path: string): Promise<EventFileContent> {
  return parseEventFile(await Deno.readFile(path), path);
}
