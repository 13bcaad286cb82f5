/**
 * Fuzzing the three readers of untrusted bytes — the CSV reader, the safetensors reader and the
 * zip reader — with seeded, generated malformed inputs (10,000+ each): every case either parses
 * or fails with the module's own error (DataError, SafetensorsError, ZipError); nothing crashes
 * with another error, hangs, or allocates more than the input justifies.
 *
 * Inputs are valid files of each format, then mutated: bytes flipped, inserted, deleted or
 * duplicated, the file truncated, little-endian fields overwritten with boundary values, and (for
 * safetensors) header entries rewritten with hostile shapes, offsets and types. A failure prints
 * the seed and case number, so a case can be replayed.
 */
import assert from "node:assert/strict";
import { DataError } from "../lib/data/mod.ts";
import { decodeCsvBytes } from "../lib/data/_csv.ts";
import { parsePrideMM } from "../lib/data/pridemm.ts";
import { ZipError, ZipReader } from "../lib/fetch/_zip.ts";
import { decodeSafetensors, encodeSafetensors, Rng, SafetensorsError } from "../lib/util/mod.ts";
import { makeZip } from "./fixtures/fetch/zip_writer.ts";

const CASES = 10_000;
const SEED = 20261203;

const BOUNDARY = [0, 1, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 2 ** 53, 2 ** 63];

/** Applies 1–4 random mutations; `alphabet` biases inserted bytes towards meaningful ones. */
function mutate(rng: Rng, input: Uint8Array, alphabet: readonly number[]): Uint8Array {
  let b: Uint8Array = input.slice();
  const pick = () => (rng.next() < 0.6 ? alphabet[rng.int(alphabet.length)] : rng.int(256));
  for (let m = 1 + rng.int(4); m > 0; m--) {
    const at = rng.int(b.length + 1);
    switch (rng.int(7)) {
      case 0: // overwrite bytes
        for (let k = rng.int(4); k >= 0 && at + k < b.length; k--) b[at + k] = pick();
        break;
      case 1: { // insert bytes
        const extra = Uint8Array.from({ length: 1 + rng.int(8) }, pick);
        b = concat(b.subarray(0, at), extra, b.subarray(at));
        break;
      }
      case 2: // delete a range
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16))));
        break;
      case 3: // truncate
        b = b.slice(0, at);
        break;
      case 4: { // duplicate a range
        const len = rng.int(32);
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
        break;
      }
      case 5: { // a little-endian field set to a boundary value
        const width = rng.next() < 0.5 ? 4 : 8;
        if (at + width <= b.length) {
          const v = BigInt(BOUNDARY[rng.int(BOUNDARY.length)]) + BigInt(rng.int(3) - 1);
          const view = new DataView(b.buffer, b.byteOffset + at, width);
          if (width === 4) view.setUint32(0, Number(BigInt.asUintN(32, v)), true);
          else view.setBigUint64(0, BigInt.asUintN(64, v), true);
        }
        break;
      }
      default: // flip one bit
        if (b.length > 0) b[rng.int(b.length)] ^= 1 << rng.int(8);
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const bytesOf = (s: string) => [...new TextEncoder().encode(s)];

/** Runs `cases` cases; returns how many parsed. Rethrows a foreign error with its case. */
async function fuzz(
  label: string,
  cases: number,
  makeCase: (rng: Rng, i: number) => Uint8Array,
  parse: (bytes: Uint8Array, i: number) => Promise<void> | void,
  own: (e: unknown) => boolean,
): Promise<{ parsed: number; failed: number }> {
  const rng = new Rng(SEED).fork(label);
  let parsed = 0, failed = 0, slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const bytes = makeCase(rng, i);
    const t = performance.now();
    try {
      await parse(bytes, i);
      parsed++;
    } catch (e) {
      if (!own(e)) {
        throw new Error(
          `${label} case ${i} (seed ${SEED}, ${bytes.length} bytes): ${(e as Error)?.stack ?? e}`,
        );
      }
      failed++;
    }
    slowest = Math.max(slowest, performance.now() - t);
  }
  console.log(
    `${label}: ${cases} cases, ${parsed} parsed, ${failed} named errors, ` +
      `${((performance.now() - t0) / 1000).toFixed(2)} s, slowest case ${slowest.toFixed(1)} ms`,
  );
  // A hang would show as one case taking seconds (the parsers take microseconds to milliseconds).
  assert.ok(slowest < 5000, `${label}: a case took ${slowest} ms`);
  return { parsed, failed };
}

Deno.test("fuzz: the CSV reader parses or throws DataError naming the file", async () => {
  const words = ["hello", 'say "hi"', "a,b", "line\nbreak", "ünï", "None", "", " ", "🏳️‍🌈", "NA"];
  const valid = (rng: Rng) => {
    const rows = ["name,hate,target,stance,humour,split,text"];
    for (let r = 0, n = 1 + rng.int(6); r < n; r++) {
      const hate = rng.int(2);
      const text = words[rng.int(words.length)];
      const quoted = /[",\n]/.test(text) || rng.next() < 0.2
        ? `"${text.replaceAll('"', '""')}"`
        : text;
      rows.push(
        `img_${r}.png,${hate},${hate ? rng.int(4) : "NA"},${rng.int(3)},${rng.int(2)},` +
          `${["train", "val", "test"][rng.int(3)]},${quoted}`,
      );
    }
    return new TextEncoder().encode(rows.join(rng.next() < 0.2 ? "\r\n" : "\n") + "\n");
  };
  const alphabet = [...bytesOf('",\n\r0123NA '), 0xff, 0xc3, 0xe2, 0x80, 0xef, 0xbb, 0xbf];
  const { parsed, failed } = await fuzz(
    "csv",
    CASES,
    (rng) => mutate(rng, valid(rng), alphabet),
    (bytes, i) => {
      const encoding = i % 4 === 3 ? "windows-1252" : "utf-8";
      const ds = parsePrideMM(decodeCsvBytes(bytes, "fuzz.csv", encoding), "fuzz.csv", "/img");
      assert.ok(ds.memes.length >= 1);
    },
    (e) => e instanceof DataError && e.file === "fuzz.csv",
  );
  assert.ok(parsed > CASES / 100 && failed > CASES / 4, `${parsed} parsed, ${failed} failed`);
});

Deno.test("fuzz: the safetensors reader parses or throws SafetensorsError, allocating no more than the file", async () => {
  const valid = (rng: Rng) => {
    const n = 1 + rng.int(5);
    return encodeSafetensors({
      a: {
        dtype: "F32",
        shape: [n, 2],
        data: Float32Array.from({ length: 2 * n }, () => rng.next()),
      },
      i: { dtype: "I32", shape: [n], data: Int32Array.from({ length: n }, () => rng.int(99)) },
      u: { dtype: "U8", shape: [n % 3], data: new Uint8Array(n % 3).fill(7) },
    }, rng.next() < 0.5 ? { note: "x" } : {});
  };
  // Structured: the header rewritten with hostile values, with a correct or wrong length prefix.
  const hostile: unknown[] = [
    -1,
    1.5,
    2 ** 53,
    1e308,
    "7",
    null,
    [],
    {},
    [0],
    [0, -8],
    [8, 0],
    [0, 2 ** 40],
    true,
  ];
  const structured = (rng: Rng) => {
    const header: Record<string, unknown> = {
      t: {
        dtype: ["F32", "I32", "U8", "F16", 7, null][rng.int(6)],
        shape: rng.next() < 0.5 ? [hostile[rng.int(hostile.length)], 2] : [2, 2],
        data_offsets: rng.next() < 0.5 ? hostile[rng.int(hostile.length)] : [0, 16],
      },
    };
    if (rng.next() < 0.3) header.__metadata__ = hostile[rng.int(hostile.length)];
    if (rng.next() < 0.1) header.x = hostile[rng.int(hostile.length)];
    const json = new TextEncoder().encode(
      rng.next() < 0.1 ? JSON.stringify(hostile[rng.int(hostile.length)]) : JSON.stringify(header),
    );
    const out = new Uint8Array(8 + json.length + 16);
    const claimed = rng.next() < 0.8 ? json.length : BOUNDARY[rng.int(BOUNDARY.length)];
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(claimed)), true);
    out.set(json, 8);
    return out;
  };
  const alphabet = bytesOf('{}[]":, 0123456789-eE.FIU8_');
  const { parsed, failed } = await fuzz(
    "safetensors",
    CASES,
    (rng, i) => (i % 3 === 2 ? structured(rng) : mutate(rng, valid(rng), alphabet)),
    (bytes) => {
      const { tensors } = decodeSafetensors(bytes, "fuzz.safetensors");
      let allocated = 0;
      for (const t of Object.values(tensors)) {
        allocated += t.data.byteLength;
        assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1));
      }
      assert.ok(allocated <= bytes.length, `decoded ${allocated} bytes from ${bytes.length}`);
    },
    (e) => e instanceof SafetensorsError && e.message.startsWith("fuzz.safetensors:"),
  );
  assert.ok(parsed > CASES / 100 && failed > CASES / 4, `${parsed} parsed, ${failed} failed`);
});

Deno.test("fuzz: the zip reader parses or throws ZipError, never inflating past an entry's declared size", async () => {
  const base: Uint8Array[] = [];
  const rng0 = new Rng(SEED);
  for (let k = 0; k < 24; k++) {
    const files = Array.from({ length: 1 + rng0.int(3) }, (_, j) => ({
      name: j === 0 ? "PrideMM.csv" : `Images/img_${j}.png`,
      // Compressible data, so a flipped size field would let an unbounded inflater run far.
      data: "ab".repeat(rng0.int(400)) + "x".repeat(rng0.int(50)),
      method: rng0.next() < 0.5 ? "store" as const : "deflate" as const,
    }));
    base.push(await makeZip(files, { zip64: k % 3 === 0 }));
  }
  const { parsed, failed } = await fuzz(
    "zip",
    CASES,
    (rng) => mutate(rng, base[rng.int(base.length)], [0x50, 0x4b, 0x01, 0x02, 0x05, 0x06, 0xff]),
    async (bytes) => {
      using zip = await ZipReader.fromBytes(bytes, "fuzz.zip");
      for (const entry of zip.entries) {
        if (entry.isDirectory) continue;
        const data = await zip.read(entry);
        assert.equal(data.length, entry.size);
        assert.ok(data.length <= Math.max(bytes.length * 1032, 1 << 16));
      }
    },
    (e) => e instanceof ZipError && e.archive === "fuzz.zip",
  );
  assert.ok(parsed > CASES / 100 && failed > CASES / 4, `${parsed} parsed, ${failed} failed`);
});

Deno.test("zip: an entry that inflates past its declared size stops one byte after it", async () => {
  const big = new Uint8Array(8 << 20); // 8 MiB of zeros deflate to a few KiB
  const zip = await makeZip([{ name: "bomb.bin", data: big, method: "deflate" }]);
  // Declare 10 bytes in the central directory (uncompressed size at offset 24 of the entry).
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const central = view.getUint32(eocd + 16, true);
  view.setUint32(central + 24, 10, true);
  using reader = await ZipReader.fromBytes(zip, "bomb.zip");
  await assert.rejects(
    reader.read(reader.entries[0]),
    /bomb\.zip!bomb\.bin: expected 10 bytes, got 11/,
  );
});
