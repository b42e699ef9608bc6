// The detector firmware's ABI as the simulator reads it (mirror of firmware/app/m4sim_abi.h). The layer
// ids are the architecture's (src/architectures; generated into m4sim_layers.h). The frame goes in
// whole at m4sim_input, or in rows through the camera call for a firmware that has it
// (firmware/app/camera.h, src/emulator/camera.ts; src/detector/run.ts decides which).

export const OUTPUT_MAGIC = 0x4453344d; // "M4SD"
export const CONTROL_MAGIC = 0x4c52544d; // "MTRL"
export const MAX_LAYERS = 16;
/** sizeof(m4sim_output_t): 7 words, five arrays of MAX_LAYERS words, arena_bytes. */
export const OUTPUT_BYTES = 4 * (7 + 5 * MAX_LAYERS + 1);

export interface DetectorOutputBlock {
  magic: number;
  version: number;
  rawAddress: number;
  rawCount: number;
  boxAddress: number;
  boxCount: number;
  layerCount: number;
  checksums: number[];
  tensorAddress: number[];
  tensorBytes: number[];
  tensor2Address: number[];
  tensor2Bytes: number[];
  arenaBytes: number;
}

export function parseOutputBlock(bytes: Uint8Array): DetectorOutputBlock {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number) => v.getUint32(4 * i, true);
  const list = (start: number) => Array.from({ length: MAX_LAYERS }, (_, i) => word(start + i));
  return {
    magic: word(0),
    version: word(1),
    rawAddress: word(2),
    rawCount: word(3),
    boxAddress: word(4),
    boxCount: word(5),
    layerCount: word(6),
    checksums: list(7),
    tensorAddress: list(7 + MAX_LAYERS),
    tensorBytes: list(7 + 2 * MAX_LAYERS),
    tensor2Address: list(7 + 3 * MAX_LAYERS),
    tensor2Bytes: list(7 + 4 * MAX_LAYERS),
    arenaBytes: word(7 + 5 * MAX_LAYERS),
  };
}

/** m4sim_control_t, written before reset. */
export function controlBlock(stopAfter: number, thresholdQ15: number, maxBoxes: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, CONTROL_MAGIC, true);
  v.setUint32(4, stopAfter, true);
  v.setUint32(8, thresholdQ15, true);
  v.setUint32(12, maxBoxes, true);
  return b;
}
