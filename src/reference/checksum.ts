// Layer checksums shared by the TypeScript reference and the detector firmware: FNV-1a 32-bit over a
// tensor's bytes, little-endian (int8: 1 byte per value, int16: 2 bytes, low byte first), NHWC order.

export const FNV1A32_OFFSET_BASIS = 2166136261;
export const FNV1A32_PRIME = 16777619;

/** FNV-1a 32-bit of `bytes`, continuing from `hash` (default: the offset basis). Unsigned result. */
export function fnv1a32(bytes: Uint8Array, hash: number = FNV1A32_OFFSET_BASIS): number {
  let h = hash >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV1A32_PRIME) >>> 0;
  return h;
}

/** The bytes of a tensor as stored on the (little-endian) target, independent of the host's byte order. */
export function tensorBytes(tensor: Int8Array | Int16Array): Uint8Array {
  if (tensor instanceof Int8Array) return new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.length);
  const out = new Uint8Array(tensor.length * 2);
  for (let i = 0; i < tensor.length; i++) {
    out[2 * i] = tensor[i] & 0xff;
    out[2 * i + 1] = (tensor[i] >> 8) & 0xff;
  }
  return out;
}

/** FNV-1a 32-bit of a tensor's little-endian bytes. */
export function tensorChecksum(tensor: Int8Array | Int16Array): number {
  return fnv1a32(tensorBytes(tensor));
}
