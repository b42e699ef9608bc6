/*
 * RNNPool face-3 ("fast") on a Cortex-M4: the stage list of EdgeML's quantized_face_detection_fast.c
 * (conv 3x3 -> RNNPool 16x16/8 -> 4 MBConv -> 3 detection heads, 900 priors, 5400 outputs), run with
 * our kernels in one static arena. TS twin: src/reference/face-fast.ts (same stages, same layer ids,
 * same checksums).
 *
 * Memory plan: src/architectures/face-fast.ts, generated into m4sim_layers.h (M4SIM_ARENA_<buffer>:
 * offset, _BYTES: size; the layer ids LAYER_<NAME>). Every buffer is dead before it is reused; the
 * checks below hold the model's shapes to the buffers. As face_m4.c: the frame is streamed (the conv
 * asks the camera, camera.h, for the rows each output row reads) and the heads' outputs stay where
 * each head wrote them (H<n>_OUT: conf, then loc) until the outputs layer gathers them in the ABI
 * order (gather.h). L3 and its residual run in place over L2's output, pixel by pixel
 * (m4_mbconv7_q15xq7_q15_residual_inplace, mbconv_q7.h: the same arithmetic as m4_mbconv_q15xq7_q15
 * of mbconv_fast.h, see MBConv L3 below). L4's output starts below its input (the L3 sum) and runs
 * over it: the kernel reads an input row only while expanding it, before any output row that could
 * reach it is written (m4_mbconv_q7w_inplace_gap, checked at run time against the gap between the two
 * buffers).
 */
#include <stdint.h>
#include <string.h>

#include "layer_markers.h"
#include "m4sim_layers.h"
#include "camera.h"
#include "face_fast.h"
#include "front_end_stream.h"
#include "gather.h"
#include "heads.h"
#include "mbconv.h"
#include "mbconv_fast.h"
#include "mbconv_q7.h"
#include "model.h"
#include "model_params.h"
#include "postprocess.h"
#include "rnnpool.h"

/* The gap L4's output starts below its input at. */
#define L4_GAP (M4SIM_ARENA_L3_OUT - M4SIM_ARENA_L4_OUT)

/* The plan's buffers hold the model's tensors (sizes from the model's shapes). */
#define RING_BYTES(L) (L##_HF * L##_W * L##_CTEMP * 2)
#define TENSOR_BYTES(L) (L##_HOUT * L##_WOUT * L##_COUT * 2)
#define HEAD_RING_BYTES(D, L) (D##CW_HF * L##_WOUT * L##_COUT * 2)
_Static_assert(M4SIM_MODEL_HEADS == 3, "the fast pipeline has 3 heads");
_Static_assert(RNNPOOL_FACE_WINDOW_BYTES <= M4SIM_ARENA_IMAGE_ROWS_BYTES, "image rows");
_Static_assert(CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT <= M4SIM_ARENA_CONV_OUT_BYTES, "conv output");
_Static_assert(L1_H * L1_W * L1_CIN <= M4SIM_ARENA_POOLED_BYTES, "RNNPool output");
_Static_assert(2 * (4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM) <= M4SIM_ARENA_RNN_SCRATCH_BYTES, "RNNPool scratch");
_Static_assert(M4SIM_MODEL_OUTPUTS * 2 <= M4SIM_ARENA_OUTPUTS_BYTES, "outputs");
#define HEAD_OUT_BYTES(D, N) GATHER_HEAD_OUT_BYTES(M4SIM_HEAD##N##_ROWS * M4SIM_HEAD##N##_COLS, D)
_Static_assert(HEAD_OUT_BYTES(D1, 1) == M4SIM_ARENA_H1_OUT_BYTES && HEAD_OUT_BYTES(D2, 2) == M4SIM_ARENA_H2_OUT_BYTES &&
                   HEAD_OUT_BYTES(D3, 3) == M4SIM_ARENA_H3_OUT_BYTES,
               "head outputs");
_Static_assert(TENSOR_BYTES(L1) <= M4SIM_ARENA_L1_OUT_BYTES && RING_BYTES(L1) <= M4SIM_ARENA_L1_RING_BYTES &&
                   L1_CTEMP * 2 <= M4SIM_ARENA_L1_DW_BYTES, "L1");
_Static_assert(TENSOR_BYTES(L2) <= M4SIM_ARENA_L2_OUT_BYTES && RING_BYTES(L2) <= M4SIM_ARENA_L2_RING_BYTES &&
                   L2_CTEMP * 2 <= M4SIM_ARENA_L2_DW_BYTES, "L2");
_Static_assert(TENSOR_BYTES(L3) <= M4SIM_ARENA_L3_OUT_BYTES && RING_BYTES(L3) <= M4SIM_ARENA_L3_RING_BYTES &&
                   L3_CTEMP * 2 <= M4SIM_ARENA_L3_DW_BYTES && L3_COUT * 2 <= M4SIM_ARENA_L3_ROW_BYTES, "L3");
/* L3 runs in place (m4_mbconv7_q15xq7_q15_residual_inplace): stride 1, same padding, CIn == COut. */
_Static_assert(M4SIM_ARENA_L3_OUT == M4SIM_ARENA_L2_OUT && L3_HSTRIDE == 1 && L3_WSTRIDE == 1 && L3_CIN == L3_COUT &&
                   L3_HPADL == (L3_HF - 1) / 2 && L3_HPADR == L3_HF / 2 && L3_WPADL == (L3_WF - 1) / 2 &&
                   L3_WPADR == L3_WF / 2,
               "L3 cannot run in place");
_Static_assert(TENSOR_BYTES(L4) <= M4SIM_ARENA_L4_OUT_BYTES && RING_BYTES(L4) <= M4SIM_ARENA_L4_RING_BYTES &&
                   L4_CTEMP * 2 <= M4SIM_ARENA_L4_DW_BYTES, "L4");
_Static_assert(HEAD_RING_BYTES(D1, L1) <= M4SIM_ARENA_H1_RING_BYTES, "H1 ring");
_Static_assert(HEAD_RING_BYTES(D2, L2) <= M4SIM_ARENA_H2_RING_BYTES, "H2 ring");
_Static_assert(HEAD_RING_BYTES(D3, L4) <= M4SIM_ARENA_H3_RING_BYTES, "H3 ring");
_Static_assert(M4SIM_MODEL_OUTPUTS / 6 * 4 <= M4SIM_ARENA_PP_SCRATCH_BYTES, "post-processing scratch");
_Static_assert(M4SIM_MAX_BOXES * sizeof(pp_box) <= M4SIM_ARENA_BOXES_BYTES, "boxes");


/*
 * MBConv L with Q7 weights (EdgeML q15xq7_q15_mbconv_block) into q: an m4_mbconv_q7w_params
 * (mbconv_fast.h) or an m4_mbconv7_params (mbconv_q7.h), whose fields of the same names mean the same.
 */
#define MBCONV_Q7W(q, L)                                                                                    \
  do {                                                                                                     \
    memset(&q, 0, sizeof q);                                                                               \
    q.H = L##_H, q.W = L##_W, q.CIn = L##_CIN, q.CTemp = L##_CTEMP, q.COut = L##_COUT, q.HF = L##_HF;      \
    q.WF = L##_WF, q.HPadU = L##_HPADL, q.HPadD = L##_HPADR, q.WPadL = L##_WPADL, q.WPadR = L##_WPADR;     \
    q.HStride = L##_HSTRIDE, q.WStride = L##_WSTRIDE;                                                      \
    q.F1 = L##_F1, q.W1 = L##_W1, q.B1 = L##_B1, q.F2 = L##_F2, q.W2 = L##_W2, q.B2 = L##_B2;             \
    q.F3 = L##_F3, q.W3 = L##_W3, q.B3 = L##_B3;                                                           \
    q.limit1 = L##_Limit1, q.limit2 = L##_Limit2;                                                          \
    q.shrU1 = L##_ShRU1, q.shrX1 = L##_ShRX1, q.shrU2 = L##_ShRU2, q.shrX2 = L##_ShRX2;                    \
    q.shrU3 = L##_ShRU3, q.shrW3 = L##_ShRW3;                                                              \
    q.shlU1 = L##_ShLU1, q.shlX1 = L##_ShLX1, q.shlU2 = L##_ShLU2, q.shlX2 = L##_ShLX2;                    \
    q.shlU3 = L##_ShLU3, q.shlW3 = L##_ShLW3;                                                              \
  } while (0)

#define HEAD_CONV(K, B)                                                                                     \
  ((m4_head_conv){.w = K, .cout = K##_COUT, .scinput = K##_Scinput, .scoutput = K##_Scoutput,              \
                  .demote = K##_Demote, .b = B, .scten = B##_Scten, .scvec = B##_Scvec, .scret = B##_Scret})

/* Detection head D (detection<n>.h) with L2 norm and per-channel weight on MBConv L's output. */
#define HEAD(D, L)                                                                                          \
  do {                                                                                                     \
    memset(&h, 0, sizeof h);                                                                               \
    h.H = L##_HOUT, h.W = L##_WOUT, h.C = L##_COUT, h.HF = D##CW_HF, h.WF = D##CW_WF;                      \
    h.conf = HEAD_CONV(D##CW, D##CB);                                                                      \
    h.loc = HEAD_CONV(D##LW, D##LB);                                                                       \
    h.l2norm = 1, h.l2_scale_in = D##_ScaleIn, h.l2_scale_out = D##_ScaleOut, h.norm_w = D##NW;            \
    h.norm_scinput = D##NW_Scinput, h.norm_scoutput = D##NW_Scoutput, h.norm_demote = D##NW_Demote;        \
  } while (0)

/* The arena, named as the ABI names it (m4sim_abi.h); no frame is written here: the conv streams it. */
__attribute__((section(".noinit"), aligned(8))) uint8_t m4sim_input[M4SIM_ARENA_BYTES];

int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out) {
  return face_fast_run(m4sim_input, stop_after, threshold_q15, max_boxes, out);
}

int face_fast_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                  m4sim_output_t *out) {
  int8_t *conv_out = (int8_t *)(arena + M4SIM_ARENA_CONV_OUT);
  int16_t *outputs = (int16_t *)(arena + M4SIM_ARENA_OUTPUTS);
  m4_mbconv_params p;
  m4_mbconv_q7w_params q;
  m4_head_params h;

  memset(out, 0, sizeof *out);
  out->magic = M4SIM_OUTPUT_MAGIC;
  out->version = 1;
  out->arena_bytes = M4SIM_ARENA_BYTES;

  /* 1. conv 3x3 stride 2 + bias + per-channel scale + ReLU, fused, the image rows from the camera. */
  m4sim_layer_begin(LAYER_CONV);
  if (rnnpool_face_conv_streamed((int8_t *)(arena + M4SIM_ARENA_IMAGE_ROWS), conv_out)) return M4SIM_EXIT_CAMERA;
  if (m4sim_layer_end(out, stop_after, LAYER_CONV, conv_out, CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT, 0, 0)) return 0;

  /* 2. RNNPool: 16x16 patches at stride 8 -> 14x19x64, stored as Q7, then replicate-padded to 15x20. */
  m4sim_layer_begin(LAYER_RNNPOOL);
  enum { STRIDE = PATCH_DIM / 2, PR = (CONV2D_HOUT - PATCH_DIM) / STRIDE + 1 };
  enum { PC = (CONV2D_WOUT - PATCH_DIM) / STRIDE + 1, OC = 4 * HIDDEN_DIM2 };
  _Static_assert(PR + 1 == L1_H && PC + 1 == L1_W && OC == L1_CIN, "RNNPool grid vs L1");
  int8_t *pooled = (int8_t *)(arena + M4SIM_ARENA_POOLED);
  Q15_T *patch_out = (Q15_T *)(arena + M4SIM_ARENA_RNN_SCRATCH);
  Q15_T *patch_buf = patch_out + OC;
  for (uint32_t px = 0; px < PR; px++) {
    for (uint32_t py = 0; py < PC; py++) {
      const int8_t *patch = conv_out + (px * STRIDE * CONV2D_WOUT + py * STRIDE) * INPUT_CHANNELS;
      q7xq15_q15_rnnpool_block(patch, INPUT_CHANNELS, PATCH_DIM, CONV2D_WOUT, q7xq15_q15_fastgrnn, HIDDEN_DIM1,
                               &RNN1_PARAMS, &RNN1_BUFFERS, &RNN1_SCALES, q15_fastgrnn, HIDDEN_DIM2,
                               &RNN2_PARAMS, &RNN2_BUFFERS, &RNN2_SCALES, patch_out, patch_buf, ShR1, ShL1,
                               ShR2, ShL2);
      int8_t *dst = pooled + (px * (PC + 1) + py) * OC;
      for (uint32_t i = 0; i < OC; i++) dst[i] = (int8_t)patch_out[i];
    }
  }
  const uint32_t row = (PC + 1) * OC;
  memcpy(pooled + PR * row, pooled + (PR - 1) * row, PC * OC);
  for (uint32_t r = 0; r <= PR; r++) memcpy(pooled + r * row + PC * OC, pooled + r * row + (PC - 1) * OC, OC);
  if (m4sim_layer_end(out, stop_after, LAYER_RNNPOOL, pooled, L1_H * L1_W * L1_CIN, 0, 0)) return 0;

  /* 3. MBConv L1 (Q7 in, Q15 weights). */
  m4sim_layer_begin(LAYER_MBCONV1);
  int16_t *x1 = (int16_t *)(arena + M4SIM_ARENA_L1_OUT);
  M4SIM_MBCONV_PARAMS(p, L1);
  m4_mbconv_q7xq15_q15(pooled, x1, (int16_t *)(arena + M4SIM_ARENA_L1_RING), (int16_t *)(arena + M4SIM_ARENA_L1_DW), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV1, x1, L1_HOUT * L1_WOUT * L1_COUT * 2, 0, 0)) return 0;

  /* 4. Head 1 on L1: L2 norm, conf 4 -> 2, loc 4. */
  m4sim_layer_begin(LAYER_HEAD1);
  HEAD(D1, L1);
  int16_t *c1 = (int16_t *)(arena + M4SIM_ARENA_H1_OUT), *o1 = c1 + 2 * M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS;
  m4_detection_head(x1, c1, o1, (int16_t *)(arena + M4SIM_ARENA_H1_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD1, c1, M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS * 2 * 2, o1,
          M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS * 4 * 2))
    return 0;

  /* 5. MBConv L2 (Q15, int64 sums), no residual. */
  m4sim_layer_begin(LAYER_MBCONV2);
  int16_t *x2 = (int16_t *)(arena + M4SIM_ARENA_L2_OUT);
  M4SIM_MBCONV_PARAMS(p, L2);
  m4_mbconv_q15(x1, x2, (int16_t *)(arena + M4SIM_ARENA_L2_RING), (int16_t *)(arena + M4SIM_ARENA_L2_DW), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV2, x2, L2_HOUT * L2_WOUT * L2_COUT * 2, 0, 0)) return 0;

  /* 6. Head 2 on L2. */
  m4sim_layer_begin(LAYER_HEAD2);
  HEAD(D2, L2);
  int16_t *c2 = (int16_t *)(arena + M4SIM_ARENA_H2_OUT), *o2 = c2 + 2 * M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS;
  m4_detection_head(x2, c2, o2, (int16_t *)(arena + M4SIM_ARENA_H2_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD2, c2, M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS * 2 * 2, o2,
          M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS * 4 * 2))
    return 0;

  /*
   * 7. MBConv L3 (Q7 weights) + residual: sum = L2 out / (Scten1 Scret) + L3 out / (Scten2 Scret), in
   * place over L2's output. m4_mbconv7_q15xq7_q15 (mbconv_q7.c) and m4_mbconv_q15xq7_q15
   * (mbconv_fast.c) are both EdgeML's q15xq7_q15_mbconv_block: the same int32 sums in the same order,
   * the same bn/clamp/scale per stage, the same narrowing; the in-place form's residual is
   * m4_residual_add_q15's expression per element (mbconv_q7.h).
   */
  m4sim_layer_begin(LAYER_MBCONV3);
  int16_t *x3 = (int16_t *)(arena + M4SIM_ARENA_L3_OUT);
  m4_mbconv7_params r;
  MBCONV_Q7W(r, L3);
  if (m4_mbconv7_q15xq7_q15_residual_inplace(x3, (int16_t *)(arena + M4SIM_ARENA_L3_RING),
                                             (int16_t *)(arena + M4SIM_ARENA_L3_DW),
                                             (int16_t *)(arena + M4SIM_ARENA_L3_ROW), &r, L3_Scten1, L3_Scten2,
                                             L3_Scret))
    return -1;
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV3, x3, L3_HOUT * L3_WOUT * L3_COUT * 2, 0, 0)) return 0;

  /* 8. MBConv L4 (Q7 weights), its output running over its input (see the memory plan). */
  m4sim_layer_begin(LAYER_MBCONV4);
  int16_t *x4 = (int16_t *)(arena + M4SIM_ARENA_L4_OUT);
  MBCONV_Q7W(q, L4);
  if (m4_mbconv_q7w_inplace_gap(&q) > L4_GAP) return 3; /* the plan does not fit this model */
  m4_mbconv_q15xq7_q15(x3, x4, (int16_t *)(arena + M4SIM_ARENA_L4_RING), (int16_t *)(arena + M4SIM_ARENA_L4_DW), &q);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV4, x4, L4_HOUT * L4_WOUT * L4_COUT * 2, 0, 0)) return 0;

  /* 9. Head 3 on L4. */
  m4sim_layer_begin(LAYER_HEAD3);
  HEAD(D3, L4);
  int16_t *c3 = (int16_t *)(arena + M4SIM_ARENA_H3_OUT), *o3 = c3 + 2 * M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS;
  m4_detection_head(x4, c3, o3, (int16_t *)(arena + M4SIM_ARENA_H3_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD3, c3, M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS * 2 * 2, o3,
          M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS * 4 * 2))
    return 0;

  /*
   * 10. The heads' outputs gathered in the ABI order (conf H1..H3, then loc H1..H3), each divided by
   * its head's output scale on the way (C division; EdgeML's fast pipeline halves H2 conf and H3 loc).
   */
  m4sim_layer_begin(LAYER_OUTPUTS);
  gather_scaled(outputs + M4SIM_HEAD1_CONF_OFFSET, c1, 2 * M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS, M4SIM_HEAD1_CONF_SCALE);
  gather_scaled(outputs + M4SIM_HEAD2_CONF_OFFSET, c2, 2 * M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS, M4SIM_HEAD2_CONF_SCALE);
  gather_scaled(outputs + M4SIM_HEAD3_CONF_OFFSET, c3, 2 * M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS, M4SIM_HEAD3_CONF_SCALE);
  gather_scaled(outputs + M4SIM_HEAD1_LOC_OFFSET, o1, 4 * M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS, M4SIM_HEAD1_LOC_SCALE);
  gather_scaled(outputs + M4SIM_HEAD2_LOC_OFFSET, o2, 4 * M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS, M4SIM_HEAD2_LOC_SCALE);
  gather_scaled(outputs + M4SIM_HEAD3_LOC_OFFSET, o3, 4 * M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS, M4SIM_HEAD3_LOC_SCALE);
  out->raw_address = (uint32_t)(uintptr_t)outputs;
  out->raw_count = M4SIM_MODEL_OUTPUTS;
  if (m4sim_layer_end(out, stop_after, LAYER_OUTPUTS, outputs, M4SIM_MODEL_OUTPUTS * 2, 0, 0)) return 0;

  /* 11. Boxes: priors, decode, score threshold, NMS (firmware/kernels/postprocess.c). */
  m4sim_layer_begin(LAYER_BOXES);
  pp_box *boxes = (pp_box *)(arena + M4SIM_ARENA_BOXES);
  uint32_t n = m4sim_detect_boxes(outputs, (uint32_t *)(arena + M4SIM_ARENA_PP_SCRATCH), boxes, threshold_q15, max_boxes,
                                  M4SIM_MAX_BOXES);
  out->box_address = (uint32_t)(uintptr_t)boxes;
  out->box_count = n;
  m4sim_layer_end(out, stop_after, LAYER_BOXES, boxes, n * (uint32_t)sizeof(pp_box), 0, 0);
  return 0;
}
