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

// The arena (firmware/app/face_m4.c). The frame is never in RAM whole: the conv asks the camera for
// the image rows each output row reads (firmware/app/camera.h) into a 3-row window. Every stage after
// it writes its output over its own input, rows behind the rows it still reads: RNNPool over the conv
// output (a band of eight pooled rows px..px+7, 8 x 2,560 B, gathered in POOL_ROW, then over conv
// rows 4px..4px+31, which only that band reads; the band's shared sweeps in RNN_CACHE: W x of its
// 36x8 pixels and 8 + 1 rows of 64 hidden states, 10,368 B), L1
// over POOLED (30x40x64 int8 and 30x40x32 int16 rows are both 2,560 B; output row r is written after
// input rows <= r+1 are in the ring), L2 and L4 pixel by pixel (m4_mbconv_q15_residual_inplace), L3
// (stride 2) over L2 (output row r after input rows <= 2r+1). MBConv and the heads stream through
// 3-row rings. The heads' outputs stay where each head wrote them (H<n>_OUT: conf then loc) until the
// outputs layer gathers them in the ABI order (conf H1..H4, then loc H1..H4) over the dead L4 tensor.
// Peak: L3, 121,088 bytes (the L2 tensor, H1 and H2 outputs, L3's ring and dw).
const BUFFERS: ArenaBuffer[] = [
  { id: 'IMAGE_ROWS', name: 'image rows int8 3x320 (camera window)', start: 76_800, end: 77_760 },
  { id: 'CONV_OUT', name: 'conv out int8 120x160x4', start: 0, end: 76_800 },
  { id: 'POOLED', name: 'RNNPool out int8 30x40x64 (in place over conv out)', start: 0, end: 76_800 },
  { id: 'RNN_SCRATCH', name: 'RNNPool scratch', start: 76_800, end: 77_184 },
  { id: 'POOL_ROW', name: 'RNNPool out rows int8 8x40x64 (a band)', start: 77_184, end: 97_664 },
  { id: 'RNN_CACHE', name: 'RNNPool band cache (rnnpool.h RNNPool_ShareCache)', start: 97_664, end: 108_032 },
  { id: 'L1_OUT', name: 'L1 out int16 30x40x32 (in place over RNNPool out)', start: 0, end: 76_800 },
  { id: 'L1_RING', name: 'L1 ring', start: 76_800, end: 107_520 },
  { id: 'L1_DW', name: 'L1 dw', start: 107_520, end: 107_776 },
  { id: 'H1_OUT', name: 'head 1 conf 2400 + loc 4800 int16', start: 76_800, end: 91_200 },
  { id: 'H1_RING', name: 'H1 ring', start: 91_200, end: 98_880 },
  { id: 'L2_OUT', name: 'L2 out int16 30x40x32 (in place over L1 out)', start: 0, end: 76_800 },
  { id: 'L2_RING', name: 'L2 ring', start: 91_200, end: 106_560 },
  { id: 'L2_DW', name: 'L2 dw', start: 106_560, end: 106_688 },
  { id: 'L2_ROW', name: 'L2 row', start: 106_688, end: 106_752 },
  { id: 'H2_OUT', name: 'head 2 conf 2400 + loc 4800 int16', start: 91_200, end: 105_600 },
  { id: 'H2_RING', name: 'H2 ring', start: 105_600, end: 113_280 },
  { id: 'L3_OUT', name: 'L3 out int16 15x20x64 (in place over L2 out)', start: 0, end: 38_400 },
  { id: 'L3_RING', name: 'L3 ring', start: 105_600, end: 120_960 },
  { id: 'L3_DW', name: 'L3 dw', start: 120_960, end: 121_088 },
  { id: 'H3_OUT', name: 'head 3 conf 600 + loc 1200 int16', start: 105_600, end: 109_200 },
  { id: 'H3_RING', name: 'H3 ring', start: 38_400, end: 46_080 },
  { id: 'L4_OUT', name: 'L4 out int16 15x20x64 (in place over L3 out)', start: 0, end: 38_400 },
  { id: 'L4_RING', name: 'L4 ring', start: 38_400, end: 53_760 },
  { id: 'L4_DW', name: 'L4 dw', start: 53_760, end: 54_016 },
  { id: 'L4_ROW', name: 'L4 row', start: 54_016, end: 54_144 },
  { id: 'H4_OUT', name: 'head 4 conf 600 + loc 1200 int16', start: 109_200, end: 112_800 },
  { id: 'OUTPUTS', name: 'head outputs int16 18000 (ABI order)', start: 0, end: 36_000 },
  { id: 'PP_SCRATCH', name: 'post-processing scratch', start: 36_000, end: 48_000 },
  { id: 'BOXES', name: 'boxes', start: 48_000, end: 57_000 },
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
    convLayer(1, ['CONV_OUT', 'IMAGE_ROWS']),
    rnnpoolLayer(2, ['POOLED', 'RNN_SCRATCH', 'POOL_ROW', 'RNN_CACHE']),
    mbconvLayer(3, [1, 1], 'q15', ['L1_OUT', 'L1_RING', 'L1_DW']),
    headLayer(4, 1, ['L1_OUT', 'H1_OUT', 'H1_RING']),
    mbconvLayer(5, [2, 2], 'q15', ['L2_OUT', 'H1_OUT', 'L2_RING', 'L2_DW', 'L2_ROW']),
    headLayer(6, 2, ['L2_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING']),
    mbconvLayer(7, [3, 3], 'q15', ['L2_OUT', 'H1_OUT', 'H2_OUT', 'L3_RING', 'L3_DW']),
    headLayer(8, 3, ['L3_OUT', 'H3_RING', 'H1_OUT', 'H2_OUT', 'H3_OUT']),
    mbconvLayer(9, [4, 4], 'q15', ['L4_OUT', 'L4_RING', 'L4_DW', 'L4_ROW', 'H1_OUT', 'H2_OUT', 'H3_OUT']),
    headLayer(10, 4, ['L4_OUT', 'H1_OUT', 'H2_OUT', 'H3_OUT', 'H4_OUT']),
    outputsLayer(11, ['OUTPUTS', 'H1_OUT', 'H2_OUT', 'H3_OUT', 'H4_OUT']),
    boxesLayer(12, MAX_BOXES, ['OUTPUTS', 'PP_SCRATCH', 'BOXES']),
  ],
  arena: { bytes: 121_088, buffers: BUFFERS },
  // Eight: a band's rows and cache (30,848 B with RNN_SCRATCH) fit below the plan's peak; a ninth
  // row would save 1.4 M cycles more.
  rnnpoolBandRows: 8,
  firmwareSources: ['front_end.c', 'front_end_stream.c', 'boxes.c', 'camera.c', 'gather.c', 'face_m4.c'],
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
