// EdgeML's face-3 ("fast", q_scut_head_b_face3_model, c_reference/models/
// quantized_face_detection_fast.c): conv 3x3 → RNNPool 16x16/8 → 4 MBConv → 3 heads, 900 priors, 5400
// outputs. Firmware: firmware/app/face_fast.c; reference: src/reference/face-fast.ts.
import { runFaceFast } from '../reference/face-fast.js';
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

// The arena (firmware/app/face_fast.c). L3's residual sum goes back over L3's output. L4's output
// starts 12,800 bytes below its input (L3 out) and runs over it: the kernel reads an input row only
// while expanding it, before any output row that could reach it is written (m4_mbconv_q7w_inplace_gap,
// checked at run time against M4SIM_ARENA_L3_OUT - M4SIM_ARENA_L4_OUT). Peak: the frame and the conv
// output, 153,600 bytes (L3 needs 149,424); EdgeML's own buffer is 165,840.
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE', name: 'image int8 240x320', start: 0, end: 76_800 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 76_800, end: 153_600 },
  { id: 'POOLED', name: 'RNNPool out int8 15x20x64', start: 0, end: 19_200 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 19_200, end: 19_840 },
  { id: 'OUTPUTS', name: 'head outputs int16 5400', start: 0, end: 10_800 },
  { id: 'L1_OUT', name: 'L1 out int16 15x20x32', start: 68_400, end: 87_600 },
  { id: 'L1_RING', name: 'L1 ring', start: 87_600, end: 102_960 },
  { id: 'L1_DW', name: 'L1 dw', start: 102_960, end: 103_216 },
  { id: 'H1_RING', name: 'H1 ring', start: 10_800, end: 14_640 },
  { id: 'L2_OUT', name: 'L2 out int16 15x20x96', start: 10_800, end: 68_400 },
  { id: 'L2_RING', name: 'L2 ring', start: 87_600, end: 95_280 },
  { id: 'L2_DW', name: 'L2 dw', start: 95_280, end: 95_408 },
  { id: 'H2_RING', name: 'H2 ring', start: 68_400, end: 79_920 },
  { id: 'L3_OUT', name: 'L3 out int16 15x20x96 (+ residual in place)', start: 68_400, end: 126_000 },
  { id: 'L3_RING', name: 'L3 ring', start: 126_000, end: 149_040 },
  { id: 'L3_DW', name: 'L3 dw', start: 149_040, end: 149_424 },
  { id: 'L4_OUT', name: 'L4 out int16 15x20x128 (runs over L3 out)', start: 55_600, end: 132_400 },
  { id: 'L4_RING', name: 'L4 ring', start: 10_800, end: 33_840 },
  { id: 'L4_DW', name: 'L4 dw', start: 33_840, end: 34_224 },
  { id: 'H3_RING', name: 'H3 ring', start: 10_800, end: 26_160 },
  { id: 'PP_SCRATCH', name: 'post-processing scratch', start: 26_160, end: 29_760 },
  { id: 'BOXES', name: 'boxes', start: 29_760, end: 38_760 },
];

export const FACE_FAST = rnnpoolFace<'rnnpool-face-fast'>({
  name: 'rnnpool-face-fast',
  summary: "EdgeML's face-3 (fast): conv, RNNPool 16x16, 4 MBConv, 3 heads (quantized_face_detection_fast.c)",
  mbconvs: 4,
  residual: [3],
  patchDim: 16,
  // EdgeML's fast pipeline halves conf of H2 and loc of H3. Anchor sizes unverified.
  heads: [
    { layer: 1, step: 16, anchor: 32, l2norm: true },
    { layer: 2, step: 16, anchor: 48, confScale: 2, l2norm: true },
    { layer: 4, step: 16, anchor: 64, locScale: 2, l2norm: true },
  ],
  // As face-M4 (EdgeML eval_fromquant.py's default): value = q / 2^12.
  defaultOutputShift: 12,
  maxBoxes: MAX_BOXES,
  layers: [
    convLayer(1, ['IMAGE', 'CONV_OUT']),
    rnnpoolLayer(2, ['CONV_OUT', 'POOLED', 'RNN_SCRATCH']),
    mbconvLayer(3, [1, 1], 'q15', ['POOLED', 'L1_OUT', 'L1_RING', 'L1_DW']),
    headLayer(4, 1, ['L1_OUT', 'OUTPUTS', 'H1_RING']),
    mbconvLayer(5, [2, 2], 'q15', ['L1_OUT', 'OUTPUTS', 'L2_OUT', 'L2_RING', 'L2_DW']),
    headLayer(6, 2, ['L2_OUT', 'OUTPUTS', 'H2_RING']),
    mbconvLayer(7, [3, 3], 'q15', ['L2_OUT', 'OUTPUTS', 'L3_OUT', 'L3_RING', 'L3_DW']),
    mbconvLayer(8, [4, 4], 'q15', ['OUTPUTS', 'L4_RING', 'L4_DW', 'L4_OUT']),
    headLayer(9, 3, ['OUTPUTS', 'L4_OUT', 'H3_RING']),
    outputsLayer(10, ['OUTPUTS']),
    boxesLayer(11, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 153_600, buffers: BUFFERS },
  firmwareSources: ['boxes.c', 'face_fast.c'],
  reference: (model, frame) => runFaceFast(model, frame),
});
