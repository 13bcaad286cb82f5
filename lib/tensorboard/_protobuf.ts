/**
 * The few pieces of the protocol-buffer wire format that TensorBoard event files need: varints,
 * 64- and 32-bit little-endian floats and length-delimited fields, written in field-number order
 * and, like proto3, without fields at their default value unless the caller asks (members of a
 * `oneof` are always written, so `simple_value: 0` stays a value). Decoding returns the raw fields
 * so that a reader can check every one.
 *
 * @module
 */

/** Wire types of the protobuf encoding. */
export const WIRE = { varint: 0, fixed64: 1, len: 2, fixed32: 5 } as const;

const TEXT_ENCODER = new TextEncoder();

/** Appends protobuf fields to a growing buffer; the caller writes fields in number order. */
export class ProtoWriter {
  #bytes: number[] = [];

  #rawVarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`protobuf: a varint must be a non-negative safe integer, got ${value}`);
    }
    // Seven bits at a time, low group first; division keeps values above 2^31 exact.
    while (value >= 0x80) {
      this.#bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.#bytes.push(value);
  }

  #key(field: number, wireType: number): void {
    this.#rawVarint(field * 8 + wireType);
  }

  #raw(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.#bytes.push(bytes[i]);
  }

  /** An unsigned varint field (int32/int64/enum with a non-negative value, bool as 0/1). */
  varint(field: number, value: number): this {
    this.#key(field, WIRE.varint);
    this.#rawVarint(value);
    return this;
  }

  /** A `double` field. */
  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.#key(field, WIRE.fixed64);
    this.#raw(b);
    return this;
  }

  /** A `float` field: the value rounded to float32. */
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#key(field, WIRE.fixed32);
    this.#raw(b);
    return this;
  }

  /** A length-delimited field: bytes, or an already encoded sub-message. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, WIRE.len);
    this.#rawVarint(value.length);
    this.#raw(value);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, TEXT_ENCODER.encode(value));
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** One decoded field: its number, wire type and raw value. */
export type ProtoField =
  | { readonly field: number; readonly wireType: 0; readonly value: number }
  | { readonly field: number; readonly wireType: 1 | 2 | 5; readonly value: Uint8Array };

/**
 * The fields of one encoded message, in the order they occur. Throws a `RangeError` describing
 * the offset on truncated input, an unsupported wire type (groups) or a varint beyond 2^53.
 */
export function decodeFields(bytes: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new RangeError(`truncated varint at byte ${pos}`);
      const b = bytes[pos++];
      value += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(value)) {
          throw new RangeError(`varint above 2^53 ending at byte ${pos}`);
        }
        return value;
      }
      scale *= 0x80;
    }
    throw new RangeError(`varint longer than 10 bytes at byte ${pos}`);
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) {
      throw new RangeError(`field needs ${n} bytes at byte ${pos}, ${bytes.length - pos} left`);
    }
    const slice = bytes.subarray(pos, pos + n);
    pos += n;
    return slice;
  };
  while (pos < bytes.length) {
    const keyAt = pos;
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new RangeError(`field number 0 at byte ${keyAt}`);
    if (wireType === WIRE.varint) out.push({ field, wireType, value: varint() });
    else if (wireType === WIRE.fixed64) out.push({ field, wireType, value: take(8) });
    else if (wireType === WIRE.len) out.push({ field, wireType, value: take(varint()) });
    else if (wireType === WIRE.fixed32) out.push({ field, wireType, value: take(4) });
    else throw new RangeError(`unsupported wire type ${wireType} at byte ${keyAt}`);
  }
  return out;
}

/** The value of a `double` field. */
export function fieldDouble(f: ProtoField): number {
  if (f.wireType !== WIRE.fixed64) throw new RangeError(`field ${f.field} is not a double`);
  return new DataView(f.value.buffer, f.value.byteOffset, 8).getFloat64(0, true);
}

/** The value of a `float` field. */
export function fieldFloat(f: ProtoField): number {
  if (f.wireType !== WIRE.fixed32) throw new RangeError(`field ${f.field} is not a float`);
  return new DataView(f.value.buffer, f.value.byteOffset, 4).getFloat32(0, true);
}

/** The value of a varint field. */
export function fieldVarint(f: ProtoField): number {
  if (f.wireType !== WIRE.varint) throw new RangeError(`field ${f.field} is not a varint`);
  return f.value;
}

/** The bytes of a length-delimited field (bytes or a sub-message). */
export function fieldBytes(f: ProtoField): Uint8Array {
  if (f.wireType !== WIRE.len) throw new RangeError(`field ${f.field} is not length-delimited`);
  return f.value;
}

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true });

/** The value of a `string` field (strict UTF-8). */
export function fieldString(f: ProtoField): string {
  return TEXT_DECODER.decode(fieldBytes(f));
}
