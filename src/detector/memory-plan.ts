// The detector's static arena plan (firmware/app/face_m4.c, the comment at the top): which buffers
// are live while each layer runs, as byte ranges of the 184,576-byte arena. Hard-coded to match the
// C file; the test checks the peak equals the firmware's arena_bytes.

export const ARENA_BYTES = 184_576;

export interface ArenaBuffer {
  name: string;
  /** Byte offsets into the arena, [start, end). */
  start: number;
  end: number;
}

const OUTPUTS: ArenaBuffer = { name: 'head outputs int16 18000', start: 0, end: 36_000 };

/** Buffers live during each layer, by layer id (1 = conv … 12 = boxes). */
export const MEMORY_PLAN: Record<number, ArenaBuffer[]> = {
  1: [
    { name: 'image int8 240x320', start: 0, end: 76_800 },
    { name: 'conv out int8 120x160x4', start: 76_800, end: 153_600 },
  ],
  2: [
    { name: 'conv out int8 120x160x4', start: 76_800, end: 153_600 },
    { name: 'RNNPool out int8 30x40x64', start: 0, end: 76_800 },
    { name: 'RNNPool scratch', start: 153_600, end: 153_984 },
  ],
  3: [
    { name: 'RNNPool out int8 30x40x64', start: 0, end: 76_800 },
    { name: 'L1 out int16 30x40x32', start: 76_800, end: 153_600 },
    { name: 'L1 ring', start: 153_600, end: 184_320 },
    { name: 'L1 dw', start: 184_320, end: 184_576 },
  ],
  4: [
    { name: 'L1 out int16 30x40x32', start: 76_800, end: 153_600 },
    OUTPUTS,
    { name: 'H1 ring', start: 36_000, end: 43_680 },
  ],
  5: [
    OUTPUTS,
    { name: 'L2 ring', start: 36_000, end: 51_360 },
    { name: 'L2 dw', start: 51_360, end: 51_488 },
    { name: 'L2 row', start: 51_488, end: 51_552 },
    { name: 'L1 out / L2 residual sum, in place', start: 76_800, end: 153_600 },
  ],
  6: [
    OUTPUTS,
    { name: 'H2 ring', start: 36_000, end: 43_680 },
    { name: 'L2 residual sum', start: 76_800, end: 153_600 },
  ],
  7: [
    OUTPUTS,
    { name: 'L3 out int16 15x20x64', start: 36_000, end: 74_400 },
    { name: 'L2 residual sum', start: 76_800, end: 153_600 },
    { name: 'L3 ring', start: 153_600, end: 168_960 },
    { name: 'L3 dw', start: 168_960, end: 169_088 },
  ],
  8: [
    OUTPUTS,
    { name: 'L3 out int16 15x20x64', start: 36_000, end: 74_400 },
    { name: 'H3 ring', start: 76_800, end: 84_480 },
  ],
  9: [
    OUTPUTS,
    { name: 'L3 out / L4 residual sum, in place', start: 36_000, end: 74_400 },
    { name: 'L4 ring', start: 76_800, end: 92_160 },
    { name: 'L4 dw', start: 92_160, end: 92_416 },
    { name: 'L4 row', start: 92_416, end: 92_544 },
  ],
  10: [OUTPUTS, { name: 'L4 residual sum', start: 36_000, end: 74_400 }],
  11: [OUTPUTS],
  12: [
    OUTPUTS,
    { name: 'post-processing scratch', start: 76_800, end: 88_800 },
    { name: 'boxes', start: 88_800, end: 97_800 },
  ],
};

/** Live arena bytes while layer `id` runs (0 for an unknown id). */
export function liveArenaBytes(id: number): number {
  return (MEMORY_PLAN[id] ?? []).reduce((n, b) => n + (b.end - b.start), 0);
}
