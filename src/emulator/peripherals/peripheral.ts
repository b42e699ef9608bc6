// One memory-mapped block of the Private Peripheral Bus behind the smallest interface that serves it
// (the shape of wokwi/rp2040js peripherals): word reads and writes at absolute addresses. The bus
// (src/emulator/ppb.ts) routes an access to the first peripheral whose range holds it and merges
// byte and halfword accesses into words.

export interface Peripheral {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** The word at `address` (word-aligned, inside the range). */
  readWord(address: number): number;
  /**
   * A write of `value` to the bytes `mask` selects of the word at `address` (word-aligned): `value`
   * is already shifted into its lane. Byte-addressed registers (priorities) use the mask.
   */
  writeWord(address: number, value: number, mask: number): void;
}

/** The value a partial write leaves in a word register: the masked lanes replaced. */
export function merge(old: number, value: number, mask: number): number {
  return ((old & ~mask) | (value & mask)) >>> 0;
}
