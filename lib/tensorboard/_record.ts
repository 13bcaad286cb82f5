/**
 * TFRecord framing, the container of TensorBoard event files: each record is its length as a
 * uint64 (little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of
 * the data.
 *
 * @module
 */
import { maskedCrc32c } from "./_crc32c.ts";

/** Bytes a record adds around its data: length 8, length CRC 4, data CRC 4. */
export const RECORD_OVERHEAD = 16;

/** One framed record. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_OVERHEAD + data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** The records of a TFRecord stream, each checked against both CRCs. */
export function unframeRecords(bytes: Uint8Array): { offset: number; data: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { offset: number; data: Uint8Array }[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const where = `record ${out.length} (byte ${pos})`;
    if (bytes.length - pos < 12) {
      throw new RangeError(`${where}: truncated header, ${bytes.length - pos} bytes left`);
    }
    const lengthCrc = view.getUint32(pos + 8, true);
    const expectedLengthCrc = maskedCrc32c(bytes.subarray(pos, pos + 8));
    if (lengthCrc !== expectedLengthCrc) {
      throw new RangeError(
        `${where}: length CRC ${hex(lengthCrc)} does not match ${hex(expectedLengthCrc)}`,
      );
    }
    const length = view.getBigUint64(pos, true);
    if (length > BigInt(bytes.length - pos - RECORD_OVERHEAD)) {
      throw new RangeError(
        `${where}: length ${length} runs past the end (${bytes.length - pos} bytes left)`,
      );
    }
    const n = Number(length);
    const data = bytes.subarray(pos + 12, pos + 12 + n);
    const dataCrc = view.getUint32(pos + 12 + n, true);
    const expectedDataCrc = maskedCrc32c(data);
    if (dataCrc !== expectedDataCrc) {
      throw new RangeError(
        `${where}: data CRC ${hex(dataCrc)} does not match ${hex(expectedDataCrc)}`,
      );
    }
    out.push({ offset: pos, data });
    pos += RECORD_OVERHEAD + n;
  }
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
