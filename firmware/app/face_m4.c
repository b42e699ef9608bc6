/*
 * RNNPool-Face-M4 on a Cortex-M4: the stage list of EdgeML's quantized_face_detection_sparse.c
 * (conv 3x3 -> RNNPool -> 4 MBConv -> 4 detection heads), run with our kernels in one static arena.
 * TS twin: src/reference/face-m4.ts (same stages, same layer ids, same checksums).
 *
 * Memory plan: src/architectures/face-m4.ts, generated into m4sim_layers.h (M4SIM_ARENA_<buffer>:
 * offset, _BYTES: size; the layer ids LAYER_<NAME>). Every buffer is dead before it is reused; the
 * checks below hold the model's shapes to the buffers. The frame is streamed: the conv asks the camera
 * (camera.h) for the rows each output row reads. Every later stage writes its output over its own
 * input, behind what it still reads (why each is safe: at each call below), so one 76,800-byte tensor
 * region serves the conv output, RNNPool, L1, L2, L3 and L4. The heads' outputs stay where each head
 * wrote them (H<n>_OUT: conf, then loc) until the outputs layer gathers them in the ABI order.
 */
#include <stdint.h>
#include <string.h>

#include "camera.h"
#include "conv.h"
#include "front_end.h"
#include "front_end_stream.h"
#include "face_m4.h"
#include "gather.h"
#include "heads.h"
#include "layer_markers.h"
#include "m4sim_layers.h"
#include "mbconv.h"
#include "model.h"
#include "model_params.h"
#include "postprocess.h"
#include "rnnpool.h"

/* The plan's buffers hold the model's tensors (sizes from the model's shapes). */
#define RING_BYTES(L) (L##_HF * L##_W * L##_CTEMP * 2)
#define TENSOR_BYTES(L) (L##_HOUT * L##_WOUT * L##_COUT * 2)
#define HEAD_RING_BYTES(D, L) (D##CW_HF * L##_WOUT * L##_COUT * 2)
#define HEAD_OUT_BYTES(L, D) GATHER_HEAD_OUT_BYTES(L##_HOUT * L##_WOUT, D)
_Static_assert(RNNPOOL_FACE_WINDOW_BYTES <= M4SIM_ARENA_IMAGE_ROWS_BYTES, "image rows");
_Static_assert(CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT <= M4SIM_ARENA_CONV_OUT_BYTES, "conv out");
_Static_assert(L1_H * L1_W * L1_CIN <= M4SIM_ARENA_POOLED_BYTES && M4SIM_ARENA_POOLED == M4SIM_ARENA_CONV_OUT, "RNNPool out");
_Static_assert(CONV2D_HOUT == 120 && CONV2D_WOUT == 160 && CONV2D_COUT == 4 && L1_W * L1_CIN == 2560, "RNNPool in place");
_Static_assert((4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM) * 2 <= M4SIM_ARENA_RNN_SCRATCH_BYTES, "RNNPool scratch");
_Static_assert(RNNPOOL_BAND_ROWS * L1_W * L1_CIN <= M4SIM_ARENA_POOL_ROW_BYTES, "RNNPool rows");
_Static_assert(sizeof(RNNPool_ShareCache) <= M4SIM_ARENA_RNN_CACHE_BYTES, "RNNPool cache");
_Static_assert(M4SIM_ARENA_L1_RING_BYTES == RING_BYTES(L1) && M4SIM_ARENA_L1_DW_BYTES == L1_CTEMP * 2, "L1");
_Static_assert(TENSOR_BYTES(L1) <= M4SIM_ARENA_L1_OUT_BYTES && M4SIM_ARENA_L1_OUT == M4SIM_ARENA_POOLED, "L1 out");
_Static_assert(HEAD_OUT_BYTES(L1, D1) == M4SIM_ARENA_H1_OUT_BYTES && HEAD_OUT_BYTES(L2, D2) == M4SIM_ARENA_H2_OUT_BYTES &&
                   HEAD_OUT_BYTES(L3, D3) == M4SIM_ARENA_H3_OUT_BYTES && HEAD_OUT_BYTES(L4, D4) == M4SIM_ARENA_H4_OUT_BYTES,
               "head outputs");
_Static_assert(M4SIM_MODEL_OUTPUTS * 2 <= M4SIM_ARENA_OUTPUTS_BYTES, "outputs");
_Static_assert(HEAD_RING_BYTES(D1, L1) <= M4SIM_ARENA_H1_RING_BYTES, "H1 ring");
_Static_assert(HEAD_RING_BYTES(D2, L2) <= M4SIM_ARENA_H2_RING_BYTES, "H2 ring");
_Static_assert(M4SIM_ARENA_L2_RING_BYTES == RING_BYTES(L2) && M4SIM_ARENA_L2_DW_BYTES == L2_CTEMP * 2, "L2");
_Static_assert(L2_COUT * 2 <= M4SIM_ARENA_L2_ROW_BYTES && M4SIM_ARENA_L2_OUT == M4SIM_ARENA_L1_OUT, "L2 row");
_Static_assert(TENSOR_BYTES(L3) <= M4SIM_ARENA_L3_OUT_BYTES && M4SIM_ARENA_L3_OUT == M4SIM_ARENA_L2_OUT, "L3 out");
_Static_assert(M4SIM_ARENA_L3_RING_BYTES == RING_BYTES(L3) && L3_CTEMP * 2 <= M4SIM_ARENA_L3_DW_BYTES, "L3");
_Static_assert(HEAD_RING_BYTES(D3, L3) <= M4SIM_ARENA_H3_RING_BYTES, "H3 ring");
_Static_assert(M4SIM_ARENA_L4_RING_BYTES == RING_BYTES(L4) && M4SIM_ARENA_L4_DW_BYTES == L4_CTEMP * 2, "L4");
_Static_assert(L4_COUT * 2 <= M4SIM_ARENA_L4_ROW_BYTES && M4SIM_ARENA_L4_OUT == M4SIM_ARENA_L3_OUT, "L4 row");
_Static_assert(M4SIM_MODEL_OUTPUTS / 6 * 4 <= M4SIM_ARENA_PP_SCRATCH_BYTES, "post-processing scratch");
_Static_assert(M4SIM_MAX_BOXES * sizeof(pp_box) <= M4SIM_ARENA_BOXES_BYTES, "boxes");
/*
 * L1 and L3 run in place (m4_mbconv_q7xq15_q15 / m4_mbconv_q15 with out over in): 3x3 with one row of
 * padding above, so output row r (centre row r * stride) is written after input rows <= r * stride + 1
 * are expanded into the ring, and an output row is no longer than an input row, so output row r ends
 * no later than input row r, which is in the ring already (r <= r * stride + 1) and read nowhere else;
 * input rows not yet expanded lie beyond it. The kernels read the input only when expanding a row.
 */
#define ROW_LAG_OK(L, IN_BYTES)                                                                              \
  (L##_HF == 3 && L##_HPADL == 1 && L##_WOUT * L##_COUT * 2 <= L##_W * L##_CIN * (IN_BYTES))
_Static_assert(ROW_LAG_OK(L1, 1) && ROW_LAG_OK(L3, 2), "L1/L3 cannot run in place");
/* L2 and L4 run in place: stride 1, same padding, CIn == COut (m4_mbconv_q15_residual_inplace). */
#define INPLACE_OK(L)                                                                                        \
  (L##_HSTRIDE == 1 && L##_WSTRIDE == 1 && L##_CIN == L##_COUT && L##_HPADL == (L##_HF - 1) / 2 &&           \
   L##_HPADR == L##_HF / 2 && L##_WPADL == (L##_WF - 1) / 2 && L##_WPADR == L##_WF / 2)
_Static_assert(INPLACE_OK(L2) && INPLACE_OK(L4), "L2/L4 cannot run in place");


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

/* The arena, named as the ABI names it (m4sim_abi.h); no frame is written here: the conv streams it. */
__attribute__((section(".noinit"), aligned(8))) uint8_t m4sim_input[M4SIM_ARENA_BYTES];

int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out) {
  return face_m4_run(m4sim_input, stop_after, threshold_q15, max_boxes, out);
}

/* A head's conf then loc, where it wrote them. */
#define HEAD_CONF(N) ((int16_t *)(arena + M4SIM_ARENA_H##N##_OUT))
#define HEAD_LOC(N, CELLS) (HEAD_CONF(N) + 2 * (CELLS))

int face_m4_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                m4sim_output_t *out) {
  int8_t *conv_out = (int8_t *)(arena + M4SIM_ARENA_CONV_OUT);
  int16_t *outputs = (int16_t *)(arena + M4SIM_ARENA_OUTPUTS);
  m4_mbconv_params p;
  m4_head_params h;

  memset(out, 0, sizeof *out);
  out->magic = M4SIM_OUTPUT_MAGIC;
  out->version = 1;
  out->arena_bytes = M4SIM_ARENA_BYTES;

  /* 1. conv 3x3 stride 2 + bias + per-channel scale + ReLU6, fused, the image rows from the camera. */
  m4sim_layer_begin(LAYER_CONV);
  if (rnnpool_face_conv_streamed((int8_t *)(arena + M4SIM_ARENA_IMAGE_ROWS), conv_out)) return M4SIM_EXIT_CAMERA;
  if (m4sim_layer_end(out, stop_after, LAYER_CONV, conv_out, CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT, 0, 0)) return 0;

  /* 2. RNNPool: 8x8 patches at stride 4 -> 29x39x64, stored as Q7, replicate-padded to 30x40, in place. */
  m4sim_layer_begin(LAYER_RNNPOOL);
  int8_t *pooled = (int8_t *)(arena + M4SIM_ARENA_POOLED);
  rnnpool_face_pool_8x8_inplace(conv_out, (int8_t *)(arena + M4SIM_ARENA_POOL_ROW), (Q15_T *)(arena + M4SIM_ARENA_RNN_SCRATCH),
                                (RNNPool_ShareCache *)(arena + M4SIM_ARENA_RNN_CACHE));
  if (m4sim_layer_end(out, stop_after, LAYER_RNNPOOL, pooled, 30 * 40 * 64, 0, 0)) return 0;

  /* 3. MBConv L1 (Q7 in), in place over RNNPool's output (ROW_LAG_OK). */
  m4sim_layer_begin(LAYER_MBCONV1);
  int16_t *l1 = (int16_t *)(arena + M4SIM_ARENA_L1_OUT);
  M4SIM_MBCONV_PARAMS(p, L1);
  m4_mbconv_q7xq15_q15(pooled, l1, (int16_t *)(arena + M4SIM_ARENA_L1_RING), (int16_t *)(arena + M4SIM_ARENA_L1_DW), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV1, l1, L1_HOUT * L1_WOUT * L1_COUT * 2, 0, 0)) return 0;

  /* 4. Head 1: L2 norm, conf 4 -> 2, loc 4. */
  m4sim_layer_begin(LAYER_HEAD1);
  HEAD(D1, L1, WITH_L2NORM(D1));
  int16_t *c1 = HEAD_CONF(1), *l1o = HEAD_LOC(1, 1200);
  m4_detection_head(l1, c1, l1o, (int16_t *)(arena + M4SIM_ARENA_H1_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD1, c1, 2400 * 2, l1o, 4800 * 2)) return 0;

  /* 5. MBConv L2 + residual, in place over L1's output. */
  m4sim_layer_begin(LAYER_MBCONV2);
  M4SIM_MBCONV_PARAMS(p, L2);
  if (m4_mbconv_q15_residual_inplace(l1, (int16_t *)(arena + M4SIM_ARENA_L2_RING), (int16_t *)(arena + M4SIM_ARENA_L2_DW),
                                     (int16_t *)(arena + M4SIM_ARENA_L2_ROW), &p, L2_Scten1, L2_Scten2, L2_Scret))
    return -1;
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV2, l1, L2_HOUT * L2_WOUT * L2_COUT * 2, 0, 0)) return 0;

  /* 6. Head 2. */
  m4sim_layer_begin(LAYER_HEAD2);
  HEAD(D2, L2, WITH_L2NORM(D2));
  int16_t *c2 = HEAD_CONF(2), *l2o = HEAD_LOC(2, 1200);
  m4_detection_head(l1, c2, l2o, (int16_t *)(arena + M4SIM_ARENA_H2_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD2, c2, 2400 * 2, l2o, 4800 * 2)) return 0;

  /* 7. MBConv L3, stride 2, in place over L2's output (ROW_LAG_OK). */
  m4sim_layer_begin(LAYER_MBCONV3);
  int16_t *l3 = (int16_t *)(arena + M4SIM_ARENA_L3_OUT);
  M4SIM_MBCONV_PARAMS(p, L3);
  m4_mbconv_q15(l1, l3, (int16_t *)(arena + M4SIM_ARENA_L3_RING), (int16_t *)(arena + M4SIM_ARENA_L3_DW), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV3, l3, L3_HOUT * L3_WOUT * L3_COUT * 2, 0, 0)) return 0;

  /* 8. Head 3. */
  m4sim_layer_begin(LAYER_HEAD3);
  HEAD(D3, L3, WITH_L2NORM(D3));
  int16_t *c3 = HEAD_CONF(3), *l3o = HEAD_LOC(3, 300);
  m4_detection_head(l3, c3, l3o, (int16_t *)(arena + M4SIM_ARENA_H3_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD3, c3, 600 * 2, l3o, 1200 * 2)) return 0;

  /* 9. MBConv L4 + residual, in place over L3's output. */
  m4sim_layer_begin(LAYER_MBCONV4);
  M4SIM_MBCONV_PARAMS(p, L4);
  if (m4_mbconv_q15_residual_inplace(l3, (int16_t *)(arena + M4SIM_ARENA_L4_RING), (int16_t *)(arena + M4SIM_ARENA_L4_DW),
                                     (int16_t *)(arena + M4SIM_ARENA_L4_ROW), &p, L4_Scten1, L4_Scten2, L4_Scret))
    return -1;
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV4, l3, L4_HOUT * L4_WOUT * L4_COUT * 2, 0, 0)) return 0;

  /* 10. Head 4: no L2 norm. */
  m4sim_layer_begin(LAYER_HEAD4);
  HEAD(D4, L4, );
  int16_t *c4 = HEAD_CONF(4), *l4o = HEAD_LOC(4, 300);
  m4_detection_head(l3, c4, l4o, 0, &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD4, c4, 600 * 2, l4o, 1200 * 2)) return 0;

  /*
   * 11. The heads' outputs gathered in the ABI order (conf H1..H4, then loc H1..H4) over the dead L4
   * tensor, each divided by its head's output scale on the way (C division, as EdgeML's M4 pipeline
   * halves H3 conf and H4 loc when it assembles the output vector).
   */
  m4sim_layer_begin(LAYER_OUTPUTS);
  {
    /* Static, with arena offsets rather than pointers: a table on the stack would deepen face_m4_run's
     * frame, which is on the deepest call path (RNNPool's). */
    static const struct {
      uint32_t at, conf_offset, loc_offset, cells;
      int32_t conf_scale, loc_scale;
    } heads[4] = {
        {M4SIM_ARENA_H1_OUT, M4SIM_HEAD1_CONF_OFFSET, M4SIM_HEAD1_LOC_OFFSET, 1200, M4SIM_HEAD1_CONF_SCALE, M4SIM_HEAD1_LOC_SCALE},
        {M4SIM_ARENA_H2_OUT, M4SIM_HEAD2_CONF_OFFSET, M4SIM_HEAD2_LOC_OFFSET, 1200, M4SIM_HEAD2_CONF_SCALE, M4SIM_HEAD2_LOC_SCALE},
        {M4SIM_ARENA_H3_OUT, M4SIM_HEAD3_CONF_OFFSET, M4SIM_HEAD3_LOC_OFFSET, 300, M4SIM_HEAD3_CONF_SCALE, M4SIM_HEAD3_LOC_SCALE},
        {M4SIM_ARENA_H4_OUT, M4SIM_HEAD4_CONF_OFFSET, M4SIM_HEAD4_LOC_OFFSET, 300, M4SIM_HEAD4_CONF_SCALE, M4SIM_HEAD4_LOC_SCALE},
    };
    for (uint32_t k = 0; k < 4; k++) {
      const int16_t *conf = (const int16_t *)(arena + heads[k].at), *loc = conf + 2 * heads[k].cells;
      gather_scaled(outputs + heads[k].conf_offset, conf, 2 * heads[k].cells, heads[k].conf_scale);
      gather_scaled(outputs + heads[k].loc_offset, loc, 4 * heads[k].cells, heads[k].loc_scale);
    }
  }
  out->raw_address = (uint32_t)(uintptr_t)outputs;
  out->raw_count = M4SIM_MODEL_OUTPUTS;
  if (m4sim_layer_end(out, stop_after, LAYER_OUTPUTS, outputs, M4SIM_MODEL_OUTPUTS * 2, 0, 0)) return 0;

  /* 12. Boxes: priors, decode, score threshold, NMS (firmware/kernels/postprocess.c). */
  m4sim_layer_begin(LAYER_BOXES);
  pp_box *boxes = (pp_box *)(arena + M4SIM_ARENA_BOXES);
  uint32_t n = m4sim_detect_boxes(outputs, (uint32_t *)(arena + M4SIM_ARENA_PP_SCRATCH), boxes, threshold_q15, max_boxes,
                                  M4SIM_MAX_BOXES);
  out->box_address = (uint32_t)(uintptr_t)boxes;
  out->box_count = n;
  m4sim_layer_end(out, stop_after, LAYER_BOXES, boxes, n * (uint32_t)sizeof(pp_box), 0, 0);
  return 0;
}
