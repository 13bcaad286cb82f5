/**
 * TensorBoard event files: the record framing and its masked CRC-32C against published vectors,
 * the protobuf bytes of events against hand-assembled ones, the writer's checks and atomic writes,
 * a cell's events; then the files read back by TensorBoard itself (its record reader,
 * `EventAccumulator`, and the HParams dashboard's HTTP API, where pip can install `tensorboard`
 * into .cache/python/) and by Debian's python3-protobuf.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CellResult, checkCells, type StoredCell } from "../lib/run/mod.ts";
import { evaluateLogits } from "../lib/metrics/mod.ts";
import { crc32c, maskedCrc32c } from "../lib/tensorboard/_crc32c.ts";
import { encodeHparamsEvents, encodeScalarEvent } from "../lib/tensorboard/_messages.ts";
import { decodeFields } from "../lib/tensorboard/_protobuf.ts";
import {
  type CellEpoch,
  cellEvents,
  type CellHistory,
  type CellSplitMetrics,
  EventFileError,
  eventFileName,
  EventFileWriter,
  parseEventFile,
  readEventFile,
  writeCellEvents,
} from "../lib/tensorboard/mod.ts";
import type { EpochRecord } from "../lib/train/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { smallAblation } from "./_runs.ts";

const READER = `${REPO_ROOT}/tests/fixtures/tensorboard/read_events.py`;
const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (b) => parseInt(b, 16));
const ascii = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: (Uint8Array | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => [...p]));

// ------------------------------------------------------------------------------------------------
// CRC-32C and the record framing

/** CRC-32C bit by bit from its definition (reflected polynomial 0x82F63B78), without a table. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c: the check value and the RFC 3720 (iSCSI) test vectors", () => {
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // RFC 3720, appendix B.4.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  const iscsiReadPdu = hex(
    "01c00000 00000000 00000000 00000000 14000000 00000400 00000014 00000018" +
      "28000000 00000000 02000000 00000000",
  );
  assert.equal(iscsiReadPdu.length, 48);
  assert.equal(crc32c(iscsiReadPdu), 0xd9963a56);
  // The table-driven CRC equals the bitwise definition on every length 0…300 of varied bytes.
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 167 + 13) & 0xff);
  for (let n = 0; n <= bytes.length; n++) {
    assert.equal(crc32c(bytes.subarray(0, n)), crc32cBitwise(bytes.subarray(0, n)), `n = ${n}`);
  }
});

Deno.test("masked CRC-32C: TensorFlow's rotate-by-15 plus 0xa282ead8", () => {
  // Computed here with BigInt from the formula: ((crc >>> 15) | (crc << 17)) + 0xa282ead8 mod 2^32.
  const mask = (crc: number) => {
    const c = BigInt(crc);
    return Number((((c >> 15n) | (c << 17n)) + 0xa282ead8n) & 0xffffffffn);
  };
  assert.equal(mask(0xe3069283), 0xc78ab0e5);
  assert.equal(maskedCrc32c(ascii("123456789")), 0xc78ab0e5);
  assert.equal(maskedCrc32c(new Uint8Array(0)), 0xa282ead8); // CRC 0: the constant alone
  // The header of every TensorFlow event file: length 24 (the file_version event), CRC a3 7f 4b 22.
  assert.equal(maskedCrc32c(hex("1800000000000000")), 0x224b7fa3);
  for (const s of ["", "a", "foo", "brain.Event:2"]) {
    assert.equal(maskedCrc32c(ascii(s)), mask(crc32cBitwise(ascii(s))), s);
  }
});

Deno.test("one scalar event: the protobuf and record bytes assembled by hand", () => {
  // Event { wall_time: 2.0 (field 1, double), step: 3 (field 2, varint),
  //         summary (field 5) { value (field 1) { tag: "a" (1), simple_value: 0.5 (2, float) } } }
  const event = hex("09 0000000000000040  10 03  2a 0a  0a 08  0a 01 61  15 0000003f");
  assert.deepEqual(encodeScalarEvent({ tag: "a", step: 3, value: 0.5, wallTime: 2 }), event);
  const writer = new EventFileWriter("/nonexistent", { wallTime: 2, host: "h" });
  writer.addScalar({ tag: "a", step: 3, value: 0.5 });
  const file = writer.bytes();
  // Record 0: the file version. Event { wall_time: 2.0, file_version (field 3): "brain.Event:2" }.
  const version = concat(hex("09 0000000000000040 1a 0d"), ascii("brain.Event:2"));
  assert.equal(version.length, 24);
  const expected = concat(
    hex("1800000000000000 a37f4b22"), // length 24, masked CRC of those 8 bytes
    version,
    u32le(maskedCrc32c(version)),
    // Record 1. The CRCs as TensorBoard's own masked_crc32c gives them for these bytes.
    hex("1700000000000000 e7cef81e"), // length 23
    event,
    hex("959aa0ce"),
  );
  assert.deepEqual(file, expected);
});

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

Deno.test("an hparams session start: plugin data bytes assembled by hand", () => {
  // HParamsPluginData { version 0 (left out), session_start_info (field 3) {
  //   hparams (map, field 1) { key "a" (1), value (2): google.protobuf.Value { number_value (2): 1.0 } } } }
  const value = hex("11 000000000000f03f");
  const entry = concat(hex("0a 01 61 12 09"), value);
  const start = concat(hex("0a 0e"), entry);
  const content = concat(hex("1a 10"), start);
  const pluginData = concat(hex("0a 07"), ascii("hparams"), hex("12 12"), content);
  const metadata = concat(hex("0a 1d"), pluginData);
  const summaryValue = concat(
    hex("0a 1c"),
    ascii("_hparams_/session_start_info"),
    hex("4a 1f"), // metadata, field 9
    metadata,
  );
  const eventBytes = concat(hex("2a 41 0a 3f"), summaryValue);
  assert.equal(eventBytes.length, 67);
  const events = encodeHparamsEvents({ hparams: { a: 1 }, startTime: 0 });
  assert.equal(events.length, 2, "no experiment without metric tags: start and end only");
  assert.deepEqual(events[0], eventBytes);
  // The end: HParamsPluginData { session_end_info (field 4) { status: STATUS_SUCCESS = 1 } }.
  const end = events[1];
  const endContent = hex("22 02 08 01");
  assert.deepEqual(end.subarray(end.length - endContent.length), endContent);
  // Map entries are written sorted by key, whatever the object's order.
  const [ab] = encodeHparamsEvents({ hparams: { b: "x", a: true }, startTime: 0 });
  const [ba] = encodeHparamsEvents({ hparams: { a: true, b: "x" }, startTime: 0 });
  assert.deepEqual(ab, ba);
});

/** The records of a file, framed and CRC-checked here, independently of the module's reader. */
function records(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const n = Number(view.getBigUint64(pos, true));
    assert.equal(view.getUint32(pos + 8, true), maskedCrc32c(bytes.subarray(pos, pos + 8)));
    const data = bytes.subarray(pos + 12, pos + 12 + n);
    assert.equal(view.getUint32(pos + 12 + n, true), maskedCrc32c(data));
    out.push(data);
    pos += 16 + n;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// A cell

const metrics = (x: number, extra = true): CellSplitMetrics => ({
  accuracy: x,
  macroF1: x - 0.03,
  auroc: x + 0.05,
  ...(extra ? { aurocReference: x + 0.04, loss: 1.25 - x } : {}),
});

function epochs(n: number, base: number): CellEpoch[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 0.75 - 0.0625 * i,
    val: metrics(base + 0.05 * i),
    test: metrics(base + 0.04 * i),
    seconds: 2.5 + i,
    referenceMonitor: 0.5 + 0.1 * i,
  }));
}

const START = 1_700_000_000.25;

function sampleCell(patch: Partial<CellHistory> = {}): CellHistory {
  const e = epochs(3, 0.6);
  return {
    variant: "ratio=0.4,depth=2",
    task: "hate",
    seed: 42,
    settings: { ratio: 0.4, depth: 2 },
    startTime: START,
    epochs: e,
    reference: { epoch: 3, test: e[2].test },
    clean: { epoch: 2, val: e[1].val, test: e[1].test },
    ...patch,
  };
}

const EPOCH_TAGS = [
  "train/loss",
  ...["val", "test"].flatMap((s) =>
    ["accuracy", "auroc", "auroc_reference", "macro_f1", "loss"].map((m) => `${s}/${m}`)
  ),
  "test/auroc_batch_mean",
];
const SPLIT_TAGS = ["accuracy", "auroc", "auroc_reference", "macro_f1", "loss"];
const SELECTED_TAGS = [
  "reference/epoch",
  ...SPLIT_TAGS.map((m) => `reference/test/${m}`),
  "clean/epoch",
  ...SPLIT_TAGS.map((m) => `clean/val/${m}`),
  ...SPLIT_TAGS.map((m) => `clean/test/${m}`),
];

Deno.test("cellEvents: per-epoch curves, both protocols' selections, the settings as hparams", () => {
  const cell = sampleCell();
  const events = cellEvents(cell);
  assert.equal(events.wallTime, START);
  assert.equal(events.scalars.length, 3 * 12 + 17);
  // Epoch by epoch, in this order, at step = epoch and the end time of that epoch.
  const ends = [START + 2.5, START + 2.5 + 3.5, START + 2.5 + 3.5 + 4.5];
  for (let i = 0; i < 3; i++) {
    const block = events.scalars.slice(12 * i, 12 * (i + 1));
    assert.deepEqual(block.map((s) => s.tag), EPOCH_TAGS);
    assert.ok(block.every((s) => s.step === i + 1 && s.wallTime === ends[i]));
    const e = cell.epochs[i];
    assert.deepEqual(block.map((s) => s.value), [
      e.trainLoss,
      e.val.accuracy,
      e.val.auroc,
      e.val.aurocReference,
      e.val.macroF1,
      e.val.loss,
      e.test.accuracy,
      e.test.auroc,
      e.test.aurocReference,
      e.test.macroF1,
      e.test.loss,
      e.referenceMonitor,
    ]);
  }
  const selected = events.scalars.slice(36);
  assert.deepEqual(selected.map((s) => s.tag), SELECTED_TAGS);
  assert.ok(selected.every((s) => s.wallTime === ends[2]));
  const at = (tag: string) => selected.find((s) => s.tag === tag)!;
  assert.deepEqual(at("reference/epoch"), {
    tag: "reference/epoch",
    step: 3,
    value: 3,
    wallTime: ends[2],
  });
  assert.equal(at("reference/test/auroc").step, 3);
  assert.equal(at("reference/test/auroc").value, cell.epochs[2].test.auroc);
  assert.deepEqual([at("clean/epoch").step, at("clean/epoch").value], [2, 2]);
  assert.equal(at("clean/val/macro_f1").value, cell.epochs[1].val.macroF1);
  assert.equal(at("clean/test/loss").value, cell.epochs[1].test.loss);
  assert.deepEqual(events.session, {
    hparams: { variant: "ratio=0.4,depth=2", task: "hate", seed: 42, ratio: 0.4, depth: 2 },
    startTime: START,
    endTime: ends[2],
    status: "success",
  });
  // A pure function: the same history, the same events.
  assert.deepEqual(cellEvents(sampleCell()), events);
});

Deno.test("cellEvents: metrics that were not recorded have no series; no protocols, no selections", () => {
  const e = epochs(2, 0.5).map((r) => ({
    ...r,
    val: metrics(0.5, false),
    test: metrics(0.6, false),
    referenceMonitor: undefined,
  }));
  const events = cellEvents(sampleCell({ epochs: e, reference: undefined, clean: undefined }));
  assert.deepEqual(
    events.scalars.filter((s) => s.step === 1).map((s) => s.tag),
    [
      "train/loss",
      "val/accuracy",
      "val/auroc",
      "val/macro_f1",
      "test/accuracy",
      "test/auroc",
      "test/macro_f1",
    ],
  );
  assert.equal(events.scalars.length, 14);
});

Deno.test("cellEvents: inconsistent histories are refused, naming the cell and the field", () => {
  const e = epochs(3, 0.6);
  assert.throws(
    () => cellEvents(sampleCell({ epochs: [e[0], e[2], e[1]] })),
    (err: Error) =>
      err instanceof EventFileError &&
      err.message ===
        "cell ratio=0.4,depth=2/hate/seed 42: epoch 2 follows epoch 3; epochs count up from 1",
  );
  assert.throws(
    () => cellEvents(sampleCell({ clean: { epoch: 4, val: e[0].val, test: e[0].test } })),
    /clean\.epoch 4 is not one of the cell's epochs/,
  );
  assert.throws(() => cellEvents(sampleCell({ epochs: [] })), /: no epochs$/);
  assert.throws(
    () => cellEvents(sampleCell({ epochs: [{ ...e[0], seconds: -1 }] })),
    /epoch 1: seconds must be ≥ 0, got -1/,
  );
  assert.throws(
    () => cellEvents(sampleCell({ settings: { seed: 7 } })),
    /setting "seed" would hide the cell's own seed/,
  );
  assert.throws(() => cellEvents(sampleCell({ startTime: NaN })), /startTime must be seconds/);
});

Deno.test("the trainer's epoch records and a finished cell's record pass without conversion", () => {
  // Compile-time: the experiment's CellResult fits the plain input type field for field.
  const history = (r: CellResult, startTime: number): CellHistory => ({
    variant: r.variant,
    task: r.task,
    seed: r.seed,
    settings: { ratio: r.config.head.ratio, depth: r.config.head.numMappingLayers },
    startTime,
    epochs: r.curves,
    reference: r.reference,
    clean: r.clean,
  });
  assert.equal(history.length, 2);
  // Run time: real metrics (lib/metrics) in a trainer's EpochRecord; the confusion matrix, n and
  // evaluation seconds have no series.
  const m = evaluateLogits(
    new Float32Array([2, -1, 0.5, 0.2, -3, 4]),
    new Int32Array([0, 1, 1]),
    2,
  );
  const record: EpochRecord = {
    epoch: 1,
    trainLoss: 0.5,
    val: m,
    test: m,
    seconds: 1,
    evalSeconds: 0.25,
    referenceMonitor: 0.75,
  };
  const events = cellEvents({
    variant: "memeclip",
    task: "hate",
    seed: 1,
    startTime: 0,
    epochs: [record],
    reference: { epoch: 1, test: m },
    clean: { epoch: 1, val: m, test: m },
  });
  const value = (tag: string) => events.scalars.find((s) => s.tag === tag)!.value;
  assert.equal(value("val/accuracy"), 2 / 3);
  assert.equal(value("val/macro_f1"), 2 / 3);
  assert.equal(value("test/auroc"), 1);
  assert.equal(value("test/auroc_reference"), m.aurocReference);
  assert.equal(value("clean/test/loss"), m.loss);
  assert.equal(value("test/auroc_batch_mean"), 0.75);
  assert.equal(events.scalars.length, 12 + 17);
});

// ------------------------------------------------------------------------------------------------
// The writer

Deno.test("eventFileName: TensorFlow's pattern, deterministic, host made safe", () => {
  assert.equal(
    eventFileName(1_700_000_000.9, "lab-1.example"),
    "events.out.tfevents.1700000000.lab-1.example",
  );
  assert.equal(eventFileName(5, "h"), "events.out.tfevents.0000000005.h");
  assert.equal(eventFileName(5, "a/b c"), "events.out.tfevents.0000000005.a_b_c");
  assert.equal(eventFileName(5, ""), "events.out.tfevents.0000000005.localhost");
  assert.throws(() => eventFileName(-1, "h"), /wallTime must be seconds since 1970/);
});

Deno.test("writeCellEvents: one file, atomically; the same history gives the same bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const runDir = join(dir, "run", "memeclip__hate__seed42");
    const path = await writeCellEvents(runDir, sampleCell(), { host: "lab" });
    assert.equal(path, join(runDir, "events.out.tfevents.1700000000.lab"));
    assert.deepEqual([...Deno.readDirSync(runDir)].map((e) => e.name), [
      "events.out.tfevents.1700000000.lab",
    ]);
    const bytes = await Deno.readFile(path);
    // Records: file version, session start, session end, 53 scalars.
    const recs = records(bytes);
    assert.equal(recs.length, 3 + 53);
    // Every record's top-level fields are Event's: wall_time 1, step 2, file_version 3, summary 5.
    for (const r of recs) {
      for (const f of decodeFields(r)) {
        assert.ok([1, 2, 3, 5].includes(f.field), `field ${f.field}`);
      }
    }
    const content = await readEventFile(path);
    assert.equal(content.fileVersion, "brain.Event:2");
    assert.equal(content.wallTime, START);
    assert.equal(content.records, 56);
    assert.equal(content.experiment, undefined);
    const events = cellEvents(sampleCell());
    assert.deepEqual(
      content.scalars,
      events.scalars.map((s) => ({ ...s, value: Math.fround(s.value) })),
    );
    assert.deepEqual(content.sessions, [events.session]);
    // Rewriting the same history (a rerun) leaves the identical file; other content is refused.
    assert.equal(await writeCellEvents(runDir, sampleCell(), { host: "lab" }), path);
    assert.deepEqual(await Deno.readFile(path), bytes);
    await assert.rejects(
      () => writeCellEvents(runDir, sampleCell({ seed: 43 }), { host: "lab" }),
      (e: Error) =>
        e instanceof EventFileError &&
        e.message === `${path}: exists with other content; an event file is never replaced`,
    );
    assert.deepEqual(await Deno.readFile(path), bytes);
    assert.deepEqual([...Deno.readDirSync(runDir)].length, 1, "no temporary file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EventFileWriter: bad values are refused as they are added, naming file, tag and field", () => {
  const w = new EventFileWriter("/x", { wallTime: 10, host: "h" });
  const file = "/x/events.out.tfevents.0000000010.h";
  assert.equal(w.path, file);
  const refuses = (f: () => void, message: string) =>
    assert.throws(
      f,
      (e: Error) => e instanceof EventFileError && e.message === `${file}: ${message}`,
    );
  refuses(() => w.addScalar({ tag: "", step: 1, value: 1 }), "a scalar needs a non-empty tag");
  refuses(
    () => w.addScalar({ tag: "val/auroc", step: -1, value: 1 }),
    "tag val/auroc: step must be a non-negative integer, got -1",
  );
  refuses(
    () => w.addScalar({ tag: "val/auroc", step: 1.5, value: 1 }),
    "tag val/auroc: step must be a non-negative integer, got 1.5",
  );
  refuses(
    () => w.addScalar({ tag: "train/loss", step: 2, value: 1e39 }),
    "tag train/loss, step 2: value 1e+39 is beyond float32's range",
  );
  refuses(
    () => w.addScalar({ tag: "t", step: 2, value: 1, wallTime: Infinity }),
    "tag t, step 2: wallTime must be seconds since 1970, got Infinity",
  );
  refuses(
    () => w.addScalar({ tag: "_hparams_/experiment", step: 0, value: 1 }),
    "tag _hparams_/experiment: reserved for the hparams plugin",
  );
  refuses(
    () => w.addHparams({ hparams: { ratio: NaN }, startTime: 0 }),
    "hparams: ratio = NaN is not a finite number",
  );
  refuses(
    () => w.addHparams({ hparams: {}, startTime: 0 }),
    "an hparams session needs at least one setting",
  );
  // Nothing refused was added: the file holds its version record only.
  assert.equal(parseEventFile(w.bytes(), file).records, 1);
  // NaN (an undefined metric) is kept as NaN; values round to float32.
  w.addScalar({ tag: "val/auroc", step: 1, value: NaN });
  w.addScalar({ tag: "val/auroc", step: 2, value: 0.1 });
  const scalars = parseEventFile(w.bytes(), file).scalars;
  assert.ok(Number.isNaN(scalars[0].value));
  assert.equal(scalars[1].value, Math.fround(0.1));
  assert.equal(scalars[1].wallTime, 10, "wall time defaults to the file's");
});

Deno.test("EventFileWriter: group name, status, end time and an experiment summary read back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = new EventFileWriter(dir, { wallTime: 100, host: "h" });
    w.addHparams({
      hparams: { lr: 1e-4, fusion: "concat", frozen: true },
      metricTags: ["clean/test/auroc"],
      groupName: "concat",
      startTime: 100,
      endTime: 250.5,
      status: "failure",
    });
    const path = await w.close();
    assert.throws(() => w.addScalar({ tag: "t", step: 0, value: 0 }), /already closed/);
    const content = await readEventFile(path);
    assert.equal(content.records, 4);
    assert.deepEqual(content.experiment, {
      hparams: ["frozen", "fusion", "lr"],
      metricTags: ["clean/test/auroc"],
    });
    assert.deepEqual(content.sessions, [{
      hparams: { fusion: "concat", frozen: true, lr: 1e-4 },
      groupName: "concat",
      startTime: 100,
      endTime: 250.5,
      status: "failure",
    }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the reader checks every record: a changed byte or a cut file names record and offset", () => {
  const w = new EventFileWriter("/x", { wallTime: 1, host: "h" });
  w.addScalar({ tag: "train/loss", step: 1, value: 0.5 });
  w.addScalar({ tag: "train/loss", step: 2, value: 0.25 });
  const good = w.bytes();
  const recs = records(good);
  const second = 16 + recs[0].length; // byte offset of record 1
  const flip = (at: number) => {
    const b = good.slice();
    b[at] ^= 0x01;
    return b;
  };
  assert.throws(
    () => parseEventFile(flip(second + 12 + 3), "f"),
    /^EventFileError: f: record 1 \(byte 40\): data CRC 0x[0-9a-f]{8} does not match 0x[0-9a-f]{8}$/,
  );
  assert.equal(second, 40);
  assert.throws(() => parseEventFile(flip(second + 1), "f"), /f: record 1 \(byte 40\): length CRC/);
  assert.throws(() => parseEventFile(flip(second + 9), "f"), /f: record 1 \(byte 40\): length CRC/);
  assert.throws(
    () => parseEventFile(good.subarray(0, good.length - 1), "f"),
    /f: record 2 \(byte 88\): length 32 runs past the end \(47 bytes left\)/,
  );
  assert.throws(
    () => parseEventFile(good.subarray(0, second + 5), "f"),
    /record 1 .*truncated header/,
  );
  assert.throws(() => parseEventFile(new Uint8Array(0), "f"), /^EventFileError: f: no records$/);
  // A well-framed file whose first event is not a file version.
  const noVersion = new EventFileWriter("/x", { wallTime: 1, host: "h" });
  noVersion.addScalar({ tag: "a", step: 0, value: 0 });
  const tail = noVersion.bytes().subarray(16 + records(noVersion.bytes())[0].length);
  assert.throws(
    () => parseEventFile(tail, "f"),
    /f: record 0 \(byte 0\): the first event has no file_version/,
  );
});

// ------------------------------------------------------------------------------------------------
// Other readers: TensorBoard itself (pip, best effort) and Debian's python3-protobuf

/** Two runs of an ablation, as `tensorboard --logdir results/` sees them: settings that differ. */
function ablationCells(): { dir: string; cell: CellHistory }[] {
  const b = epochs(2, 0.55);
  return [
    {
      dir: "20260101-000000-ablate/tensorboard/ratio=0.4,depth=2__hate__seed42",
      cell: sampleCell(),
    },
    {
      dir: "20260101-000000-ablate/tensorboard/ratio=0.4,depth=2__hate__seed43",
      cell: sampleCell({ seed: 43, startTime: START + 60 }),
    },
    {
      dir: "20260102-000000-ablate/tensorboard/fusion=concat__stance__seed42",
      cell: {
        variant: "fusion=concat",
        task: "stance",
        seed: 42,
        settings: { fusion: "concat" },
        startTime: START + 3600,
        epochs: b,
        reference: { epoch: 1, test: b[0].test },
        clean: { epoch: 2, val: b[1].val, test: b[1].test },
      },
    },
  ];
}

async function writeAblation(root: string): Promise<Map<string, CellHistory>> {
  const files = new Map<string, CellHistory>();
  for (const { dir, cell } of ablationCells()) {
    const path = await writeCellEvents(join(root, dir), cell, { host: "lab" });
    files.set(path.slice(root.length + 1), cell);
  }
  return files;
}

interface PythonFile {
  records: number;
  file_version: string;
  roundtrip_mismatches: number;
  scalars: Record<string, [number, number, number][]>;
  hparams: Record<string, Record<string, Record<string, unknown>>>;
}

/** What the Python reader must report for a file written from `cell`. */
function assertFileAsWritten(file: PythonFile, cell: CellHistory, name: string): void {
  const events = cellEvents(cell);
  assert.equal(file.records, 3 + events.scalars.length, name);
  assert.equal(file.file_version, "brain.Event:2");
  assert.equal(file.roundtrip_mismatches, 0, `${name}: bytes differ from protobuf's own encoding`);
  const expected: Record<string, [number, number, number][]> = {};
  for (const s of events.scalars) {
    (expected[s.tag] ??= []).push([s.step, Math.fround(s.value), s.wallTime]);
  }
  assert.deepEqual(file.scalars, expected, name);
  assert.deepEqual(file.hparams, {
    "_hparams_/session_start_info": {
      version: 0,
      session_start_info: {
        hparams: events.session.hparams,
        group_name: "",
        start_time_secs: events.session.startTime,
      },
    },
    "_hparams_/session_end_info": {
      version: 0,
      session_end_info: { status: "STATUS_SUCCESS", end_time_secs: events.session.endTime },
    },
  }, name);
}

async function python(
  exe: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const out = await new Deno.Command(exe, { args, env, stdout: "piped", stderr: "piped" })
    .output()
    .catch((e) => ({ success: false, stdout: new Uint8Array(), stderr: ascii(String(e)) }));
  const dec = new TextDecoder();
  return { success: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const PYTHON = await (async () => {
  for (const exe of ["/usr/bin/python3", "python3"]) {
    if ((await python(exe, ["-c", "pass"])).success) return exe;
  }
  return null;
})();

/**
 * `tensorboard` installed with pip into .cache/python/tensorboard-<python tag>/ (git-ignored), once:
 * its directory for PYTHONPATH, or why it cannot be had here.
 */
async function installTensorboard(): Promise<{ path: string } | { reason: string }> {
  if (!PYTHON) return { reason: "no python3 on this machine" };
  const tag = (await python(PYTHON, ["-c", "import sys; print(sys.implementation.cache_tag)"]))
    .stdout.trim();
  const target = `${REPO_ROOT}/.cache/python/tensorboard-${tag}`;
  const works = async () =>
    (await python(PYTHON, ["-c", "import tensorboard, werkzeug"], { PYTHONPATH: target })).success;
  try {
    await Deno.stat(`${target}/.installed`);
    if (await works()) return { path: target };
  } catch { /* not installed yet */ }
  await Deno.mkdir(`${REPO_ROOT}/.cache/python`, { recursive: true });
  const staging = await Deno.makeTempDir({
    dir: `${REPO_ROOT}/.cache/python`,
    prefix: ".tensorboard-",
  });
  const pip = await python(PYTHON, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--no-input",
    "--retries",
    "0",
    "--timeout",
    "20",
    "--target",
    staging,
    "tensorboard",
  ]);
  if (!pip.success) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    const last = pip.stderr.trim().split("\n").filter((l) => !/^WARNING/.test(l)).pop() ?? "";
    return { reason: `pip could not install tensorboard (${last || "no message"})` };
  }
  await Deno.remove(target, { recursive: true }).catch(() => {});
  await Deno.rename(staging, target);
  await Deno.writeTextFile(`${target}/.installed`, "tensorboard\n");
  return (await works())
    ? { path: target }
    : { reason: "tensorboard installed but does not import" };
}

const TENSORBOARD = await installTensorboard();
if ("reason" in TENSORBOARD) {
  console.log(`TensorBoard reader test skipped: ${TENSORBOARD.reason}`);
}

Deno.test({
  name: "TensorBoard's own reader and HParams dashboard list every cell's scalars and settings",
  ignore: "reason" in TENSORBOARD,
  async fn() {
    const root = await Deno.makeTempDir();
    const other = await Deno.makeTempDir();
    try {
      const files = await writeAblation(root);
      // A copy of one file with a flipped byte, outside the log directory.
      const corrupt = join(other, "events.out.tfevents.1.x");
      const bad = await Deno.readFile(join(root, [...files.keys()][0]));
      bad[bad.length - 20] ^= 0x40;
      await Deno.writeFile(corrupt, bad);
      const run = await python(
        PYTHON!,
        [READER, "tensorboard", root, "--dashboard", "--corrupt", corrupt],
        { PYTHONPATH: (TENSORBOARD as { path: string }).path },
      );
      assert.ok(run.success, run.stderr);
      const out = JSON.parse(run.stdout);
      console.log(`  (tensorboard ${out.tensorboard_version})`);
      assert.match(out.corrupt_error, /crc/i, "TensorBoard's reader checks the CRCs too");
      assert.deepEqual(Object.keys(out.files).sort(), [...files.keys()].sort());
      for (const [name, cell] of files) assertFileAsWritten(out.files[name], cell, name);

      // The HParams dashboard: a column per setting of any run, a metric column per scalar tag,
      // a row per cell with its settings and the last value of each series.
      const dash = out.dashboard;
      assert.deepEqual(dash.hparams, ["depth", "fusion", "ratio", "seed", "task", "variant"]);
      assert.deepEqual(dash.metrics, [...EPOCH_TAGS, ...SELECTED_TAGS].sort());
      const runs = [...files.keys()].map((f) => f.slice(0, f.lastIndexOf("/")));
      assert.deepEqual(Object.keys(dash.sessions).sort(), [...runs].sort());
      for (const [name, cell] of files) {
        const session = dash.sessions[name.slice(0, name.lastIndexOf("/"))];
        const events = cellEvents(cell);
        assert.deepEqual(session.hparams, events.session.hparams);
        assert.deepEqual(session.status, ["STATUS_SUCCESS"]);
        const last: Record<string, number> = {};
        for (const s of events.scalars) last[s.tag] = Math.fround(s.value);
        assert.deepEqual(session.metrics, last);
      }
      assert.equal(
        dash.sessions[runs[2]].metrics["clean/test/auroc"],
        Math.fround(0.55 + 0.04 + 0.05),
      );
      for (const r of runs) {
        assert.deepEqual(dash.scalar_runs[r], [...EPOCH_TAGS, ...SELECTED_TAGS].sort());
      }
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(other, { recursive: true });
    }
  },
});

Deno.test({
  name: "TensorBoard reads the experiment summary, group name and status as written",
  ignore: "reason" in TENSORBOARD,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const w = new EventFileWriter(root, { wallTime: 100, host: "h" });
      w.addHparams({
        hparams: { lr: 1e-4, fusion: "concat", frozen: true },
        metricTags: ["clean/test/auroc", "train/loss"],
        groupName: "g",
        startTime: 100,
        endTime: 250.5,
        status: "failure",
      });
      await w.close();
      const run = await python(PYTHON!, [READER, "tensorboard", root], {
        PYTHONPATH: (TENSORBOARD as { path: string }).path,
      });
      assert.ok(run.success, run.stderr);
      const file = JSON.parse(run.stdout).files["events.out.tfevents.0000000100.h"];
      assert.equal(file.roundtrip_mismatches, 0);
      assert.deepEqual(file.hparams["_hparams_/experiment"], {
        version: 0,
        experiment: {
          // api.proto DataType: STRING 1, BOOL 2, FLOAT64 3.
          hparam_infos: [
            { name: "frozen", type: 2 },
            { name: "fusion", type: 1 },
            { name: "lr", type: 3 },
          ],
          metric_tags: ["clean/test/auroc", "train/loss"],
        },
      });
      assert.deepEqual(file.hparams["_hparams_/session_start_info"].session_start_info, {
        hparams: { lr: 1e-4, fusion: "concat", frozen: true },
        group_name: "g",
        start_time_secs: 100,
      });
      assert.deepEqual(file.hparams["_hparams_/session_end_info"].session_end_info, {
        status: "STATUS_FAILURE",
        end_time_secs: 250.5,
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("Debian's python3-protobuf parses every record into the messages of the .proto files", async () => {
  const check = PYTHON && (await python(PYTHON, ["-c", "import google.protobuf"])).success;
  assert.ok(
    check,
    `${
      PYTHON ?? "python3"
    } cannot import google.protobuf: run \`bash scripts/bootstrap.sh test\` ` +
      "(apt: python3-protobuf)",
  );
  const root = await Deno.makeTempDir();
  try {
    const files = await writeAblation(root);
    // Without PYTHONPATH: the system's protobuf, whatever pip installed elsewhere.
    const run = await python(PYTHON!, [READER, "protobuf", root]);
    assert.ok(run.success, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(out.files).sort(), [...files.keys()].sort());
    for (const [name, cell] of files) assertFileAsWritten(out.files[name], cell, name);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// ------------------------------------------------------------------------------------------------
// Event files as runs write them: one per cell, as it finishes, under <run>/tensorboard/<key>/

/** Two small ablations under one results root, as `tensorboard --logdir results/` sees them. */
interface RunsFixture {
  readonly root: string;
  /** Each event file, relative to the root, with the history its cell's record gives. */
  readonly files: Map<string, CellHistory>;
}

let runsFixture: Promise<RunsFixture> | undefined;

function twoRuns(): Promise<RunsFixture> {
  runsFixture ??= (async () => {
    const work = await Deno.makeTempDir({ prefix: "memesense-tensorboard-runs-" });
    // Shared by the tests below, whichever of them run: removed when the file's tests end.
    globalThis.addEventListener("unload", () => Deno.removeSync(work, { recursive: true }));
    const root = `${work}/results`;
    const runs = [
      await smallAblation(work, root, { name: "grid-a" }),
      await smallAblation(work, root, { name: "grid-b", ratios: [0.2, 1] }),
    ];
    const files = new Map<string, CellHistory>();
    for (const { runDir } of runs) {
      for (const check of await checkCells(runDir)) {
        const cell = check.result!;
        const stored = JSON.parse(
          await Deno.readTextFile(`${runDir}/cells/${cell.key}.json`),
        ) as StoredCell;
        const owned = stored.files!.filter((f) => f.path.startsWith("tensorboard/"));
        assert.equal(owned.length, 1, `${cell.key}: one event file, owned by the cell`);
        assert.match(
          owned[0].path,
          new RegExp(`^tensorboard/${cell.key}/events\\.out\\.tfevents\\.\\d{10}\\.`),
        );
        const path = `${runDir}/${owned[0].path}`;
        const content = await readEventFile(path);
        files.set(path.slice(root.length + 1), {
          variant: cell.variant,
          task: cell.task,
          seed: cell.seed,
          // The grid varies ratio and depth: both are hparams of every cell of both runs.
          settings: { ratio: cell.config.head.ratio, depth: cell.config.head.numMappingLayers },
          startTime: content.wallTime,
          epochs: cell.curves,
          reference: cell.reference,
          clean: cell.clean,
        });
      }
    }
    assert.equal(files.size, 16, "8 cells in each run");
    return { root, files };
  })();
  return runsFixture;
}

Deno.test({
  name:
    "a run writes each cell's event file as it finishes: its record's curves, owned and checked",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { root, files } = await twoRuns();
    for (const [name, cell] of files) {
      const content = await readEventFile(`${root}/${name}`);
      const events = cellEvents(cell);
      assert.deepEqual(
        content.scalars,
        events.scalars.map((s) => ({ ...s, value: Math.fround(s.value) })),
        name,
      );
      assert.deepEqual(content.sessions[0].hparams, events.session.hparams, name);
    }
    // A cell whose event file is damaged is incomplete, named, and trained again on resume.
    const [name] = [...files.keys()];
    const runDir = `${root}/${name.split("/")[0]}`;
    const bytes = await Deno.readFile(`${root}/${name}`);
    await Deno.writeFile(`${root}/${name}`, bytes.subarray(0, bytes.length - 3));
    const key = name.split("/")[2];
    const damaged = (await checkCells(runDir)).find((c) => c.key === key)!;
    assert.equal(damaged.condition, "damaged");
    assert.match(damaged.problems[0], /^tensorboard\/.*: \d+ bytes, expected \d+ \(cut short\)$/);
    await Deno.writeFile(`${root}/${name}`, bytes);
  },
});

Deno.test("Debian's python3-protobuf reads every cell's event file of two runs as written", async () => {
  const { root, files } = await twoRuns();
  const run = await python(PYTHON!, [READER, "protobuf", root]);
  assert.ok(run.success, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(out.files).sort(), [...files.keys()].sort());
  for (const [name, cell] of files) assertFileAsWritten(out.files[name], cell, name);
});

Deno.test({
  name:
    "tensorboard --logdir results/ lists every cell of two runs, with their settings as hparams",
  ignore: "reason" in TENSORBOARD,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { root, files } = await twoRuns();
    const run = await python(PYTHON!, [READER, "tensorboard", root, "--dashboard"], {
      PYTHONPATH: (TENSORBOARD as { path: string }).path,
    });
    assert.ok(run.success, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(out.files).sort(), [...files.keys()].sort());
    for (const [name, cell] of files) assertFileAsWritten(out.files[name], cell, name);
    const dash = out.dashboard;
    assert.deepEqual(dash.hparams, ["depth", "ratio", "seed", "task", "variant"]);
    assert.deepEqual(dash.metrics, [...EPOCH_TAGS, ...SELECTED_TAGS].sort());
    const runs = [...files.keys()].map((f) => f.slice(0, f.lastIndexOf("/")));
    assert.deepEqual(Object.keys(dash.sessions).sort(), runs.sort());
    for (const [name, cell] of files) {
      const session = dash.sessions[name.slice(0, name.lastIndexOf("/"))];
      assert.deepEqual(session.hparams, cellEvents(cell).session.hparams);
      assert.equal(session.metrics["clean/test/auroc"], Math.fround(cell.clean!.test.auroc));
    }
    for (const r of runs) {
      assert.deepEqual(dash.scalar_runs[r], [...EPOCH_TAGS, ...SELECTED_TAGS].sort());
    }
  },
});
