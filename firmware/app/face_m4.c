/*
 * RNNPool-Face-M4 on a Cortex-M4: the stage list of EdgeML's quantized_face_detection_sparse.c
 * (conv 3x3 -> RNNPool -> 4 MBConv -> 4 detection heads), run with our kernels in one static arena.
 * TS twin: src/reference/face-m4.ts (same stages, same layer ids, same checksums).
 *
 * Memory plan (byte offsets into the arena; every buffer is dead before it is reused):
 *   image int8 240x320           [0, 76800)        conv in
 *   conv out int8 120x160x4      [76800, 153600)   RNNPool in
 *   RNNPool out int8 30x40x64    [0, 76800)        (over the image) L1 in
 *   RNNPool scratch              [153600, 153984)
 *   L1 out int16 30x40x32        [76800, 153600)   ring [153600, 184320), dw [184320, 184576)
 *   outputs int16 18000          [153600, 189600)  written by the heads from H1 on
 *   H1/H2 ring                   [0, 7680)
 *   L2 out                       [0, 76800), ring [189600, 204960), dw [204960, 205088);
 *                                residual sum back over L2's input at [76800, 153600)
 *   L3 out int16 15x20x64        [0, 38400), ring [38400, 53760), dw [53760, 53888)
 *   H3 ring                      [38400, 46080)
 *   L4 out                       [38400, 76800), ring [76800, 92160), dw [92160, 92416);
 *                                residual sum back over L4's input at [0, 38400)
 *   post-processing scratch      [38400, 50400), boxes [50400, 59400)
 * Peak: 205,088 bytes (L2).
 */
#include <stdint.h>
#include <string.h>

#include "conv.h"
#include "face_m4.h"
#include "heads.h"
#include "mbconv.h"
#include "model.h"
#include "postprocess.h"
#include "rnnpool.h"

#define OFF_CONV 76800u
#define OFF_RNN_SCRATCH 153600u
#define OFF_OUT 153600u
#define OFF_L2_RING 189600u
#define ARENA_USED 205088u

#define ITM_STIM32(n) (*(volatile uint32_t *)(0xE0000000u + 4u * (n)))

enum {
  LAYER_CONV = 1,
  LAYER_RNNPOOL,
  LAYER_MBCONV1,
  LAYER_HEAD1,
  LAYER_MBCONV2,
  LAYER_HEAD2,
  LAYER_MBCONV3,
  LAYER_HEAD3,
  LAYER_MBCONV4,
  LAYER_HEAD4,
  LAYER_OUTPUTS,
  LAYER_BOXES,
};

_Static_assert(FACE_M4_ARENA_BYTES >= ARENA_USED, "arena smaller than the memory plan");

static uint32_t fnv1a(uint32_t h, const void *data, uint32_t bytes) {
  const uint8_t *p = (const uint8_t *)data;
  for (uint32_t i = 0; i < bytes; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}
#define FNV_BASIS 2166136261u

static void begin(uint32_t id) { ITM_STIM32(1) = id; }

/* Ends a layer: checksum over one or two tensors, marker, and a record in the output block. */
static int end(m4sim_output_t *out, uint32_t stop_after, uint32_t id, const void *t1, uint32_t b1,
               const void *t2, uint32_t b2) {
  uint32_t h = fnv1a(FNV_BASIS, t1, b1);
  if (t2) h = fnv1a(h, t2, b2);
  out->checksums[id - 1] = h;
  out->tensor_address[id - 1] = (uint32_t)(uintptr_t)t1;
  out->tensor_bytes[id - 1] = b1;
  out->tensor2_address[id - 1] = (uint32_t)(uintptr_t)t2;
  out->tensor2_bytes[id - 1] = b2;
  out->layer_count = id;
  ITM_STIM32(2) = id;
  ITM_STIM32(3) = h;
  return stop_after == id;
}

static m4_mbconv_params mbconv(uint32_t H, uint32_t W, uint32_t CIn, uint32_t CTemp, uint32_t COut,
                               uint32_t HF, uint32_t WF, int32_t padU, int32_t padD, int32_t padL,
                               int32_t padR, uint32_t strideH, uint32_t strideW) {
  m4_mbconv_params p;
  memset(&p, 0, sizeof p);
  p.H = H, p.W = W, p.CIn = CIn, p.CTemp = CTemp, p.COut = COut, p.HF = HF, p.WF = WF;
  p.HPadU = padU, p.HPadD = padD, p.WPadL = padL, p.WPadR = padR, p.HStride = strideH, p.WStride = strideW;
  return p;
}

#define MBCONV(L)                                                                                           \
  do {                                                                                                     \
    p = mbconv(L##_H, L##_W, L##_CIN, L##_CTEMP, L##_COUT, L##_HF, L##_WF, L##_HPADL, L##_HPADR, L##_WPADL, \
               L##_WPADR, L##_HSTRIDE, L##_WSTRIDE);                                                       \
    p.F1 = L##_F1, p.W1 = L##_W1, p.B1 = L##_B1, p.F2 = L##_F2, p.W2 = L##_W2, p.B2 = L##_B2;             \
    p.F3 = L##_F3, p.W3 = L##_W3, p.B3 = L##_B3;                                                           \
    p.limit1 = L##_Limit1, p.limit2 = L##_Limit2;                                                          \
    p.shrU1 = L##_ShRU1, p.shrX1 = L##_ShRX1, p.shrU2 = L##_ShRU2, p.shrX2 = L##_ShRX2;                    \
    p.shrU3 = L##_ShRU3, p.shrW3 = L##_ShRW3;                                                              \
    p.shlU1 = L##_ShLU1, p.shlX1 = L##_ShLX1, p.shlU2 = L##_ShLU2, p.shlX2 = L##_ShLX2;                    \
    p.shlU3 = L##_ShLU3, p.shlW3 = L##_ShLW3;                                                              \
  } while (0)

#define HEAD_CONV(K, B)                                                                                     \
  ((m4_head_conv){.w = K, .cout = K##_COUT, .scinput = K##_Scinput, .scoutput = K##_Scoutput,              \
                  .demote = K##_Demote, .b = B, .scten = B##_Scten, .scvec = B##_Scvec, .scret = B##_Scret})

#define HEAD(D, L, NORM)                                                                                    \
  do {                                                                                                     \
    memset(&h, 0, sizeof h);                                                                               \
    h.H = L##_HOUT, h.W = L##_WOUT, h.C = L##_COUT, h.HF = D##CW_HF, h.WF = D##CW_WF;                      \
    h.conf = HEAD_CONV(D##CW, D##CB);                                                                      \
    h.loc = HEAD_CONV(D##LW, D##LB);                                                                       \
    NORM                                                                                                   \
  } while (0)

#define WITH_L2NORM(D)                                                                                      \
  h.l2norm = 1, h.l2_scale_in = D##_ScaleIn, h.l2_scale_out = D##_ScaleOut, h.norm_w = D##NW;              \
  h.norm_scinput = D##NW_Scinput, h.norm_scoutput = D##NW_Scoutput, h.norm_demote = D##NW_Demote;

__attribute__((section(".noinit"), aligned(8))) uint8_t m4sim_input[FACE_M4_ARENA_BYTES];

int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out) {
  return face_m4_run(m4sim_input, stop_after, threshold_q15, max_boxes, out);
}

int face_m4_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                m4sim_output_t *out) {
  int8_t *image = (int8_t *)arena;
  int8_t *conv_out = (int8_t *)(arena + OFF_CONV);
  int16_t *outputs = (int16_t *)(arena + OFF_OUT);
  m4_mbconv_params p;
  m4_head_params h;

  memset(out, 0, sizeof *out);
  out->magic = M4SIM_OUTPUT_MAGIC;
  out->version = 1;
  out->arena_bytes = ARENA_USED;

  /* 1. conv 3x3 stride 2 + bias + per-channel scale + ReLU6, fused. */
  begin(LAYER_CONV);
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
  if (end(out, stop_after, LAYER_CONV, conv_out, CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT, 0, 0)) return 0;

  /* 2. RNNPool: 8x8 patches at stride 4 -> 29x39x64, stored as Q7, then replicate-padded to 30x40. */
  begin(LAYER_RNNPOOL);
  int8_t *pooled = (int8_t *)arena;
  Q15_T *patch_out = (Q15_T *)(arena + OFF_RNN_SCRATCH);
  Q15_T *patch_buf = patch_out + 4 * HIDDEN_DIM2;
  for (uint32_t px = 0; px < 29; px++) {
    for (uint32_t py = 0; py < 39; py++) {
      const int8_t *patch = conv_out + (px * 4 * CONV2D_WOUT + py * 4) * INPUT_CHANNELS;
      q7xq15_q15_rnnpool_block(patch, INPUT_CHANNELS, PATCH_DIM, CONV2D_WOUT, q7xq15_q15_fastgrnn, HIDDEN_DIM1,
                               &RNN1_PARAMS, &RNN1_BUFFERS, &RNN1_SCALES, q15_fastgrnn, HIDDEN_DIM2,
                               &RNN2_PARAMS, &RNN2_BUFFERS, &RNN2_SCALES, patch_out, patch_buf, ShR1, ShL1,
                               ShR2, ShL2);
      int8_t *dst = pooled + (px * 40 + py) * 64;
      for (uint32_t i = 0; i < 64; i++) dst[i] = (int8_t)patch_out[i];
    }
  }
  memcpy(pooled + 29 * 2560, pooled + 28 * 2560, 39 * 64);
  for (uint32_t r = 0; r < 30; r++) memcpy(pooled + r * 2560 + 39 * 64, pooled + r * 2560 + 38 * 64, 64);
  if (end(out, stop_after, LAYER_RNNPOOL, pooled, 30 * 40 * 64, 0, 0)) return 0;

  /* 3. MBConv L1 (Q7 in). */
  begin(LAYER_MBCONV1);
  int16_t *l1 = (int16_t *)(arena + 76800);
  MBCONV(L1);
  m4_mbconv_q7xq15_q15(pooled, l1, (int16_t *)(arena + 153600), (int16_t *)(arena + 184320), &p);
  if (end(out, stop_after, LAYER_MBCONV1, l1, L1_HOUT * L1_WOUT * L1_COUT * 2, 0, 0)) return 0;

  /* 4. Head 1: L2 norm, conf 4 -> 2, loc 4. */
  begin(LAYER_HEAD1);
  HEAD(D1, L1, WITH_L2NORM(D1));
  int16_t *c1 = outputs + M4SIM_HEAD1_CONF_OFFSET, *l1o = outputs + M4SIM_HEAD1_LOC_OFFSET;
  m4_detection_head(l1, c1, l1o, (int16_t *)arena, &h);
  if (end(out, stop_after, LAYER_HEAD1, c1, 2400 * 2, l1o, 4800 * 2)) return 0;

  /* 5. MBConv L2 + residual. */
  begin(LAYER_MBCONV2);
  int16_t *l2 = (int16_t *)arena;
  MBCONV(L2);
  m4_mbconv_q15(l1, l2, (int16_t *)(arena + OFF_L2_RING), (int16_t *)(arena + 204960), &p);
  m4_residual_add_q15(l1, l2, L2_HOUT * L2_WOUT * L2_COUT, l1, L2_Scten1, L2_Scten2, L2_Scret);
  if (end(out, stop_after, LAYER_MBCONV2, l1, L2_HOUT * L2_WOUT * L2_COUT * 2, 0, 0)) return 0;

  /* 6. Head 2. */
  begin(LAYER_HEAD2);
  HEAD(D2, L2, WITH_L2NORM(D2));
  int16_t *c2 = outputs + M4SIM_HEAD2_CONF_OFFSET, *l2o = outputs + M4SIM_HEAD2_LOC_OFFSET;
  m4_detection_head(l1, c2, l2o, (int16_t *)arena, &h);
  if (end(out, stop_after, LAYER_HEAD2, c2, 2400 * 2, l2o, 4800 * 2)) return 0;

  /* 7. MBConv L3, stride 2. */
  begin(LAYER_MBCONV3);
  int16_t *l3 = (int16_t *)arena;
  MBCONV(L3);
  m4_mbconv_q15(l1, l3, (int16_t *)(arena + 38400), (int16_t *)(arena + 53760), &p);
  if (end(out, stop_after, LAYER_MBCONV3, l3, L3_HOUT * L3_WOUT * L3_COUT * 2, 0, 0)) return 0;

  /* 8. Head 3. */
  begin(LAYER_HEAD3);
  HEAD(D3, L3, WITH_L2NORM(D3));
  int16_t *c3 = outputs + M4SIM_HEAD3_CONF_OFFSET, *l3o = outputs + M4SIM_HEAD3_LOC_OFFSET;
  m4_detection_head(l3, c3, l3o, (int16_t *)(arena + 38400), &h);
  if (end(out, stop_after, LAYER_HEAD3, c3, 600 * 2, l3o, 1200 * 2)) return 0;

  /* 9. MBConv L4 + residual. */
  begin(LAYER_MBCONV4);
  int16_t *l4 = (int16_t *)(arena + 38400);
  MBCONV(L4);
  m4_mbconv_q15(l3, l4, (int16_t *)(arena + 76800), (int16_t *)(arena + 92160), &p);
  m4_residual_add_q15(l3, l4, L4_HOUT * L4_WOUT * L4_COUT, l3, L4_Scten1, L4_Scten2, L4_Scret);
  if (end(out, stop_after, LAYER_MBCONV4, l3, L4_HOUT * L4_WOUT * L4_COUT * 2, 0, 0)) return 0;

  /* 10. Head 4: no L2 norm. */
  begin(LAYER_HEAD4);
  HEAD(D4, L4, );
  int16_t *c4 = outputs + M4SIM_HEAD4_CONF_OFFSET, *l4o = outputs + M4SIM_HEAD4_LOC_OFFSET;
  m4_detection_head(l3, c4, l4o, 0, &h);
  if (end(out, stop_after, LAYER_HEAD4, c4, 600 * 2, l4o, 1200 * 2)) return 0;

  /* 11. Output scales per head (C division, as EdgeML's M4 pipeline halves H3 conf and H4 loc). */
  begin(LAYER_OUTPUTS);
  static const struct {
    uint32_t conf_offset, loc_offset, cells;
    int32_t conf_scale, loc_scale;
  } heads[4] = {
      {M4SIM_HEAD1_CONF_OFFSET, M4SIM_HEAD1_LOC_OFFSET, 1200, M4SIM_HEAD1_CONF_SCALE, M4SIM_HEAD1_LOC_SCALE},
      {M4SIM_HEAD2_CONF_OFFSET, M4SIM_HEAD2_LOC_OFFSET, 1200, M4SIM_HEAD2_CONF_SCALE, M4SIM_HEAD2_LOC_SCALE},
      {M4SIM_HEAD3_CONF_OFFSET, M4SIM_HEAD3_LOC_OFFSET, 300, M4SIM_HEAD3_CONF_SCALE, M4SIM_HEAD3_LOC_SCALE},
      {M4SIM_HEAD4_CONF_OFFSET, M4SIM_HEAD4_LOC_OFFSET, 300, M4SIM_HEAD4_CONF_SCALE, M4SIM_HEAD4_LOC_SCALE},
  };
  for (uint32_t k = 0; k < 4; k++) {
    if (heads[k].conf_scale != 1)
      for (uint32_t i = 0; i < 2 * heads[k].cells; i++)
        outputs[heads[k].conf_offset + i] = (int16_t)(outputs[heads[k].conf_offset + i] / heads[k].conf_scale);
    if (heads[k].loc_scale != 1)
      for (uint32_t i = 0; i < 4 * heads[k].cells; i++)
        outputs[heads[k].loc_offset + i] = (int16_t)(outputs[heads[k].loc_offset + i] / heads[k].loc_scale);
  }
  out->raw_address = (uint32_t)(uintptr_t)outputs;
  out->raw_count = M4SIM_MODEL_OUTPUTS;
  if (end(out, stop_after, LAYER_OUTPUTS, outputs, M4SIM_MODEL_OUTPUTS * 2, 0, 0)) return 0;

  /* 12. Boxes: priors, decode, score threshold, NMS (firmware/kernels/postprocess.c). */
  begin(LAYER_BOXES);
  static const pp_head pp_heads[4] = {
      {M4SIM_HEAD1_ROWS, M4SIM_HEAD1_COLS, M4SIM_HEAD1_STEP, M4SIM_HEAD1_ANCHOR, M4SIM_HEAD1_CONF_SHIFT,
       M4SIM_HEAD1_LOC_SHIFT},
      {M4SIM_HEAD2_ROWS, M4SIM_HEAD2_COLS, M4SIM_HEAD2_STEP, M4SIM_HEAD2_ANCHOR, M4SIM_HEAD2_CONF_SHIFT,
       M4SIM_HEAD2_LOC_SHIFT},
      {M4SIM_HEAD3_ROWS, M4SIM_HEAD3_COLS, M4SIM_HEAD3_STEP, M4SIM_HEAD3_ANCHOR, M4SIM_HEAD3_CONF_SHIFT,
       M4SIM_HEAD3_LOC_SHIFT},
      {M4SIM_HEAD4_ROWS, M4SIM_HEAD4_COLS, M4SIM_HEAD4_STEP, M4SIM_HEAD4_ANCHOR, M4SIM_HEAD4_CONF_SHIFT,
       M4SIM_HEAD4_LOC_SHIFT},
  };
  if (max_boxes > FACE_M4_MAX_BOXES) max_boxes = FACE_M4_MAX_BOXES;
  pp_config cfg = {
      .heads = pp_heads,
      .num_heads = 4,
      .image_width = M4SIM_MODEL_INPUT_WIDTH,
      .image_height = M4SIM_MODEL_INPUT_HEIGHT,
      .score_threshold = (uint16_t)threshold_q15,
      .max_boxes = (uint16_t)max_boxes,
      .iou_num = 3,
      .iou_den = 10,
      .clip = 0,
  };
  pp_box *boxes = (pp_box *)(arena + 50400);
  int32_t n = pp_detect(&cfg, outputs, outputs + M4SIM_HEAD1_LOC_OFFSET, (uint32_t *)(arena + 38400), boxes);
  if (n < 0) n = 0;
  out->box_address = (uint32_t)(uintptr_t)boxes;
  out->box_count = (uint32_t)n;
  end(out, stop_after, LAYER_BOXES, boxes, (uint32_t)n * (uint32_t)sizeof(pp_box), 0, 0);
  return 0;
}
