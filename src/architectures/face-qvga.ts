// RNNPool-Face-QVGA (EdgeML's face-2, RPool_Face_QVGA_monochrome, c_reference/models/
// quantized_face_detection.c): conv 3x3 → RNNPool 8x8/4 → 14 MBConv (Q7 from L10 on) with heads after
// L4, L8, L11 and L14. Firmware: firmware/app/face_qvga.c; reference: src/reference/face-qvga.ts. The
// pipeline has 22 stages; the ABI publishes at most 16 layers (m4sim_abi.h), so runs of MBConv blocks
// are one layer each, checksummed over the run's last output.
import { runFaceQvga } from '../reference/face-qvga.js';
import {
  boxesLayer,
  convLayer,
  headLayer,
  headQ7ConfLayer,
  mbconvLayer,
  outputsLayer,
  rnnpoolFace,
  rnnpoolLayer,
} from './common.js';
import { DEFAULT_MAX_BOXES } from '../reference/postprocess.js';
import type { ArenaBuffer } from './types.js';

// EdgeML's cap on kept boxes, the same for every pipeline (src/reference/postprocess.ts).
const MAX_BOXES = DEFAULT_MAX_BOXES;

// The arena (firmware/app/face_qvga.c), as face-M4's (face-m4.ts): the frame is never in RAM whole
// (the conv asks the camera for the image rows each output row reads, into a 3-row window), and
// every stage after it writes its output over its own input, rows behind the rows it still reads:
// RNNPool over the conv output (a band of eight pooled rows through POOL_ROW, its shared sweeps in
// RNN_CACHE, as face-M4's), L1 over POOLED (output row r after input rows
// <= r+1 are in the ring; 2,560-byte rows both), the residual blocks (L2..L8, L10, L11, L13, L14)
// pixel by pixel, L9 (stride 2) over X (output row r, 3,840 B, after input rows <= 2r+1, 2,560 B
// each) and L12 over A (2,560-byte output rows, 3,840-byte input rows). The heads' outputs stay
// where each head wrote them (H<n>_OUT: conf then loc; H4's conf int8) until the outputs layer
// gathers them in the ABI order over the dead B tensor. Once L9 is done, head 2's outputs move
// into the part of X that A leaves free (H2_KEPT), so that L10/L11's 23,040-byte ring fits where
// they were. Peak: L9, 121,088 bytes (X, H1 and H2 outputs, L9's ring and dw); EdgeML's own
// pipeline uses 188,160.
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE_ROWS', name: 'image rows int8 3x320 (camera window)', start: 76_800, end: 77_760 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 0, end: 76_800 },
  { id: 'POOLED', name: 'RNNPool out int8 30x40x64 (in place over conv out)', start: 0, end: 76_800 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 76_800, end: 77_184 },
  { id: 'POOL_ROW', name: 'RNNPool out rows int8 8x40x64 (a band)', start: 77_184, end: 97_664 },
  { id: 'RNN_CACHE', name: 'RNNPool band cache (rnnpool.h RNNPool_ShareCache)', start: 97_664, end: 108_032 },
  { id: 'L1_RING', name: 'L1 ring', start: 76_800, end: 107_520 },
  { id: 'L1_DW', name: 'L1 dw', start: 107_520, end: 107_776 },
  { id: 'L1_OUT', name: 'L1 out int16 30x40x32 (in place over RNNPool out)', start: 0, end: 76_800 },
  { id: 'L4_OUT', name: 'L2..L4 out int16 30x40x32 (in place over L1 out)', start: 0, end: 76_800 },
  { id: 'X_RING', name: 'L2..L8 ring', start: 91_200, end: 106_560 },
  { id: 'X_DW', name: 'L2..L8 dw', start: 106_560, end: 106_688 },
  { id: 'X_ROW', name: 'L2..L8 row', start: 106_688, end: 106_752 },
  { id: 'H1_OUT', name: 'head 1 conf 2400 + loc 4800 int16', start: 76_800, end: 91_200 },
  { id: 'H1_RING', name: 'H1 ring', start: 91_200, end: 98_880 },
  { id: 'L8_OUT', name: 'L5..L8 out int16 30x40x32 (in place over L4 out)', start: 0, end: 76_800 },
  { id: 'H2_OUT', name: 'head 2 conf 2400 + loc 4800 int16', start: 91_200, end: 105_600 },
  { id: 'H2_RING', name: 'H2 ring', start: 105_600, end: 113_280 },
  { id: 'L9_RING', name: 'L9 ring', start: 105_600, end: 120_960 },
  { id: 'L9_DW', name: 'L9 dw', start: 120_960, end: 121_088 },
  { id: 'H2_KEPT', name: 'head 2 outputs, moved past L9 out once L9 is done', start: 57_600, end: 72_000 },
  { id: 'L11_OUT', name: 'L9..L11 out int16 15x20x96 (over L8 out)', start: 0, end: 57_600 },
  { id: 'A_RING', name: 'L10/L11 ring', start: 91_200, end: 114_240 },
  { id: 'A_DW', name: 'L10/L11 dw', start: 114_240, end: 114_624 },
  { id: 'A_ROW', name: 'L10/L11 row', start: 114_624, end: 114_816 },
  { id: 'H3_OUT', name: 'head 3 conf 600 + loc 1200 int16', start: 72_000, end: 75_600 },
  { id: 'H3_RING', name: 'H3 ring', start: 91_200, end: 102_720 },
  { id: 'L12_RING', name: 'L12 ring', start: 91_200, end: 114_240 },
  { id: 'L12_DW', name: 'L12 dw', start: 114_240, end: 114_624 },
  { id: 'L13_OUT', name: 'L12, L13 out int8 15x20x128 (over L11 out)', start: 0, end: 38_400 },
  { id: 'L14_OUT', name: 'L14 out int8 15x20x128 (in place over L13 out)', start: 0, end: 38_400 },
  { id: 'B_RING', name: 'L13/L14 ring int8', start: 38_400, end: 53_760 },
  { id: 'B_DW', name: 'L13/L14 dw int8', start: 53_760, end: 54_016 },
  { id: 'B_ROW', name: 'L13/L14 row int8', start: 54_016, end: 54_144 },
  { id: 'H4_OUT', name: 'head 4 conf int8 600 + loc int16 1200', start: 38_400, end: 41_400 },
  { id: 'OUTPUTS', name: 'head outputs int16 18000 (ABI order)', start: 0, end: 36_000 },
  { id: 'PP_SCRATCH', name: 'post-processing scratch', start: 36_000, end: 48_000 },
  { id: 'BOXES', name: 'boxes', start: 48_000, end: 57_000 },
];

export const FACE_QVGA = rnnpoolFace<'rnnpool-face-qvga'>({
  name: 'rnnpool-face-qvga',
  summary: "EdgeML's face-2 (RPool_Face_QVGA_monochrome): conv, RNNPool 8x8, 14 MBConv, 4 heads",
  mbconvs: 14,
  residual: [2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14],
  patchDim: 8,
  // EdgeML's final assembly also halves conf of H2 and H3 and widens H4's Q7 conf (<< 7), which no
  // divisor expresses: the pipeline does it (src/reference/face-qvga.ts, face_qvga.c).
  heads: [
    { layer: 4, step: 8, anchor: 8, l2norm: true },
    { layer: 8, step: 8, anchor: 16, l2norm: true },
    { layer: 11, step: 16, anchor: 32, l2norm: true },
    { layer: 14, step: 16, anchor: 48, locScale: 2, l2norm: false },
  ],
  // EdgeML's face-2 test (c_reference/tests/face_detection/test_quantized_face_detection.c) compares
  // the outputs with the float model at YScale = 12.
  defaultOutputShift: 12,
  maxBoxes: MAX_BOXES,
  layers: [
    convLayer(1, ['CONV_OUT', 'IMAGE_ROWS']),
    rnnpoolLayer(2, ['POOLED', 'RNN_SCRATCH', 'POOL_ROW', 'RNN_CACHE']),
    mbconvLayer(3, [1, 1], 'q15', ['L1_RING', 'L1_DW', 'L1_OUT']),
    mbconvLayer(4, [2, 4], 'q15', ['L4_OUT', 'X_RING', 'X_DW', 'X_ROW']),
    headLayer(5, 1, ['L4_OUT', 'H1_OUT', 'H1_RING']),
    mbconvLayer(6, [5, 8], 'q15', ['L8_OUT', 'H1_OUT', 'X_RING', 'X_DW', 'X_ROW']),
    headLayer(7, 2, ['L8_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING']),
    // L9's output (L11_OUT) and H2_KEPT, written at the layer's end, lie in L8_OUT.
    mbconvLayer(8, [9, 9], 'q15', ['H1_OUT', 'H2_OUT', 'L9_RING', 'L9_DW', 'L8_OUT']),
    mbconvLayer(9, [10, 11], 'q15', ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'A_RING', 'A_DW', 'A_ROW']),
    headLayer(10, 3, ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'H3_OUT', 'H3_RING']),
    mbconvLayer(11, [12, 12], 'q7', ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'H3_OUT', 'L12_RING', 'L12_DW']),
    mbconvLayer(12, [13, 13], 'q7', ['H1_OUT', 'L13_OUT', 'H2_KEPT', 'H3_OUT', 'B_RING', 'B_DW', 'B_ROW']),
    mbconvLayer(13, [14, 14], 'q7', ['H1_OUT', 'L14_OUT', 'H2_KEPT', 'H3_OUT', 'B_RING', 'B_DW', 'B_ROW']),
    headQ7ConfLayer(14, 4, ['H1_OUT', 'L14_OUT', 'H2_KEPT', 'H3_OUT', 'H4_OUT']),
    outputsLayer(15, ['OUTPUTS', 'H1_OUT', 'H2_KEPT', 'H3_OUT', 'H4_OUT']),
    boxesLayer(16, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 121_088, buffers: BUFFERS },
  // As face-M4's (face-m4.ts): a band's rows and cache fit below the plan's peak.
  rnnpoolBandRows: 8,
  firmwareSources: ['front_end.c', 'front_end_stream.c', 'boxes.c', 'camera.c', 'gather.c', 'face_qvga.c'],
  reference: (model, frame) => runFaceQvga(model, frame),
});
