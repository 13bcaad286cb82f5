/**
 * A small ZIP reader: the central directory (ZIP64 included), stored and deflated entries, with
 * every entry's size and CRC-32 checked. The PrideMM release is a zip; reading it here keeps
 * `fetch-data` free of a system `unzip`, checks integrity entry by entry, and never lets a path
 * inside the archive decide where a file is written.
 *
 * Entries are read by random access, so an archive of any size is never held in memory whole.
 *
 * @module
 */

/** One file or directory in an archive, from the central directory. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  /** 0 = stored, 8 = deflated (others are refused on read). */
  readonly method: number;
  /** General-purpose flags (bit 0: encrypted). */
  readonly flags: number;
  /** CRC-32 of the uncompressed bytes. */
  readonly crc32: number;
  /** Bytes in the archive. */
  readonly compressedSize: number;
  /** Bytes once uncompressed. */
  readonly size: number;
  /** Offset of the entry's local header. */
  readonly localHeaderOffset: number;
  /** Whether the entry is a directory (its name ends in `/`). */
  readonly isDirectory: boolean;
}

/** A damaged, truncated or unsupported archive; `entry` names the entry at fault, if any. */
export class ZipError extends Error {
  /** Creates the error; the message names the archive and the entry. */
  constructor(readonly archive: string, detail: string, readonly entry?: string) {
    super(`${archive}${entry === undefined ? "" : `!${entry}`}: ${detail}`);
    this.name = "ZipError";
  }
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Bytes read by position: an open file, or an archive already in memory. */
interface Source {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end); never more than the source holds. */
  readAt(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

function fileSource(file: Deno.FsFile, size: number): Source {
  return {
    size,
    readAt: (offset, length) => readAt(file, size, offset, length),
    close: () => file.close(),
  };
}

function bytesSource(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    readAt: (offset, length) => {
      const start = Math.min(Math.max(0, offset), bytes.length);
      return Promise.resolve(bytes.subarray(start, Math.min(bytes.length, start + length)));
    },
    close: () => {},
  };
}

/** An open archive. Close it with {@linkcode ZipReader.close} (or `using`). */
export class ZipReader implements Disposable {
  /** Every entry, in central-directory order. */
  readonly entries: readonly ZipEntry[];
  readonly #source: Source;
  readonly #path: string;
  readonly #size: number;

  private constructor(path: string, source: Source, entries: ZipEntry[]) {
    this.#path = path;
    this.#source = source;
    this.#size = source.size;
    this.entries = Object.freeze(entries);
  }

  /** Opens `path` and reads its central directory; throws {@linkcode ZipError} if it is damaged. */
  static async open(path: string): Promise<ZipReader> {
    const file = await Deno.open(path, { read: true });
    const source = fileSource(file, (await file.stat()).size);
    try {
      return new ZipReader(path, source, await readCentralDirectory(source, path));
    } catch (e) {
      source.close();
      throw e;
    }
  }

  /**
   * Reads an archive held in memory (`name` labels errors); throws {@linkcode ZipError} if it is
   * damaged.
   */
  static async fromBytes(bytes: Uint8Array, name: string): Promise<ZipReader> {
    const source = bytesSource(bytes);
    return new ZipReader(name, source, await readCentralDirectory(source, name));
  }

  /** Reads, decompresses and checks (size and CRC-32) one entry. */
  async read(entry: ZipEntry): Promise<Uint8Array> {
    const fail = (detail: string) => new ZipError(this.#path, detail, entry.name);
    if (entry.flags & 1) throw fail("encrypted entries are not supported");
    if (entry.method !== 0 && entry.method !== 8) {
      throw fail(`compression method ${entry.method} is not supported (only stored and deflate)`);
    }
    const header = await this.#source.readAt(entry.localHeaderOffset, 30);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    if (header.length < 30 || view.getUint32(0, true) !== SIG_LOCAL) {
      throw fail(`no local header at offset ${entry.localHeaderOffset}`);
    }
    const dataStart = entry.localHeaderOffset + 30 + view.getUint16(26, true) +
      view.getUint16(28, true);
    if (dataStart + entry.compressedSize > this.#size) {
      throw fail(`data runs past the end of the file (${this.#size} bytes): truncated archive`);
    }
    const raw = await this.#source.readAt(dataStart, entry.compressedSize);
    let data: Uint8Array;
    try {
      // Inflation stops one byte past the declared size: a damaged or hostile entry cannot make
      // the reader allocate more than its central directory promised.
      data = entry.method === 0 ? raw : await inflateRaw(raw, entry.size + 1);
    } catch (e) {
      throw fail(`corrupt deflate data (${(e as Error).message})`);
    }
    if (data.length !== entry.size) {
      throw fail(`expected ${entry.size} bytes, got ${data.length}`);
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      throw fail(`CRC-32 mismatch (expected ${hex(entry.crc32)}, got ${hex(crc)}): corrupt data`);
    }
    return data;
  }

  /** Closes the file. */
  close(): void {
    this.#source.close();
  }

  /** Closes the file (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

async function readCentralDirectory(source: Source, path: string): Promise<ZipEntry[]> {
  const fail = (detail: string) => new ZipError(path, detail);
  const size = source.size;
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tail = await source.readAt(size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw fail(
      `not a zip archive, or a truncated one: no end-of-central-directory record in its last ${tailLength} bytes`,
    );
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) {
    throw fail("multi-part (split) archives are not supported");
  }
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the real values live in the ZIP64 end record, found through the locator just before.
    const locatorAt = eocd - 20;
    if (locatorAt < 0 || tv.getUint32(locatorAt, true) !== SIG_ZIP64_LOCATOR) {
      throw fail("ZIP64 archive without a ZIP64 locator: truncated or damaged");
    }
    const recordOffset = Number(tv.getBigUint64(locatorAt + 8, true));
    const record = await source.readAt(recordOffset, 56);
    const rv = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (record.length < 56 || rv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
      throw fail(`no ZIP64 end-of-central-directory record at offset ${recordOffset}`);
    }
    count = Number(rv.getBigUint64(32, true));
    cdSize = Number(rv.getBigUint64(40, true));
    cdOffset = Number(rv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > size) {
    throw fail(
      `the central directory (offset ${cdOffset}, ${cdSize} bytes) lies past the end of the file (${size} bytes): truncated archive`,
    );
  }
  const cd = await source.readAt(cdOffset, cdSize);
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== SIG_CENTRAL) {
      throw fail(`central directory entry ${n + 1} of ${count} is damaged`);
    }
    const flags = v.getUint16(p + 8, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
    // Bit 11 marks UTF-8 names; older tools write CP437, which agrees with UTF-8 on ASCII names.
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(nameBytes);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressedSize = v.getUint32(p + 24, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    // ZIP64 extra field (id 1): 8-byte values for exactly the fields saturated above, in order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    if (extraEnd + commentLength > cd.length) {
      throw fail(`central directory entry ${n + 1} of ${count} runs past the directory's end`);
    }
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const length = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const fieldEnd = Math.min(e + 4 + length, extraEnd);
        const next = () => {
          if (q + 8 > fieldEnd) {
            throw fail(`central directory entry ${n + 1}: its ZIP64 field is too short`);
          }
          const value = Number(v.getBigUint64(q, true));
          q += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + length;
    }
    entries.push({
      name,
      method: v.getUint16(p + 10, true),
      flags,
      crc32: v.getUint32(p + 16, true),
      compressedSize,
      size: uncompressedSize,
      localHeaderOffset,
      isDirectory: name.endsWith("/"),
    });
    p = extraEnd + commentLength;
  }
  return entries;
}

async function readAt(
  file: Deno.FsFile,
  size: number,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  // Never allocate past the end of the file, whatever a damaged header claims.
  offset = Math.min(Math.max(0, offset), size);
  length = Math.max(0, Math.min(length, size - offset));
  const buf = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Inflates raw deflate data, stopping once `limit` bytes have come out. */
async function inflateRaw(data: Uint8Array, limit: number): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.length;
      if (total >= limit) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(total, limit));
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, out.length - at);
    out.set(p.subarray(0, n), at);
    at += n;
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the ZIP / PNG polynomial) of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
