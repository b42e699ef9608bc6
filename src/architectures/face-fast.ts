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

// The arena (firmware/app/face_fast.c). As face-M4's (face-m4.ts): the frame is never in RAM whole
// (the conv asks the camera for the image rows each output row reads, into a 3-row window), L3 and
// its residual run in place over L2's output, pixel by pixel, and the heads' outputs stay where
// each head wrote them (H<n>_OUT: conf then loc, H1 and H2 packed at 0) until the outputs layer
// gathers them in the ABI order. L4's output starts 12,800 bytes below its input (the L3 sum) and
// runs over it: the kernel reads an input row only while expanding it, before any output row that
// could reach it is written (m4_mbconv_q7w_inplace_gap, checked at run time against
// M4SIM_ARENA_L3_OUT - M4SIM_ARENA_L4_OUT). Peak: L4, 107,424 bytes (its 76,800-byte output with the
// input inside, its ring and dw, H1 and H2 outputs); EdgeML's own buffer is 165,840.
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE_ROWS', name: 'image rows int8 3x320 (camera window)', start: 0, end: 960 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 19_840, end: 96_640 },
  { id: 'POOLED', name: 'RNNPool out int8 15x20x64', start: 0, end: 19_200 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 19_200, end: 19_840 },
  { id: 'L1_RING', name: 'L1 ring', start: 19_200, end: 34_560 },
  { id: 'L1_DW', name: 'L1 dw', start: 34_560, end: 34_816 },
  { id: 'L1_OUT', name: 'L1 out int16 15x20x32', start: 77_600, end: 96_800 },
  { id: 'H1_OUT', name: 'head 1 conf 600 + loc 1200 int16', start: 0, end: 3_600 },
  { id: 'H1_RING', name: 'H1 ring', start: 3_600, end: 7_440 },
  { id: 'L2_OUT', name: 'L2 out int16 15x20x96', start: 20_000, end: 77_600 },
  { id: 'L2_RING', name: 'L2 ring', start: 96_800, end: 104_480 },
  { id: 'L2_DW', name: 'L2 dw', start: 104_480, end: 104_608 },
  { id: 'H2_OUT', name: 'head 2 conf 600 + loc 1200 int16', start: 3_600, end: 7_200 },
  { id: 'H2_RING', name: 'H2 ring', start: 77_600, end: 89_120 },
  { id: 'L3_OUT', name: 'L3 out + residual int16 15x20x96 (over L2 out)', start: 20_000, end: 77_600 },
  { id: 'L3_RING', name: 'L3 ring', start: 77_600, end: 100_640 },
  { id: 'L3_DW', name: 'L3 dw', start: 100_640, end: 101_024 },
  { id: 'L3_ROW', name: 'L3 row', start: 101_024, end: 101_216 },
  { id: 'L4_OUT', name: 'L4 out int16 15x20x128 (runs over L3 out)', start: 7_200, end: 84_000 },
  { id: 'L4_RING', name: 'L4 ring', start: 84_000, end: 107_040 },
  { id: 'L4_DW', name: 'L4 dw', start: 107_040, end: 107_424 },
  { id: 'H3_OUT', name: 'head 3 conf 600 + loc 1200 int16', start: 84_000, end: 87_600 },
  { id: 'H3_RING', name: 'H3 ring', start: 87_600, end: 102_960 },
  { id: 'OUTPUTS', name: 'head outputs int16 5400 (ABI order)', start: 7_200, end: 18_000 },
  { id: 'PP_SCRATCH', name: 'post-processing scratch', start: 18_000, end: 21_600 },
  { id: 'BOXES', name: 'boxes', start: 21_600, end: 30_600 },
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
    convLayer(1, ['CONV_OUT', 'IMAGE_ROWS']),
    rnnpoolLayer(2, ['CONV_OUT', 'POOLED', 'RNN_SCRATCH']),
    mbconvLayer(3, [1, 1], 'q15', ['POOLED', 'L1_RING', 'L1_DW', 'L1_OUT']),
    headLayer(4, 1, ['L1_OUT', 'H1_OUT', 'H1_RING']),
    mbconvLayer(5, [2, 2], 'q15', ['L1_OUT', 'H1_OUT', 'L2_OUT', 'L2_RING', 'L2_DW']),
    headLayer(6, 2, ['L2_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING']),
    mbconvLayer(7, [3, 3], 'q15', ['H1_OUT', 'H2_OUT', 'L3_OUT', 'L3_RING', 'L3_DW', 'L3_ROW']),
    mbconvLayer(8, [4, 4], 'q15', ['H1_OUT', 'H2_OUT', 'L4_RING', 'L4_DW', 'L4_OUT']),
    headLayer(9, 3, ['H1_OUT', 'H2_OUT', 'L4_OUT', 'H3_OUT', 'H3_RING']),
    outputsLayer(10, ['OUTPUTS', 'H1_OUT', 'H2_OUT', 'H3_OUT']),
    boxesLayer(11, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 107_424, buffers: BUFFERS },
  firmwareSources: ['front_end_stream.c', 'boxes.c', 'camera.c', 'gather.c', 'face_fast.c'],
  reference: (model, frame) => runFaceFast(model, frame),
});
