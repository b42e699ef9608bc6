// RNNPool-Face-M4 (Saha et al., NeurIPS 2020; EdgeML's q_scut_head_b_face4_model,
// c_reference/models/quantized_face_detection_sparse.c): conv 3x3 → RNNPool 8x8/4 → 4 MBConv → 4
// heads. Firmware: firmware/app/face_m4.c; reference: src/reference/face-m4.ts.
import { runFaceM4 } from '../reference/face-m4.js';
import {
  boxesLayer,
  convLayer,
  headLayer,
  mbconvLayer,
  outputsLayer,
  rnnpoolFace,
  rnnpoolLayer,
} from './common.js';
import { DEFAULT_MAX_BOXES } from '../reference/postprocess.js';
import type { ArenaBuffer } from './types.js';

// EdgeML's cap on kept boxes, the same for every pipeline (src/reference/postprocess.ts).
const MAX_BOXES = DEFAULT_MAX_BOXES;

// The arena (firmware/app/face_m4.c). MBConv and the heads stream through 3-row rings, so no
// expanded tensor is whole; L2 and L4 write each output pixel over its own input pixel
// (m4_mbconv_q15_residual_inplace). Peak: L1, 184,576 bytes.
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE', name: 'image int8 240x320', start: 0, end: 76_800 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 76_800, end: 153_600 },
  { id: 'POOLED', name: 'RNNPool out int8 30x40x64', start: 0, end: 76_800 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 153_600, end: 153_984 },
  { id: 'L1_OUT', name: 'L1 out int16 30x40x32', start: 76_800, end: 153_600 },
  { id: 'L1_RING', name: 'L1 ring', start: 153_600, end: 184_320 },
  { id: 'L1_DW', name: 'L1 dw', start: 184_320, end: 184_576 },
  { id: 'OUTPUTS', name: 'head outputs int16 18000', start: 0, end: 36_000 },
  { id: 'H1_RING', name: 'H1 ring', start: 36_000, end: 43_680 },
  { id: 'L2_OUT', name: 'L2 out int16 30x40x32 (in place over L1 out)', start: 76_800, end: 153_600 },
  { id: 'L2_RING', name: 'L2 ring', start: 36_000, end: 51_360 },
  { id: 'L2_DW', name: 'L2 dw', start: 51_360, end: 51_488 },
  { id: 'L2_ROW', name: 'L2 row', start: 51_488, end: 51_552 },
  { id: 'H2_RING', name: 'H2 ring', start: 36_000, end: 43_680 },
  { id: 'L3_OUT', name: 'L3 out int16 15x20x64', start: 36_000, end: 74_400 },
  { id: 'L3_RING', name: 'L3 ring', start: 153_600, end: 168_960 },
  { id: 'L3_DW', name: 'L3 dw', start: 168_960, end: 169_088 },
  { id: 'H3_RING', name: 'H3 ring', start: 76_800, end: 84_480 },
  { id: 'L4_OUT', name: 'L4 out int16 15x20x64 (in place over L3 out)', start: 36_000, end: 74_400 },
  { id: 'L4_RING', name: 'L4 ring', start: 76_800, end: 92_160 },
  { id: 'L4_DW', name: 'L4 dw', start: 92_160, end: 92_416 },
  { id: 'L4_ROW', name: 'L4 row', start: 92_416, end: 92_544 },
  { id: 'PP_SCRATCH', name: 'post-processing scratch', start: 76_800, end: 88_800 },
  { id: 'BOXES', name: 'boxes', start: 88_800, end: 97_800 },
];

export const FACE_M4 = rnnpoolFace<'rnnpool-face-m4'>({
  name: 'rnnpool-face-m4',
  summary: 'RNNPool-Face-M4: conv, RNNPool 8x8, 4 MBConv, 4 heads (EdgeML quantized_face_detection_sparse.c)',
  mbconvs: 4,
  residual: [2, 4],
  patchDim: 8,
  // EdgeML's M4 pipeline halves conf of H3 and loc of H4 when it assembles the output vector.
  heads: [
    { layer: 1, step: 8, anchor: 8, l2norm: true },
    { layer: 2, step: 8, anchor: 16, l2norm: true },
    { layer: 3, step: 16, anchor: 32, confScale: 2, l2norm: true },
    { layer: 4, step: 16, anchor: 48, locScale: 2, l2norm: false },
  ],
  // EdgeML eval_fromquant.py's default output scale: value = q / 2^12.
  defaultOutputShift: 12,
  maxBoxes: MAX_BOXES,
  layers: [
    convLayer(1, ['IMAGE', 'CONV_OUT']),
    rnnpoolLayer(2, ['CONV_OUT', 'POOLED', 'RNN_SCRATCH']),
    mbconvLayer(3, [1, 1], 'q15', ['POOLED', 'L1_OUT', 'L1_RING', 'L1_DW']),
    headLayer(4, 1, ['L1_OUT', 'OUTPUTS', 'H1_RING']),
    mbconvLayer(5, [2, 2], 'q15', ['OUTPUTS', 'L2_RING', 'L2_DW', 'L2_ROW', 'L2_OUT']),
    headLayer(6, 2, ['OUTPUTS', 'H2_RING', 'L2_OUT']),
    mbconvLayer(7, [3, 3], 'q15', ['OUTPUTS', 'L3_OUT', 'L2_OUT', 'L3_RING', 'L3_DW']),
    headLayer(8, 3, ['OUTPUTS', 'L3_OUT', 'H3_RING']),
    mbconvLayer(9, [4, 4], 'q15', ['OUTPUTS', 'L4_OUT', 'L4_RING', 'L4_DW', 'L4_ROW']),
    headLayer(10, 4, ['OUTPUTS', 'L4_OUT']),
    outputsLayer(11, ['OUTPUTS']),
    boxesLayer(12, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 184_576, buffers: BUFFERS },
  firmwareSources: ['front_end.c', 'boxes.c', 'face_m4.c'],
  reference: (model, frame) => runFaceM4(model, frame),
  // Table 5 (SCUT-HEAD part B): 188 KB of RAM, 10.45 s per image on an STM32F439 at 168 MHz, which
  // is about 1.76 G cycles.
  paper: {
    source: 'Saha et al. 2020, Table 5',
    part: 'STM32F439',
    clockHz: 168e6,
    peakRamBytes: 188_000,
    seconds: 10.45,
    cycles: 1.76e9,
  },
});
