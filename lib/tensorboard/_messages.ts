/**
 * Encoding and decoding of the messages in a TensorBoard event file, field numbers as in
 * tensorflow/tensorboard's protos:
 *
 * - `Event` (compat/proto/event.proto): wall_time double 1, step int64 2, file_version string 3,
 *   summary 5.
 * - `Summary` (compat/proto/summary.proto): value 1 (repeated); `Summary.Value`: tag 1,
 *   simple_value float 2, metadata 9; `SummaryMetadata`: plugin_data 1; `PluginData`: plugin_name
 *   1, content bytes 2.
 * - `HParamsPluginData` (plugins/hparams/plugin_data.proto): version 1, experiment 2,
 *   session_start_info 3, session_end_info 4; `SessionStartInfo`: hparams map 1, group_name 4,
 *   start_time_secs 5; `SessionEndInfo`: status 1, end_time_secs 2.
 * - `Experiment` (plugins/hparams/api.proto): hparam_infos 4, metric_infos 5; `HParamInfo`: name 1,
 *   type 4; `MetricInfo`: name 1; `MetricName`: group 1, tag 2.
 * - `google.protobuf.Value` (struct.proto): number_value double 2, string_value 3, bool_value 4.
 *
 * Fields are written in number order and, as proto3 does, left out at their default value except
 * inside a `oneof`, so the bytes equal what protobuf's own serializer writes (map entries sorted by
 * key, as its deterministic mode does).
 *
 * @module
 */
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldFloat,
  fieldString,
  fieldVarint,
  type ProtoField,
  ProtoWriter,
} from "./_protobuf.ts";
import type { HparamsSession, HparamValue, ScalarEvent, SessionStatus } from "./types.ts";

/** The version string of the first event of every file. */
export const FILE_VERSION = "brain.Event:2";
/** The plugin name of hparams summaries. */
export const HPARAMS_PLUGIN = "hparams";
/** The summary tags the hparams plugin reads (tensorboard/plugins/hparams/metadata.py). */
export const HPARAMS_TAGS = {
  experiment: "_hparams_/experiment",
  sessionStart: "_hparams_/session_start_info",
  sessionEnd: "_hparams_/session_end_info",
} as const;

// plugins/hparams/api.proto `Status` and `DataType`.
const STATUS_CODES: Record<SessionStatus, number> = {
  unknown: 0,
  success: 1,
  failure: 2,
  running: 3,
};
const DATA_TYPE = { string: 1, bool: 2, float64: 3 } as const;

function event(wallTime: number, step: number, what: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  if (wallTime !== 0) w.double(1, wallTime);
  if (step !== 0) w.varint(2, step);
  what(w);
  return w.finish();
}

/** The first event of a file: `file_version: "brain.Event:2"`. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0, (w) => w.string(3, FILE_VERSION));
}

/** A scalar as the `simple_value` of a one-value summary, as torch's `add_scalar` writes it. */
export function encodeScalarEvent(s: ScalarEvent): Uint8Array {
  const value = new ProtoWriter().string(1, s.tag).float(2, s.value).finish();
  const summary = new ProtoWriter().bytes(1, value).finish();
  return event(s.wallTime, s.step, (w) => w.bytes(5, summary));
}

function pluginSummaryEvent(wallTime: number, tag: string, content: Uint8Array): Uint8Array {
  const pluginData = new ProtoWriter().string(1, HPARAMS_PLUGIN).bytes(2, content).finish();
  const metadata = new ProtoWriter().bytes(1, pluginData).finish();
  const value = new ProtoWriter().string(1, tag).bytes(9, metadata).finish();
  const summary = new ProtoWriter().bytes(1, value).finish();
  return event(wallTime, 0, (w) => w.bytes(5, summary));
}

function encodeValue(v: HparamValue): Uint8Array {
  const w = new ProtoWriter();
  if (typeof v === "number") w.double(2, v);
  else if (typeof v === "string") w.string(3, v);
  else w.varint(4, v ? 1 : 0);
  return w.finish();
}

function hparamType(v: HparamValue): number {
  return typeof v === "number"
    ? DATA_TYPE.float64
    : typeof v === "string"
    ? DATA_TYPE.string
    : DATA_TYPE.bool;
}

// HParamsPluginData with version 0 (left out, as its default) and one member of `data`.
function pluginData(field: 2 | 3 | 4, message: Uint8Array): Uint8Array {
  return new ProtoWriter().bytes(field, message).finish();
}

/**
 * The hparams plugin's events for one session: the experiment (only with `metricTags`, as
 * torch's `hparams()` writes it), the start info (settings, group, start time) and the end info
 * (status, end time). Names sorted, so the bytes do not depend on the object's key order.
 */
export function encodeHparamsEvents(session: HparamsSession): Uint8Array[] {
  const names = Object.keys(session.hparams).sort();
  const out: Uint8Array[] = [];
  if (session.metricTags) {
    const w = new ProtoWriter();
    for (const name of names) {
      w.bytes(
        4,
        new ProtoWriter().string(1, name).varint(4, hparamType(session.hparams[name])).finish(),
      );
    }
    for (const tag of session.metricTags) {
      const metricName = new ProtoWriter().string(2, tag).finish();
      w.bytes(5, new ProtoWriter().bytes(1, metricName).finish());
    }
    out.push(
      pluginSummaryEvent(session.startTime, HPARAMS_TAGS.experiment, pluginData(2, w.finish())),
    );
  }
  const start = new ProtoWriter();
  for (const name of names) {
    const entry = new ProtoWriter().string(1, name).bytes(2, encodeValue(session.hparams[name]));
    start.bytes(1, entry.finish());
  }
  if (session.groupName) start.string(4, session.groupName);
  if (session.startTime !== 0) start.double(5, session.startTime);
  out.push(
    pluginSummaryEvent(session.startTime, HPARAMS_TAGS.sessionStart, pluginData(3, start.finish())),
  );
  const endTime = session.endTime ?? session.startTime;
  const end = new ProtoWriter();
  const status = STATUS_CODES[session.status ?? "success"];
  if (status !== 0) end.varint(1, status);
  if (endTime !== 0) end.double(2, endTime);
  out.push(pluginSummaryEvent(endTime, HPARAMS_TAGS.sessionEnd, pluginData(4, end.finish())));
  return out;
}

// ------------------------------------------------------------------------------------------------
// Decoding

/** One `Summary.Value`, as far as the suite reads it. */
export interface DecodedValue {
  readonly tag: string;
  /** `simple_value`, when the value is one. */
  readonly simpleValue?: number;
  /** `metadata.plugin_data`, when present. */
  readonly plugin?: { readonly name: string; readonly content: Uint8Array };
}

/** One `Event`, as far as the suite reads it. */
export interface DecodedEvent {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly values?: readonly DecodedValue[];
}

function only(fields: ProtoField[], field: number): ProtoField | undefined {
  let last: ProtoField | undefined;
  for (const f of fields) if (f.field === field) last = f; // protobuf: the last one wins
  return last;
}

/** An `Event` message. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const fields = decodeFields(bytes);
  const wallTime = only(fields, 1);
  const step = only(fields, 2);
  const fileVersion = only(fields, 3);
  const summary = only(fields, 5);
  return {
    wallTime: wallTime ? fieldDouble(wallTime) : 0,
    step: step ? fieldVarint(step) : 0,
    ...(fileVersion ? { fileVersion: fieldString(fileVersion) } : {}),
    ...(summary ? { values: decodeSummary(fieldBytes(summary)) } : {}),
  };
}

function decodeSummary(bytes: Uint8Array): DecodedValue[] {
  return decodeFields(bytes).filter((f) => f.field === 1).map((f) => {
    const fields = decodeFields(fieldBytes(f));
    const tag = only(fields, 1);
    const simple = only(fields, 2);
    const metadata = only(fields, 9);
    let plugin: DecodedValue["plugin"];
    if (metadata) {
      const data = only(decodeFields(fieldBytes(metadata)), 1);
      if (data) {
        const pd = decodeFields(fieldBytes(data));
        const name = only(pd, 1);
        const content = only(pd, 2);
        plugin = {
          name: name ? fieldString(name) : "",
          content: content ? fieldBytes(content) : new Uint8Array(0),
        };
      }
    }
    return {
      tag: tag ? fieldString(tag) : "",
      ...(simple ? { simpleValue: fieldFloat(simple) } : {}),
      ...(plugin ? { plugin } : {}),
    };
  });
}

/** A decoded `HParamsPluginData`. */
export interface DecodedHparamsData {
  readonly version: number;
  readonly experiment?: {
    readonly hparams: readonly { readonly name: string; readonly type: number }[];
    readonly metricTags: readonly string[];
  };
  readonly start?: {
    readonly hparams: Record<string, HparamValue>;
    readonly groupName: string;
    readonly startTime: number;
  };
  readonly end?: { readonly status: SessionStatus; readonly endTime: number };
}

function decodeValue(bytes: Uint8Array): HparamValue {
  const fields = decodeFields(bytes);
  const f = fields[fields.length - 1];
  if (f?.field === 2) return fieldDouble(f);
  if (f?.field === 3) return fieldString(f);
  if (f?.field === 4) return fieldVarint(f) !== 0;
  throw new RangeError(`google.protobuf.Value without a number, string or bool`);
}

/** The `content` of an hparams summary's plugin data. */
export function decodeHparamsData(bytes: Uint8Array): DecodedHparamsData {
  const fields = decodeFields(bytes);
  const version = only(fields, 1);
  const experiment = only(fields, 2);
  const start = only(fields, 3);
  const end = only(fields, 4);
  const out: {
    version: number;
    experiment?: DecodedHparamsData["experiment"];
    start?: DecodedHparamsData["start"];
    end?: DecodedHparamsData["end"];
  } = { version: version ? fieldVarint(version) : 0 };
  if (experiment) {
    const ef = decodeFields(fieldBytes(experiment));
    out.experiment = {
      hparams: ef.filter((f) => f.field === 4).map((f) => {
        const hf = decodeFields(fieldBytes(f));
        const name = only(hf, 1);
        const type = only(hf, 4);
        return { name: name ? fieldString(name) : "", type: type ? fieldVarint(type) : 0 };
      }),
      metricTags: ef.filter((f) => f.field === 5).map((f) => {
        const name = only(decodeFields(fieldBytes(f)), 1);
        const tag = name ? only(decodeFields(fieldBytes(name)), 2) : undefined;
        return tag ? fieldString(tag) : "";
      }),
    };
  }
  if (start) {
    const sf = decodeFields(fieldBytes(start));
    const hparams: Record<string, HparamValue> = {};
    for (const f of sf.filter((f) => f.field === 1)) {
      const entry = decodeFields(fieldBytes(f));
      const key = only(entry, 1);
      const value = only(entry, 2);
      if (!key || !value) throw new RangeError(`hparams map entry without key or value`);
      hparams[fieldString(key)] = decodeValue(fieldBytes(value));
    }
    const group = only(sf, 4);
    const time = only(sf, 5);
    out.start = {
      hparams,
      groupName: group ? fieldString(group) : "",
      startTime: time ? fieldDouble(time) : 0,
    };
  }
  if (end) {
    const ef = decodeFields(fieldBytes(end));
    const status = only(ef, 1);
    const time = only(ef, 2);
    const code = status ? fieldVarint(status) : 0;
    const name = (Object.keys(STATUS_CODES) as SessionStatus[]).find((k) =>
      STATUS_CODES[k] === code
    );
    if (!name) throw new RangeError(`unknown session status ${code}`);
    out.end = { status: name, endTime: time ? fieldDouble(time) : 0 };
  }
  return out;
}
