/**
 * CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's masking of it.
 *
 * @module
 */

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
const POLYNOMIAL = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32C of `bytes` (initial value and final XOR 0xFFFFFFFF, as iSCSI and TensorFlow use it). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// TensorFlow's mask constant (tensorflow/core/lib/hash/crc32c.h, `kMaskDelta`).
const MASK_DELTA = 0xa282ead8;

/**
 * TensorFlow's masked CRC-32C: the CRC rotated right by 15 bits plus a constant. TFRecord stores
 * this rather than the CRC itself, because a CRC computed over data that holds embedded CRCs is
 * weak.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}
