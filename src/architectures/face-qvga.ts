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

// The arena (firmware/app/face_qvga.c). The residual blocks (L2..L8, L10, L11, L13, L14) write each
// output pixel over its own input pixel, so a run of them lives in one buffer. L9's ring starts over
// the output vector's H3/H4 loc slots [31200, 36000), which head 3 and head 4 write only after L9.
// Peak: L1, 184,576 bytes; EdgeML's own pipeline uses 188,160.
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE', name: 'image int8 240x320', start: 0, end: 76_800 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 76_800, end: 153_600 },
  { id: 'POOLED', name: 'RNNPool out int8 30x40x64', start: 0, end: 76_800 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 153_600, end: 153_984 },
  { id: 'L1_RING', name: 'L1 ring', start: 76_800, end: 107_520 },
  { id: 'L1_DW', name: 'L1 dw', start: 107_520, end: 107_776 },
  { id: 'L1_OUT', name: 'L1 out int16 30x40x32', start: 107_776, end: 184_576 },
  { id: 'L4_OUT', name: 'L2..L4 out int16 30x40x32 (in place over L1 out)', start: 107_776, end: 184_576 },
  { id: 'X_RING', name: 'L2..L8 ring', start: 36_000, end: 51_360 },
  { id: 'X_DW', name: 'L2..L8 dw', start: 51_360, end: 51_488 },
  { id: 'X_ROW', name: 'L2..L8 row', start: 51_488, end: 51_552 },
  { id: 'OUTPUTS', name: 'head outputs int16 18000', start: 0, end: 36_000 },
  { id: 'H1_RING', name: 'H1 ring', start: 36_000, end: 43_680 },
  { id: 'L8_OUT', name: 'L5..L8 out int16 30x40x32 (in place over L4 out)', start: 107_776, end: 184_576 },
  { id: 'H2_RING', name: 'H2 ring', start: 36_000, end: 43_680 },
  { id: 'OUTPUTS_LOW', name: 'head outputs but the H3/H4 loc slots', start: 0, end: 31_200 },
  { id: 'L9_RING', name: 'L9 ring', start: 31_200, end: 46_560 },
  { id: 'L9_DW', name: 'L9 dw', start: 46_560, end: 46_688 },
  { id: 'L9_OUT', name: 'L9 out int16 15x20x96', start: 46_688, end: 104_288 },
  { id: 'L11_OUT', name: 'L10/L11 out int16 15x20x96 (in place over L9 out)', start: 46_688, end: 104_288 },
  { id: 'A_RING', name: 'L10/L11 ring', start: 104_288, end: 127_328 },
  { id: 'A_DW', name: 'L10/L11 dw', start: 127_328, end: 127_712 },
  { id: 'A_ROW', name: 'L10/L11 row', start: 127_712, end: 127_904 },
  { id: 'H3_RING', name: 'H3 ring', start: 104_288, end: 115_808 },
  { id: 'L12_OUT', name: 'L12 out int8 15x20x128', start: 104_288, end: 142_688 },
  { id: 'L12_RING', name: 'L12 ring', start: 142_688, end: 165_728 },
  { id: 'L12_DW', name: 'L12 dw', start: 165_728, end: 166_112 },
  { id: 'L13_OUT', name: 'L13 out int8 15x20x128 (in place over L12 out)', start: 104_288, end: 142_688 },
  { id: 'L14_OUT', name: 'L14 out int8 15x20x128 (in place over L13 out)', start: 104_288, end: 142_688 },
  { id: 'B_RING', name: 'L13/L14 ring int8', start: 142_688, end: 158_048 },
  { id: 'B_DW', name: 'L13/L14 dw int8', start: 158_048, end: 158_304 },
  { id: 'B_ROW', name: 'L13/L14 row int8', start: 158_304, end: 158_432 },
  { id: 'H4_CONF', name: 'H4 conf int8 15x20x2', start: 46_688, end: 47_288 },
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
    convLayer(1, ['IMAGE', 'CONV_OUT']),
    rnnpoolLayer(2, ['CONV_OUT', 'POOLED', 'RNN_SCRATCH']),
    mbconvLayer(3, [1, 1], 'q15', ['POOLED', 'L1_RING', 'L1_DW', 'L1_OUT']),
    mbconvLayer(4, [2, 4], 'q15', ['L4_OUT', 'X_RING', 'X_DW', 'X_ROW']),
    headLayer(5, 1, ['L4_OUT', 'OUTPUTS', 'H1_RING']),
    mbconvLayer(6, [5, 8], 'q15', ['L8_OUT', 'OUTPUTS', 'X_RING', 'X_DW', 'X_ROW']),
    headLayer(7, 2, ['L8_OUT', 'OUTPUTS', 'H2_RING']),
    mbconvLayer(8, [9, 9], 'q15', ['OUTPUTS_LOW', 'L9_RING', 'L9_DW', 'L9_OUT', 'L8_OUT']),
    mbconvLayer(9, [10, 11], 'q15', ['OUTPUTS', 'L11_OUT', 'A_RING', 'A_DW', 'A_ROW']),
    headLayer(10, 3, ['OUTPUTS', 'L11_OUT', 'H3_RING']),
    mbconvLayer(11, [12, 12], 'q7', ['OUTPUTS', 'L11_OUT', 'L12_OUT', 'L12_RING', 'L12_DW']),
    mbconvLayer(12, [13, 13], 'q7', ['OUTPUTS', 'L13_OUT', 'B_RING', 'B_DW', 'B_ROW']),
    mbconvLayer(13, [14, 14], 'q7', ['OUTPUTS', 'L14_OUT', 'B_RING', 'B_DW', 'B_ROW']),
    headQ7ConfLayer(14, 4, ['OUTPUTS', 'L14_OUT', 'H4_CONF']),
    outputsLayer(15, ['OUTPUTS', 'H4_CONF']),
    boxesLayer(16, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 184_576, buffers: BUFFERS },
  firmwareSources: ['front_end.c', 'boxes.c', 'face_qvga.c'],
  reference: (model, frame) => runFaceQvga(model, frame),
});
