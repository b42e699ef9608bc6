// The architecture descriptors (src/architectures): for face-M4, face-2 (qvga) and face-3 (fast) the
// layers, their MACs and live arena buffers against hand counts from the layer shapes, the arena plans
// against the C pipelines' layouts (the offsets face_m4.c, face_qvga.c and face_fast.c had before they
// were generated) and against the real firmware (peak = arena_bytes, every published tensor inside a
// live buffer), the generated C header, `m4sim report` on face-2, and that the old per-architecture
// tables are gone.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  architectureNamed,
  architectureOf,
  architectures,
  layerNames,
  liveArenaBytes,
  liveBuffers,
  renderLayersHeader,
  type ArchitectureDescriptor,
} from '../src/architectures/index.js';
import { detect } from '../src/detector/detect.js';
import { referenceRunner } from '../src/detector/reference.js';
import { loadBoard } from '../src/emulator/board.js';
import { loadModel, type Model } from '../src/model/index.js';
import type { LayerResult } from '../src/reference/pipeline.js';
import { layerProfile } from '../src/profile/layers.js';
import { projectRoot } from '../src/util/paths.js';
import { haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

const root = projectRoot();
const MODELS = {
  'rnnpool-face-m4': join(root, 'models', 'face-m4-synthetic.model.json'),
  'rnnpool-face-qvga': join(root, 'models', 'edgeml', 'face2.model.json'),
  'rnnpool-face-fast': join(root, 'models', 'edgeml', 'face3.model.json'),
} as const;
type Name = keyof typeof MODELS;

interface Row {
  id: number;
  name: string;
  dtype: 'q7' | 'q15' | 'pp_box';
  shape: number[];
  macs: number;
  /** Live buffer ids, in the descriptor's order. */
  live: string[];
  liveBytes: number;
}
interface Expected {
  arenaBytes: number;
  /** Buffer id → [start, end) bytes: the C file's offsets. */
  buffers: Record<string, [number, number]>;
  layers: Row[];
}

// MAC formulas (src/architectures/common.ts): conv HOUT·WOUT·COUT·HF·WF·CF; RNNPool per patch
// 2P·P·(H1·C + H1²) + 4·P·(H2·H1 + H2²); MBConv H·W·CIN·CTEMP + HOUT·WOUT·(9·CTEMP + CTEMP·COUT);
// head cells·9·C·(conf COUT + loc COUT). The shapes are the shipped models' defines.
// RNNPool 8x8 (face-M4, face-2): 29·39 = 1131 patches × (128·(16·4 + 256) + 32·(256 + 256)) =
// 1131 × (40,960 + 16,384) = 1131 × 57,344 = 64,856,064.
const RNNPOOL_8 = 64_856_064;
// MBConv 30x40 32→64→32: 1200·32·64 + 1200·(576 + 2048) = 2,457,600 + 3,148,800 = 5,606,400.
const MB_30x40_32 = 5_606_400;

// prettier-ignore
const M4: Expected = {
  arenaBytes: 121_088,
  // One 76,800-byte tensor region at 0 for the conv output, RNNPool, L1, L2 (L3 and L4: its first
  // 38,400), each written over its own input; the heads' outputs packed after it in the order they
  // are made (H1 14,400 = 1200·(2 + 4)·2 at 76,800, H2 at 91,200, H3 3,600 = 300·6·2 at 105,600, H4
  // at 109,200); each ring right after what is live next to it; the gathered outputs, post-processing
  // scratch and boxes over the dead tensors at 0.
  buffers: {
    IMAGE_ROWS: [76_800, 77_760], // 3 image rows · 320
    CONV_OUT: [0, 76_800], // 120·160·4
    POOLED: [0, 76_800], // 30·40·64
    RNN_SCRATCH: [76_800, 77_184], // (64 + 16·8) Q15 = 384 bytes
    POOL_ROW: [77_184, 97_664], // a band of 8 rows · 40·64
    // RNNPool_ShareCache for 8-row bands: W x of (8 + 7·4)·8 pixels · 16 + (1 + 8) · 64 states, Q15:
    // (4,608 + 576) · 2 = 10,368
    RNN_CACHE: [97_664, 108_032],
    L1_OUT: [0, 76_800], // 30·40·32·2
    L1_RING: [76_800, 107_520], // 3·40·128·2 = 30,720
    L1_DW: [107_520, 107_776], // 128·2
    H1_OUT: [76_800, 91_200],
    H1_RING: [91_200, 98_880], // 3·40·32·2 = 7,680
    L2_OUT: [0, 76_800],
    L2_RING: [91_200, 106_560], // 3·40·64·2 = 15,360
    L2_DW: [106_560, 106_688], // 64·2
    L2_ROW: [106_688, 106_752], // 32·2
    H2_OUT: [91_200, 105_600],
    H2_RING: [105_600, 113_280],
    L3_OUT: [0, 38_400], // 15·20·64·2
    L3_RING: [105_600, 120_960], // 3·40·64·2
    L3_DW: [120_960, 121_088],
    H3_OUT: [105_600, 109_200],
    H3_RING: [38_400, 46_080], // 3·20·64·2 = 7,680
    L4_OUT: [0, 38_400],
    L4_RING: [38_400, 53_760], // 3·20·128·2 = 15,360
    L4_DW: [53_760, 54_016], // 128·2
    L4_ROW: [54_016, 54_144], // 64·2
    H4_OUT: [109_200, 112_800],
    OUTPUTS: [0, 36_000], // 18000·2
    PP_SCRATCH: [36_000, 48_000], // 3000 priors · 4
    BOXES: [48_000, 57_000], // 750 · 12
  },
  layers: [
    // 120·160·4·9 = 691,200; 76,800 + 960
    { id: 1, name: 'conv', dtype: 'q7', shape: [120, 160, 4], macs: 691_200, live: ['CONV_OUT', 'IMAGE_ROWS'], liveBytes: 77_760 },
    // 76,800 + 384 + 20,480 + 10,368
    { id: 2, name: 'rnnpool', dtype: 'q7', shape: [30, 40, 64], macs: RNNPOOL_8, live: ['POOLED', 'RNN_SCRATCH', 'POOL_ROW', 'RNN_CACHE'], liveBytes: 108_032 },
    // 1200·64·128 + 1200·(1152 + 4096) = 9,830,400 + 6,297,600; 76,800 + 30,720 + 256
    { id: 3, name: 'mbconv1', dtype: 'q15', shape: [30, 40, 32], macs: 16_128_000, live: ['L1_OUT', 'L1_RING', 'L1_DW'], liveBytes: 107_776 },
    // 1200·9·32·(4 + 4); 76,800 + 14,400 + 7,680
    { id: 4, name: 'head1', dtype: 'q15', shape: [30, 40, 6], macs: 2_764_800, live: ['L1_OUT', 'H1_OUT', 'H1_RING'], liveBytes: 98_880 },
    // 76,800 + 14,400 + 15,360 + 128 + 64
    { id: 5, name: 'mbconv2', dtype: 'q15', shape: [30, 40, 32], macs: MB_30x40_32, live: ['L2_OUT', 'H1_OUT', 'L2_RING', 'L2_DW', 'L2_ROW'], liveBytes: 106_752 },
    // 1200·9·32·(2 + 4); 76,800 + 14,400 + 14,400 + 7,680
    { id: 6, name: 'head2', dtype: 'q15', shape: [30, 40, 6], macs: 2_073_600, live: ['L2_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING'], liveBytes: 113_280 },
    // 1200·32·64 + 300·(576 + 4096) = 2,457,600 + 1,401,600; 76,800 + 14,400 + 14,400 + 15,360 + 128: the peak
    { id: 7, name: 'mbconv3', dtype: 'q15', shape: [15, 20, 64], macs: 3_859_200, live: ['L2_OUT', 'H1_OUT', 'H2_OUT', 'L3_RING', 'L3_DW'], liveBytes: 121_088 },
    // 300·9·64·6; 38,400 + 7,680 + 14,400 + 14,400 + 3,600
    { id: 8, name: 'head3', dtype: 'q15', shape: [15, 20, 6], macs: 1_036_800, live: ['L3_OUT', 'H3_RING', 'H1_OUT', 'H2_OUT', 'H3_OUT'], liveBytes: 78_480 },
    // 300·64·128 + 300·(1152 + 8192) = 2,457,600 + 2,803,200; 38,400 + 15,360 + 256 + 128 + 14,400 + 14,400 + 3,600
    { id: 9, name: 'mbconv4', dtype: 'q15', shape: [15, 20, 64], macs: 5_260_800, live: ['L4_OUT', 'L4_RING', 'L4_DW', 'L4_ROW', 'H1_OUT', 'H2_OUT', 'H3_OUT'], liveBytes: 86_544 },
    // 300·9·64·6 (no L2 norm, no ring); 38,400 + 14,400 + 14,400 + 3,600 + 3,600
    { id: 10, name: 'head4', dtype: 'q15', shape: [15, 20, 6], macs: 1_036_800, live: ['L4_OUT', 'H1_OUT', 'H2_OUT', 'H3_OUT', 'H4_OUT'], liveBytes: 74_400 },
    // 36,000 gathered + the 36,000 they come from
    { id: 11, name: 'outputs', dtype: 'q15', shape: [18_000], macs: 0, live: ['OUTPUTS', 'H1_OUT', 'H2_OUT', 'H3_OUT', 'H4_OUT'], liveBytes: 72_000 },
    // 36,000 + 12,000 + 9,000
    { id: 12, name: 'boxes', dtype: 'pp_box', shape: [750, 6], macs: 0, live: ['OUTPUTS', 'PP_SCRATCH', 'BOXES'], liveBytes: 57_000 },
  ],
};

// MBConv 15x20 96→192→96: 300·96·192 + 300·(1728 + 18,432) = 5,529,600 + 6,048,000 = 11,577,600.
const MB_15x20_96 = 11_577_600;
// MBConv 15x20 96→192→128: 5,529,600 + 300·(1728 + 24,576) = 5,529,600 + 7,891,200 = 13,420,800.
const MB_15x20_96_128 = 13_420_800;
// MBConv 15x20 128→256→128: 300·128·256 + 300·(2304 + 32,768) = 9,830,400 + 10,521,600 = 20,352,000.
const MB_15x20_128 = 20_352_000;

// prettier-ignore
const QVGA: Expected = {
  arenaBytes: 121_088,
  // As face-M4's: one 76,800-byte tensor region at 0 for the conv output, RNNPool, X (L1..L8), A
  // (L9..L11: its first 57,600) and B (L12..L14: its first 38,400), each written over its own input;
  // H1's outputs (14,400 = 1200·(2 + 4)·2) at 76,800 and H2's at 91,200, after the region; once L9 is
  // done H2's move to 57,600 (past A, in X), so that L10/L11's ring (3·20·192·2 = 23,040) fits at
  // 91,200; H3's (3,600 = 300·6·2) after them at 72,000, H4's (600 int8 + 1200·2) over the dead B
  // ring; the gathered outputs, post-processing scratch and boxes over the dead tensors at 0.
  buffers: {
    IMAGE_ROWS: [76_800, 77_760], // 3 image rows · 320
    CONV_OUT: [0, 76_800], // 120·160·4
    POOLED: [0, 76_800], // 30·40·64
    RNN_SCRATCH: [76_800, 77_184], // (64 + 16·8) Q15 = 384 bytes
    POOL_ROW: [77_184, 97_664], // a band of 8 rows · 40·64, as face-M4's
    RNN_CACHE: [97_664, 108_032], // (4,608 + 576) · 2 = 10,368, as face-M4's
    L1_RING: [76_800, 107_520], // 3·40·128·2 = 30,720
    L1_DW: [107_520, 107_776],
    L1_OUT: [0, 76_800], // 30·40·32·2 = 76,800
    L4_OUT: [0, 76_800],
    X_RING: [91_200, 106_560], // 3·40·64·2
    X_DW: [106_560, 106_688],
    X_ROW: [106_688, 106_752],
    H1_OUT: [76_800, 91_200],
    H1_RING: [91_200, 98_880], // 3·40·32·2
    L8_OUT: [0, 76_800],
    H2_OUT: [91_200, 105_600],
    H2_RING: [105_600, 113_280],
    L9_RING: [105_600, 120_960], // 3·40·64·2
    L9_DW: [120_960, 121_088],
    H2_KEPT: [57_600, 72_000],
    L11_OUT: [0, 57_600], // 15·20·96·2 = 57,600
    A_RING: [91_200, 114_240], // 3·20·192·2 = 23,040
    A_DW: [114_240, 114_624],
    A_ROW: [114_624, 114_816],
    H3_OUT: [72_000, 75_600],
    H3_RING: [91_200, 102_720], // 3·20·96·2 = 11,520
    L12_RING: [91_200, 114_240],
    L12_DW: [114_240, 114_624],
    L13_OUT: [0, 38_400], // 15·20·128 = 38,400
    L14_OUT: [0, 38_400],
    B_RING: [38_400, 53_760], // 3·20·256 = 15,360 (int8)
    B_DW: [53_760, 54_016],
    B_ROW: [54_016, 54_144],
    H4_OUT: [38_400, 41_400], // 300·2 + 300·4·2
    OUTPUTS: [0, 36_000], // 18000·2
    PP_SCRATCH: [36_000, 48_000],
    BOXES: [48_000, 57_000],
  },
  layers: [
    // 76,800 + 960
    { id: 1, name: 'conv', dtype: 'q7', shape: [120, 160, 4], macs: 691_200, live: ['CONV_OUT', 'IMAGE_ROWS'], liveBytes: 77_760 },
    // 76,800 + 384 + 2,560
    // 76,800 + 384 + 20,480 + 10,368
    { id: 2, name: 'rnnpool', dtype: 'q7', shape: [30, 40, 64], macs: RNNPOOL_8, live: ['POOLED', 'RNN_SCRATCH', 'POOL_ROW', 'RNN_CACHE'], liveBytes: 108_032 },
    // 30,720 + 256 + 76,800
    { id: 3, name: 'mbconv1', dtype: 'q15', shape: [30, 40, 32], macs: 16_128_000, live: ['L1_RING', 'L1_DW', 'L1_OUT'], liveBytes: 107_776 },
    // 3 · 5,606,400; 76,800 + 15,360 + 128 + 64 (no head has written an output yet)
    { id: 4, name: 'mbconv2-4', dtype: 'q15', shape: [30, 40, 32], macs: 3 * MB_30x40_32, live: ['L4_OUT', 'X_RING', 'X_DW', 'X_ROW'], liveBytes: 92_352 },
    // 1200·9·32·(4 + 4); 76,800 + 14,400 + 7,680
    { id: 5, name: 'head1', dtype: 'q15', shape: [30, 40, 6], macs: 2_764_800, live: ['L4_OUT', 'H1_OUT', 'H1_RING'], liveBytes: 98_880 },
    // 4 · 5,606,400; 76,800 + 14,400 + 15,360 + 128 + 64
    { id: 6, name: 'mbconv5-8', dtype: 'q15', shape: [30, 40, 32], macs: 4 * MB_30x40_32, live: ['L8_OUT', 'H1_OUT', 'X_RING', 'X_DW', 'X_ROW'], liveBytes: 106_752 },
    // 1200·9·32·(2 + 4); 76,800 + 14,400 + 14,400 + 7,680
    { id: 7, name: 'head2', dtype: 'q15', shape: [30, 40, 6], macs: 2_073_600, live: ['L8_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING'], liveBytes: 113_280 },
    // 1200·32·64 + 300·(576 + 64·96) = 2,457,600 + 2,016,000; 14,400 + 14,400 + 15,360 + 128 + 76,800: the peak
    { id: 8, name: 'mbconv9', dtype: 'q15', shape: [15, 20, 96], macs: 4_473_600, live: ['H1_OUT', 'H2_OUT', 'L9_RING', 'L9_DW', 'L8_OUT'], liveBytes: 121_088 },
    // 2 · 11,577,600; 14,400 + 57,600 + 14,400 + 23,040 + 384 + 192
    { id: 9, name: 'mbconv10-11', dtype: 'q15', shape: [15, 20, 96], macs: 2 * MB_15x20_96, live: ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'A_RING', 'A_DW', 'A_ROW'], liveBytes: 110_016 },
    // 300·9·96·6; 14,400 + 57,600 + 14,400 + 3,600 + 11,520
    { id: 10, name: 'head3', dtype: 'q15', shape: [15, 20, 6], macs: 1_555_200, live: ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'H3_OUT', 'H3_RING'], liveBytes: 101_520 },
    // 14,400 + 57,600 + 14,400 + 3,600 + 23,040 + 384
    { id: 11, name: 'mbconv12', dtype: 'q7', shape: [15, 20, 128], macs: MB_15x20_96_128, live: ['H1_OUT', 'L11_OUT', 'H2_KEPT', 'H3_OUT', 'L12_RING', 'L12_DW'], liveBytes: 113_424 },
    // 14,400 + 38,400 + 14,400 + 3,600 + 15,360 + 256 + 128
    { id: 12, name: 'mbconv13', dtype: 'q7', shape: [15, 20, 128], macs: MB_15x20_128, live: ['H1_OUT', 'L13_OUT', 'H2_KEPT', 'H3_OUT', 'B_RING', 'B_DW', 'B_ROW'], liveBytes: 86_544 },
    { id: 13, name: 'mbconv14', dtype: 'q7', shape: [15, 20, 128], macs: MB_15x20_128, live: ['H1_OUT', 'L14_OUT', 'H2_KEPT', 'H3_OUT', 'B_RING', 'B_DW', 'B_ROW'], liveBytes: 86_544 },
    // conf int8 300·2 + loc int16 300·4·2 = 3000 bytes; 300·9·128·6; 14,400 + 38,400 + 14,400 + 3,600 + 3,000
    { id: 14, name: 'head4', dtype: 'q7', shape: [3000], macs: 2_073_600, live: ['H1_OUT', 'L14_OUT', 'H2_KEPT', 'H3_OUT', 'H4_OUT'], liveBytes: 73_800 },
    // 36,000 gathered + the 35,400 they come from
    { id: 15, name: 'outputs', dtype: 'q15', shape: [18_000], macs: 0, live: ['OUTPUTS', 'H1_OUT', 'H2_KEPT', 'H3_OUT', 'H4_OUT'], liveBytes: 71_400 },
    { id: 16, name: 'boxes', dtype: 'pp_box', shape: [750, 6], macs: 0, live: ['OUTPUTS', 'PP_SCRATCH', 'BOXES'], liveBytes: 57_000 },
  ],
};

// prettier-ignore
const FAST: Expected = {
  arenaBytes: 107_424,
  // H1's and H2's outputs (3,600 = 300·(2 + 4)·2 each) packed at 0; L2's output at 20,000 so that L4's
  // output can start 12,800 below it (face_fast.c's L4 gap) at 7,200, right after them; L3 and its
  // residual in place over L2's; each ring right after what is live next to it; the gathered outputs,
  // post-processing scratch and boxes after the heads' outputs.
  buffers: {
    IMAGE_ROWS: [0, 960], // 3 image rows · 320
    CONV_OUT: [19_840, 96_640], // 120·160·4
    POOLED: [0, 19_200], // 15·20·64
    RNN_SCRATCH: [19_200, 19_840], // (64 + 16·16) Q15 = 640
    L1_RING: [19_200, 34_560], // 3·20·128·2 = 15,360
    L1_DW: [34_560, 34_816],
    L1_OUT: [77_600, 96_800], // 15·20·32·2 = 19,200
    H1_OUT: [0, 3_600],
    H1_RING: [3_600, 7_440], // 3·20·32·2 = 3,840
    L2_OUT: [20_000, 77_600], // 15·20·96·2 = 57,600
    L2_RING: [96_800, 104_480], // 3·20·64·2 = 7,680
    L2_DW: [104_480, 104_608],
    H2_OUT: [3_600, 7_200],
    H2_RING: [77_600, 89_120], // 3·20·96·2 = 11,520
    L3_OUT: [20_000, 77_600],
    L3_RING: [77_600, 100_640], // 3·20·192·2 = 23,040
    L3_DW: [100_640, 101_024],
    L3_ROW: [101_024, 101_216], // 96·2
    L4_OUT: [7_200, 84_000], // 15·20·128·2 = 76,800
    L4_RING: [84_000, 107_040], // 3·20·192·2
    L4_DW: [107_040, 107_424],
    H3_OUT: [84_000, 87_600],
    H3_RING: [87_600, 102_960], // 3·20·128·2 = 15,360
    OUTPUTS: [7_200, 18_000], // 5400·2
    PP_SCRATCH: [18_000, 21_600], // 900 priors · 4
    BOXES: [21_600, 30_600],
  },
  layers: [
    // 76,800 + 960
    { id: 1, name: 'conv', dtype: 'q7', shape: [120, 160, 4], macs: 691_200, live: ['CONV_OUT', 'IMAGE_ROWS'], liveBytes: 77_760 },
    // RNNPool 16x16/8: 14·19 = 266 patches × (512·(64 + 256) + 64·(256 + 256)) = 266 × 196,608;
    // 76,800 + 19,200 + 640
    { id: 2, name: 'rnnpool', dtype: 'q7', shape: [15, 20, 64], macs: 52_297_728, live: ['CONV_OUT', 'POOLED', 'RNN_SCRATCH'], liveBytes: 96_640 },
    // 300·64·128 + 300·(1152 + 4096) = 2,457,600 + 1,574,400; 19,200 + 15,360 + 256 + 19,200
    { id: 3, name: 'mbconv1', dtype: 'q15', shape: [15, 20, 32], macs: 4_032_000, live: ['POOLED', 'L1_RING', 'L1_DW', 'L1_OUT'], liveBytes: 54_016 },
    // 300·9·32·(4 + 4); 19,200 + 3,600 + 3,840
    { id: 4, name: 'head1', dtype: 'q15', shape: [15, 20, 6], macs: 691_200, live: ['L1_OUT', 'H1_OUT', 'H1_RING'], liveBytes: 26_640 },
    // 300·32·64 + 300·(576 + 6144) = 614,400 + 2,016,000; 19,200 + 3,600 + 57,600 + 7,680 + 128
    { id: 5, name: 'mbconv2', dtype: 'q15', shape: [15, 20, 96], macs: 2_630_400, live: ['L1_OUT', 'H1_OUT', 'L2_OUT', 'L2_RING', 'L2_DW'], liveBytes: 88_208 },
    // 300·9·96·6; 57,600 + 3,600 + 3,600 + 11,520
    { id: 6, name: 'head2', dtype: 'q15', shape: [15, 20, 6], macs: 1_555_200, live: ['L2_OUT', 'H1_OUT', 'H2_OUT', 'H2_RING'], liveBytes: 76_320 },
    // 3,600 + 3,600 + 57,600 + 23,040 + 384 + 192 (in place; was 149,424 with L3's output apart)
    { id: 7, name: 'mbconv3', dtype: 'q15', shape: [15, 20, 96], macs: MB_15x20_96, live: ['H1_OUT', 'H2_OUT', 'L3_OUT', 'L3_RING', 'L3_DW', 'L3_ROW'], liveBytes: 88_416 },
    // 3,600 + 3,600 + 23,040 + 384 + 76,800 (its input L3 out lies inside L4 out): the peak
    { id: 8, name: 'mbconv4', dtype: 'q15', shape: [15, 20, 128], macs: MB_15x20_96_128, live: ['H1_OUT', 'H2_OUT', 'L4_RING', 'L4_DW', 'L4_OUT'], liveBytes: 107_424 },
    // 300·9·128·6; 3,600 + 3,600 + 76,800 + 3,600 + 15,360
    { id: 9, name: 'head3', dtype: 'q15', shape: [15, 20, 6], macs: 2_073_600, live: ['H1_OUT', 'H2_OUT', 'L4_OUT', 'H3_OUT', 'H3_RING'], liveBytes: 102_960 },
    // 10,800 gathered + the 10,800 they come from
    { id: 10, name: 'outputs', dtype: 'q15', shape: [5400], macs: 0, live: ['OUTPUTS', 'H1_OUT', 'H2_OUT', 'H3_OUT'], liveBytes: 21_600 },
    // 10,800 + 3,600 + 9,000
    { id: 11, name: 'boxes', dtype: 'pp_box', shape: [750, 6], macs: 0, live: ['OUTPUTS', 'PP_SCRATCH', 'BOXES'], liveBytes: 23_400 },
  ],
};

const EXPECTED: Record<Name, Expected> = {
  'rnnpool-face-m4': M4,
  'rnnpool-face-qvga': QVGA,
  'rnnpool-face-fast': FAST,
};
const NAMES = Object.keys(EXPECTED) as Name[];
const models = new Map<Name, Model>();
const modelOf = (name: Name): Model => {
  if (!models.has(name)) models.set(name, loadModel(MODELS[name]));
  return models.get(name)!;
};

describe('descriptors: layers, MACs and the arena plan', () => {
  it('three architectures, each model file finds its own', () => {
    expect(architectures().map((a) => a.name)).toEqual(NAMES);
    for (const n of NAMES) expect(architectureOf(modelOf(n)).name).toBe(n);
  });

  it.each(NAMES)('%s: layers (id, name, dtype, shape, MACs) from the model defines', (n) => {
    const a = architectureNamed(n);
    const m = modelOf(n);
    expect(
      a.layers.map((l) => ({ id: l.id, name: l.name, dtype: l.dtype, shape: l.shape(m), macs: l.macs(m) })),
    ).toEqual(
      EXPECTED[n].layers.map(({ id, name, dtype, shape, macs }) => ({ id, name, dtype, shape, macs })),
    );
    expect(layerNames(a)).toEqual(EXPECTED[n].layers.map((l) => l.name));
  });

  it.each(NAMES)('%s: arena buffers at the C file offsets, live lists and bytes per layer', (n) => {
    const a = architectureNamed(n);
    const e = EXPECTED[n];
    expect(Object.fromEntries(a.arena.buffers.map((b) => [b.id, [b.start, b.end]]))).toEqual(e.buffers);
    expect(a.arena.buffers.map((b) => b.id)).toEqual(Object.keys(e.buffers)); // ids unique, in order
    for (const row of e.layers) {
      expect(liveBuffers(a, row.id).map((b) => b.id)).toEqual(row.live);
      expect(liveArenaBytes(a, row.id)).toBe(row.liveBytes);
    }
  });

  it.each(NAMES)('%s: the peak of the live bytes is the arena; no two live buffers overlap', (n) => {
    const a: ArchitectureDescriptor = architectureNamed(n);
    expect(a.arena.bytes).toBe(EXPECTED[n].arenaBytes);
    expect(Math.max(...a.layers.map((l) => liveArenaBytes(a, l.id)))).toBe(a.arena.bytes);
    for (const b of a.arena.buffers) {
      expect(b.start).toBeGreaterThanOrEqual(0);
      expect(b.end).toBeGreaterThan(b.start);
      expect(b.end).toBeLessThanOrEqual(a.arena.bytes);
    }
    for (const l of a.layers) {
      const sorted = liveBuffers(a, l.id).sort((x, y) => x.start - y.start);
      for (let i = 1; i < sorted.length; i++)
        expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
    }
    // Every buffer is live in some layer (none left over from an older plan).
    const used = new Set(a.layers.flatMap((l) => l.live));
    expect(a.arena.buffers.filter((b) => !used.has(b.id))).toEqual([]);
  });

  it('the generated header: layer enum, arena size and offsets, box cap', () => {
    const qvga = renderLayersHeader(architectureNamed('rnnpool-face-qvga'));
    expect(qvga).toContain(
      [
        'enum {',
        '  LAYER_CONV = 1,',
        '  LAYER_RNNPOOL = 2,',
        '  LAYER_MBCONV1 = 3,',
        '  LAYER_MBCONV2_4 = 4,',
        '  LAYER_HEAD1 = 5,',
        '  LAYER_MBCONV5_8 = 6,',
        '  LAYER_HEAD2 = 7,',
        '  LAYER_MBCONV9 = 8,',
        '  LAYER_MBCONV10_11 = 9,',
        '  LAYER_HEAD3 = 10,',
        '  LAYER_MBCONV12 = 11,',
        '  LAYER_MBCONV13 = 12,',
        '  LAYER_MBCONV14 = 13,',
        '  LAYER_HEAD4 = 14,',
        '  LAYER_OUTPUTS = 15,',
        '  LAYER_BOXES = 16,',
        '};',
        '#define M4SIM_LAYER_COUNT 16',
      ].join('\n'),
    );
    expect(qvga).toContain('#define M4SIM_ARENA_BYTES 121088u\n');
    expect(qvga).toContain(
      '#define M4SIM_ARENA_L9_RING 105600u /* L9 ring */\n#define M4SIM_ARENA_L9_RING_BYTES 15360u\n',
    );
    expect(qvga).toContain('#define M4SIM_MAX_BOXES 750u\n');
    const fast = renderLayersHeader(architectureNamed('rnnpool-face-fast'));
    expect(fast).toContain('#define M4SIM_ARENA_BYTES 107424u\n');
    // face_fast.c's L4 gap: M4SIM_ARENA_L3_OUT - M4SIM_ARENA_L4_OUT = 20,000 - 7,200 = 12,800.
    expect(fast).toContain('#define M4SIM_ARENA_L3_OUT 20000u');
    expect(fast).toContain('#define M4SIM_ARENA_L4_OUT 7200u');
    expect(renderLayersHeader(architectureNamed('rnnpool-face-m4'))).toContain('  LAYER_BOXES = 12,\n};');
  });

  it('one box decoder signature: (model, outputs, {threshold, maxBoxes}), capped at the firmware’s 750', () => {
    for (const n of NAMES) {
      const a = architectureNamed(n);
      const m = modelOf(n);
      const zeros = new Int16Array(m.outputs.count);
      // All-zero outputs score every prior exactly 0.5 and the default threshold keeps only scores above it.
      expect(a.boxes(m, zeros)).toEqual([]);
      // Threshold 0 keeps every prior (score 0.5 > 0) and zero loc decodes each to its prior. H1 of
      // face-M4 and face-2 has 1200 priors of 8 px at an 8 px step, which only touch (IoU 0), so NMS
      // keeps more than 750 and the firmware's cap applies however many are asked for.
      if (n !== 'rnnpool-face-fast') {
        expect(a.boxes(m, zeros, { threshold: 0, maxBoxes: 10_000 })).toHaveLength(750);
      }
      expect(a.boxes(m, zeros, { threshold: 0, maxBoxes: 5 })).toHaveLength(5);
      expect(() => a.boxes(m, new Int16Array(6))).toThrow(
        `${n} boxes: need ${m.outputs.count} outputs, got 6`,
      );
    }
  });
});

describe('no architecture fact is kept twice', () => {
  it('the old tables are gone', async () => {
    const format = await import('../src/model/format.js');
    for (const k of [
      'ARCHITECTURE_INFO',
      'ARCHITECTURES',
      'architectureRequirements',
      'architectureHeads',
      'architectureHeaders',
    ])
      expect(format).not.toHaveProperty(k);
    expect(await import('../src/detector/abi.js')).not.toHaveProperty('LAYER_NAMES');
    expect(await import('../src/profile/layers.js')).not.toHaveProperty('layerMacs');
    expect(await import('../src/reference/postprocess.js')).not.toHaveProperty('M4_HEADS');
    const refs = {
      ...(await import('../src/reference/face-m4.js')),
      ...(await import('../src/reference/face-qvga.js')),
      ...(await import('../src/reference/face-fast.js')),
    };
    const old = ['FACE_M4_LAYERS', 'FACE_QVGA_LAYERS', 'FACE_FAST_LAYERS', 'FACE_FAST_HEAD_LAYERS', 'faceM4Boxes',
      'faceQvgaBoxes', 'faceFastBoxes', 'FACE_M4_DEFAULT_OUTPUT_SHIFT', 'FACE_QVGA_OUTPUT_SHIFT', 'FACE_FAST_MAX_BOXES']; // prettier-ignore
    for (const k of old) expect(refs).not.toHaveProperty(k);
    for (const f of ['detector/architectures.ts', 'detector/memory-plan.ts'])
      expect(existsSync(join(root, 'src', f))).toBe(false);
  });

  it('the C pipelines take layer ids, arena offsets and sizes from m4sim_layers.h', () => {
    const app = join(root, 'firmware', 'app');
    for (const f of readdirSync(app).filter((x) => /^face_.*\.[ch]$/.test(x))) {
      const c = readFileSync(join(app, f), 'utf8');
      expect(c, f).not.toMatch(/\bLAYER_[A-Z0-9_]+\s*=[^=]/); // no enum of their own
      expect(c, f).not.toMatch(/#define\s+(OFF_|ARENA_USED|FACE_\w+_(ARENA_BYTES|MAX_BOXES))/);
      expect(c, f).not.toMatch(/arena \+ \d/); // no literal offset
      if (f.endsWith('.c')) expect(c, f).toContain('#include "m4sim_layers.h"');
    }
  });
});

const board = loadBoard('m4-256k');

describe.skipIf(!haveToolchain)('the arena plan against the real firmware', () => {
  it.each(NAMES)(
    '%s: arena_bytes and m4sim_input are the plan’s; every layer’s tensor lies in a live buffer',
    (n) => {
      const report = detect({ board, modelPath: MODELS[n], reference: referenceRunner });
      const a = architectureOf(report.modelSpec);
      const run = report.run;
      expect(report.match).toBe(true);
      expect(run.block.arenaBytes).toBe(EXPECTED[n].arenaBytes);
      expect(run.arena.length).toBe(EXPECTED[n].arenaBytes); // sizeof m4sim_input, from the ELF symbol
      expect(run.layers.map((l) => l.name)).toEqual(EXPECTED[n].layers.map((l) => l.name));
      for (const l of a.layers) {
        const i = l.id - 1;
        const live = liveBuffers(a, l.id);
        const inLive = (address: number, bytes: number) => {
          const start = address - run.arenaAddress;
          return live.some((b) => b.start <= start && start + bytes <= b.end);
        };
        if (run.block.tensorBytes[i])
          expect(inLive(run.block.tensorAddress[i]!, run.block.tensorBytes[i]!), l.name).toBe(true);
        if (run.block.tensor2Bytes[i])
          expect(inLive(run.block.tensor2Address[i]!, run.block.tensor2Bytes[i]!), l.name).toBe(true);
      }
      // The reference's layers have the descriptor's shapes and types.
      const m = report.modelSpec;
      expect(
        (report.reference!.layers as LayerResult[]).map((l) => [l.id, l.name, l.dtype, l.shape]),
      ).toEqual(a.layers.slice(0, -1).map((l) => [l.id, l.name, l.dtype, l.shape(m)]));
      // The layer profile takes MACs and live bytes from the descriptor.
      const profile = layerProfile(report).layers;
      expect(profile.map((l) => [l.id, l.macs, l.liveArenaBytes])).toEqual(
        EXPECTED[n].layers.map((l) => [l.id, l.macs, l.liveBytes]),
      );
    },
  );
});

describe.skipIf(!haveToolchain)('m4sim report on face-2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'm4sim-arch-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the layer table has face-2’s layers, MACs and buffers, not face-M4’s', () => {
    const html = join(tmp, 'face2.html');
    const r = cli(['report', '--model', MODELS['rnnpool-face-qvga'], '--html', html, '--no-reference']);
    expect(r.status).toBe(0);
    const text = readFileSync(html, 'utf8');
    const table = text.slice(
      text.indexOf('id="layer-table"'),
      text.indexOf('</table>', text.indexOf('id="layer-table"')),
    );
    const rows = [
      ...table.matchAll(
        /<tr><td>([^<]+)<\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>([^<]+)<\/td>.*?<td>([^<]+)<\/td><td class="l">([^<]*)<\/td><\/tr>/g,
      ),
    ].map((m) => [m[1], m[2], m[3], m[4]]);
    const num = (v: number) => v.toLocaleString('en-US');
    expect(rows).toEqual(
      QVGA.layers.map((l) => [
        l.name,
        num(l.macs),
        num(l.liveBytes),
        l.live
          .map((id) => architectureNamed('rnnpool-face-qvga').arena.buffers.find((b) => b.id === id)!.name)
          .join(', '),
      ]),
    );
    // head1 of face-2: 2,764,800 MACs and its own ring (face-M4's layer 4 would have read 5,606,400 and
    // "L2 ring, L2 dw, L2 row").
    const head1 = rows.find((row) => row[0] === 'head1')!;
    expect(head1.slice(0, 3)).toEqual(['head1', '2,764,800', '98,880']);
    expect(head1[3]).toContain('H1 ring');
    expect(table).not.toContain('L2 ring');
  });
});
