/*
 * RNNPool face-3 ("fast") on a Cortex-M4: the stage list of EdgeML's quantized_face_detection_fast.c
 * (conv 3x3 -> RNNPool 16x16/8 -> 4 MBConv -> 3 detection heads, 900 priors, 5400 outputs), run with
 * our kernels in one static arena. TS twin: src/reference/face-fast.ts (same stages, same layer ids,
 * same checksums).
 *
 * Memory plan (byte offsets into the arena; every buffer is dead before it is reused):
 *   image int8 240x320           [0, 76800)        conv in
 *   conv out int8 120x160x4      [76800, 153600)   RNNPool in
 *   RNNPool out int8 15x20x64    [0, 19200)        (over the image) L1 in
 *   RNNPool scratch              [19200, 19840)    patch output 64 Q15 + RNN1 row/column buffer 256 Q15
 *   outputs int16 5400           [0, 10800)        written by the heads from H1 on
 *   L1 out int16 15x20x32        [68400, 87600), ring [87600, 102960), dw [102960, 103216)
 *   H1 ring                      [10800, 14640)
 *   L2 out int16 15x20x96        [10800, 68400), ring [87600, 95280), dw [95280, 95408)
 *   H2 ring                      [68400, 79920)
 *   L3 out int16 15x20x96        [68400, 126000), ring [126000, 149040), dw [149040, 149424);
 *                                the residual sum goes back over L3's output
 *   L4 out int16 15x20x128       [55600, 132400): starts 12,800 bytes below its input (the L3 sum at
 *                                68400) and runs over it; the kernel reads an input row only while
 *                                expanding it, before any output row that could reach it is written
 *                                (m4_mbconv_q7w_inplace_gap, checked at run time); ring [10800, 33840),
 *                                dw [33840, 34224)
 *   H3 ring                      [10800, 26160)
 *   post-processing scratch      [26160, 29760), boxes [29760, 38760)
 * Peak: 153,600 bytes (the frame and the conv output; L3 needs 149,424). EdgeML's own buffer: 165,840.
 */
#include <stdint.h>
#include <string.h>

#include "layer_markers.h"
#include "conv.h"
#include "face_fast.h"
#include "heads.h"
#include "mbconv.h"
#include "mbconv_fast.h"
#include "model.h"
#include "model_params.h"
#include "postprocess.h"
#include "rnnpool.h"

#define OFF_CONV 76800u
#define OFF_RNN_SCRATCH 19200u
#define OFF_L1_OUT 68400u
#define OFF_L2_OUT 10800u
#define OFF_L3_OUT 68400u
#define L4_GAP 12800u
#define OFF_L4_OUT (OFF_L3_OUT - L4_GAP)
#define OFF_L4_RING 10800u
#define OFF_HEAD_RING 10800u
#define OFF_PP_SCRATCH 26160u
#define OFF_BOXES 29760u
#define ARENA_USED 153600u


enum {
  LAYER_CONV = 1,
  LAYER_RNNPOOL,
  LAYER_MBCONV1,
  LAYER_HEAD1,
  LAYER_MBCONV2,
  LAYER_HEAD2,
  LAYER_MBCONV3,
  LAYER_MBCONV4,
  LAYER_HEAD3,
  LAYER_OUTPUTS,
  LAYER_BOXES,
};

_Static_assert(FACE_FAST_ARENA_BYTES >= ARENA_USED, "arena smaller than the memory plan");
_Static_assert(M4SIM_MODEL_HEADS == 3, "the fast pipeline has 3 heads");
_Static_assert(CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT <= ARENA_USED - OFF_CONV, "conv output");
_Static_assert(L1_H * L1_W * L1_CIN <= OFF_RNN_SCRATCH, "RNNPool output");
_Static_assert(OFF_RNN_SCRATCH + 2 * (4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM) <= OFF_CONV, "RNNPool scratch");
_Static_assert(M4SIM_MODEL_OUTPUTS * 2 <= OFF_L2_OUT, "outputs");
_Static_assert(L4_HOUT * L4_WOUT * L4_COUT * 2 + OFF_L4_OUT <= ARENA_USED, "L4 output");
_Static_assert(OFF_L4_RING + 2 * (3 * L4_W * L4_CTEMP + L4_CTEMP) <= OFF_L4_OUT, "L4 ring");
_Static_assert(OFF_BOXES + FACE_FAST_MAX_BOXES * sizeof(pp_box) <= OFF_L4_OUT, "boxes");


/* MBConv L with Q7 weights (m4_mbconv_q7w_params, EdgeML q15xq7_q15_mbconv_block). */
#define MBCONV_Q7W(L)                                                                                       \
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

__attribute__((section(".noinit"), aligned(8))) uint8_t m4sim_input[FACE_FAST_ARENA_BYTES];

int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out) {
  return face_fast_run(m4sim_input, stop_after, threshold_q15, max_boxes, out);
}

int face_fast_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                  m4sim_output_t *out) {
  int8_t *image = (int8_t *)arena;
  int8_t *conv_out = (int8_t *)(arena + OFF_CONV);
  int16_t *outputs = (int16_t *)arena;
  m4_mbconv_params p;
  m4_mbconv_q7w_params q;
  m4_head_params h;

  memset(out, 0, sizeof *out);
  out->magic = M4SIM_OUTPUT_MAGIC;
  out->version = 1;
  out->arena_bytes = ARENA_USED;

  /* 1. conv 3x3 stride 2 + bias + per-channel scale + ReLU, fused. */
  m4sim_layer_begin(LAYER_CONV);
  m4_conv2d_cbr_params cbr = {
      .conv = {.H = CBR1F_H, .W = CBR1F_W, .CIn = CBR1F_CIN, .HF = CBR1F_HF, .WF = CBR1F_WF, .CF = CBR1F_CF,
               .COut = CONV2D_COUT, .G = CBR1F_G, .HPadU = CBR1F_HPADL, .HPadD = CBR1F_HPADR,
               .WPadL = CBR1F_WPADL, .WPadR = CBR1F_WPADR, .HStride = CBR1F_HSTRIDE, .WStride = CBR1F_WSTRIDE,
               .HDilation = CBR1F_HDILATION, .WDilation = CBR1F_WDILATION, .scinput = CBR1F_Scinput,
               .scoutput = CBR1F_Scoutput, .demote = CBR1F_Demote},
      .filter = CBR1F,
      .bias = CBR1B,
      .bias_scten = CBR1B_Scten,
      .bias_scvec = CBR1B_Scvec,
      .bias_scret = CBR1B_Scret,
      .scale = CBR1W,
      .scale_scinput = CBR1W_Scinput,
      .scale_scoutput = CBR1W_Scoutput,
      .scale_demote = CBR1W_Demote,
      .limit = CONV2D_Limit,
      .div = CONV2D_Div,
  };
  m4_conv2d_cbr(image, conv_out, &cbr);
  if (m4sim_layer_end(out, stop_after, LAYER_CONV, conv_out, CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT, 0, 0)) return 0;

  /* 2. RNNPool: 16x16 patches at stride 8 -> 14x19x64, stored as Q7, then replicate-padded to 15x20. */
  m4sim_layer_begin(LAYER_RNNPOOL);
  enum { STRIDE = PATCH_DIM / 2, PR = (CONV2D_HOUT - PATCH_DIM) / STRIDE + 1 };
  enum { PC = (CONV2D_WOUT - PATCH_DIM) / STRIDE + 1, OC = 4 * HIDDEN_DIM2 };
  _Static_assert(PR + 1 == L1_H && PC + 1 == L1_W && OC == L1_CIN, "RNNPool grid vs L1");
  int8_t *pooled = (int8_t *)arena;
  Q15_T *patch_out = (Q15_T *)(arena + OFF_RNN_SCRATCH);
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
  int16_t *x1 = (int16_t *)(arena + OFF_L1_OUT);
  M4SIM_MBCONV_PARAMS(p, L1);
  m4_mbconv_q7xq15_q15(pooled, x1, (int16_t *)(arena + 87600), (int16_t *)(arena + 102960), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV1, x1, L1_HOUT * L1_WOUT * L1_COUT * 2, 0, 0)) return 0;

  /* 4. Head 1 on L1: L2 norm, conf 4 -> 2, loc 4. */
  m4sim_layer_begin(LAYER_HEAD1);
  HEAD(D1, L1);
  int16_t *c1 = outputs + M4SIM_HEAD1_CONF_OFFSET, *o1 = outputs + M4SIM_HEAD1_LOC_OFFSET;
  m4_detection_head(x1, c1, o1, (int16_t *)(arena + OFF_HEAD_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD1, c1, M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS * 2 * 2, o1,
          M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS * 4 * 2))
    return 0;

  /* 5. MBConv L2 (Q15, int64 sums), no residual. */
  m4sim_layer_begin(LAYER_MBCONV2);
  int16_t *x2 = (int16_t *)(arena + OFF_L2_OUT);
  M4SIM_MBCONV_PARAMS(p, L2);
  m4_mbconv_q15(x1, x2, (int16_t *)(arena + 87600), (int16_t *)(arena + 95280), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV2, x2, L2_HOUT * L2_WOUT * L2_COUT * 2, 0, 0)) return 0;

  /* 6. Head 2 on L2. */
  m4sim_layer_begin(LAYER_HEAD2);
  HEAD(D2, L2);
  int16_t *c2 = outputs + M4SIM_HEAD2_CONF_OFFSET, *o2 = outputs + M4SIM_HEAD2_LOC_OFFSET;
  m4_detection_head(x2, c2, o2, (int16_t *)(arena + 68400), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD2, c2, M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS * 2 * 2, o2,
          M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS * 4 * 2))
    return 0;

  /* 7. MBConv L3 (Q7 weights) + residual: sum = L2 out / (Scten1 Scret) + L3 out / (Scten2 Scret). */
  m4sim_layer_begin(LAYER_MBCONV3);
  int16_t *x3 = (int16_t *)(arena + OFF_L3_OUT);
  MBCONV_Q7W(L3);
  m4_mbconv_q15xq7_q15(x2, x3, (int16_t *)(arena + 126000), (int16_t *)(arena + 149040), &q);
  m4_residual_add_q15(x2, x3, L3_HOUT * L3_WOUT * L3_COUT, x3, L3_Scten1, L3_Scten2, L3_Scret);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV3, x3, L3_HOUT * L3_WOUT * L3_COUT * 2, 0, 0)) return 0;

  /* 8. MBConv L4 (Q7 weights), its output running over its input (see the memory plan). */
  m4sim_layer_begin(LAYER_MBCONV4);
  int16_t *x4 = (int16_t *)(arena + OFF_L4_OUT);
  MBCONV_Q7W(L4);
  if (m4_mbconv_q7w_inplace_gap(&q) > L4_GAP) return 3; /* the plan does not fit this model */
  m4_mbconv_q15xq7_q15(x3, x4, (int16_t *)(arena + OFF_L4_RING), (int16_t *)(arena + 33840), &q);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV4, x4, L4_HOUT * L4_WOUT * L4_COUT * 2, 0, 0)) return 0;

  /* 9. Head 3 on L4. */
  m4sim_layer_begin(LAYER_HEAD3);
  HEAD(D3, L4);
  int16_t *c3 = outputs + M4SIM_HEAD3_CONF_OFFSET, *o3 = outputs + M4SIM_HEAD3_LOC_OFFSET;
  m4_detection_head(x4, c3, o3, (int16_t *)(arena + OFF_HEAD_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD3, c3, M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS * 2 * 2, o3,
          M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS * 4 * 2))
    return 0;

  /* 10. Output scales per head (C division; EdgeML's fast pipeline halves H2 conf and H3 loc). */
  m4sim_layer_begin(LAYER_OUTPUTS);
  static const struct {
    uint32_t conf_offset, loc_offset, cells;
    int32_t conf_scale, loc_scale;
  } heads[3] = {
      {M4SIM_HEAD1_CONF_OFFSET, M4SIM_HEAD1_LOC_OFFSET, M4SIM_HEAD1_ROWS * M4SIM_HEAD1_COLS,
       M4SIM_HEAD1_CONF_SCALE, M4SIM_HEAD1_LOC_SCALE},
      {M4SIM_HEAD2_CONF_OFFSET, M4SIM_HEAD2_LOC_OFFSET, M4SIM_HEAD2_ROWS * M4SIM_HEAD2_COLS,
       M4SIM_HEAD2_CONF_SCALE, M4SIM_HEAD2_LOC_SCALE},
      {M4SIM_HEAD3_CONF_OFFSET, M4SIM_HEAD3_LOC_OFFSET, M4SIM_HEAD3_ROWS * M4SIM_HEAD3_COLS,
       M4SIM_HEAD3_CONF_SCALE, M4SIM_HEAD3_LOC_SCALE},
  };
  for (uint32_t k = 0; k < 3; k++) {
    if (heads[k].conf_scale != 1)
      for (uint32_t i = 0; i < 2 * heads[k].cells; i++)
        outputs[heads[k].conf_offset + i] = (int16_t)(outputs[heads[k].conf_offset + i] / heads[k].conf_scale);
    if (heads[k].loc_scale != 1)
      for (uint32_t i = 0; i < 4 * heads[k].cells; i++)
        outputs[heads[k].loc_offset + i] = (int16_t)(outputs[heads[k].loc_offset + i] / heads[k].loc_scale);
  }
  out->raw_address = (uint32_t)(uintptr_t)outputs;
  out->raw_count = M4SIM_MODEL_OUTPUTS;
  if (m4sim_layer_end(out, stop_after, LAYER_OUTPUTS, outputs, M4SIM_MODEL_OUTPUTS * 2, 0, 0)) return 0;

  /* 11. Boxes: priors, decode, score threshold, NMS (firmware/kernels/postprocess.c). */
  m4sim_layer_begin(LAYER_BOXES);
  pp_box *boxes = (pp_box *)(arena + OFF_BOXES);
  uint32_t n = m4sim_detect_boxes(outputs, (uint32_t *)(arena + OFF_PP_SCRATCH), boxes, threshold_q15, max_boxes,
                                  FACE_FAST_MAX_BOXES);
  out->box_address = (uint32_t)(uintptr_t)boxes;
  out->box_count = n;
  m4sim_layer_end(out, stop_after, LAYER_BOXES, boxes, n * (uint32_t)sizeof(pp_box), 0, 0);
  return 0;
}
