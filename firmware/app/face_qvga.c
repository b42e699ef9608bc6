/*
 * RNNPool-Face-QVGA (EdgeML's face-2, RPool_Face_QVGA_monochrome) on a Cortex-M4: the stage list of
 * EdgeML's quantized_face_detection.c (conv 3x3 -> RNNPool -> 14 MBConv with heads after L4, L8,
 * L11, L14), run with our kernels in one static arena. TS twin: src/reference/face-qvga.ts (same layer
 * ids, same checksums). 22 stages, published as 16 layers (m4sim_abi.h's M4SIM_MAX_LAYERS): runs of
 * MBConv blocks are one layer, checksummed over the run's last output.
 *
 * Memory plan: src/architectures/face-qvga.ts, generated into m4sim_layers.h (M4SIM_ARENA_<buffer>:
 * offset, _BYTES: size; the layer ids LAYER_<NAME>). Every buffer is dead, or not yet written, before
 * it is reused; the checks below hold the model's shapes to the buffers. As face_m4.c: the frame is
 * streamed (the conv asks the camera, camera.h, for the rows each output row reads) and every later
 * stage writes its output over its own input, behind what it still reads (why each is safe: at the
 * checks below), so one 76,800-byte tensor region at 0 serves the conv output, RNNPool, X (the L1
 * output that L2..L8 update in place), A (the L9 output, L10, L11 in place) and B (the L12 output,
 * L13, L14 in place). L2..L8 use m4_mbconv_q15_residual_inplace (mbconv.h), L10/L11
 * m4_mbconv7_q15xq7_q15_residual_inplace and L13/L14 m4_mbconv7_q7_residual_inplace (mbconv_q7.h):
 * each output pixel, once its residual sum is taken, goes over its own input pixel; same values as
 * the block into a separate buffer followed by the residual add. The heads' outputs stay where each
 * head wrote them (H<n>_OUT: conf, then loc) until the outputs layer gathers them in the ABI order
 * (gather.h); head 2's move, once L9 is done, into the part of X that A leaves free (H2_KEPT), so
 * that L10/L11's ring fits where they were.
 */
#include <stdint.h>
#include <string.h>

#include "layer_markers.h"
#include "m4sim_layers.h"
#include "camera.h"
#include "conv.h"
#include "front_end.h"
#include "front_end_stream.h"
#include "gather.h"
#include "face_qvga.h"
#include "heads.h"
#include "mbconv.h"
#include "mbconv_q7.h"
#include "model.h"
#include "model_params.h"
#include "postprocess.h"
#include "quantized.h"
#include "rnnpool.h"

/* The plan's buffers hold the model's tensors (sizes from the model's shapes). */
#define RING_BYTES(L) (L##_HF * L##_W * L##_CTEMP * 2)   /* int16 ring (Q15 weights, q15xq7) */
#define RING_BYTES_Q7(L) (L##_HF * L##_W * L##_CTEMP)    /* int8 ring (q7 blocks) */
#define TENSOR_BYTES(L, size) (L##_HOUT * L##_WOUT * L##_COUT * (size))
#define HEAD_RING_BYTES(D, L) (D##CW_HF * L##_WOUT * L##_COUT * 2)
#define POOLED_BYTES (L1_H * L1_W * L1_CIN)
#define HEAD_OUT_BYTES(L, D) GATHER_HEAD_OUT_BYTES(L##_HOUT * L##_WOUT, D)
_Static_assert(RNNPOOL_FACE_WINDOW_BYTES <= M4SIM_ARENA_IMAGE_ROWS_BYTES, "image rows");
_Static_assert(CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT <= M4SIM_ARENA_CONV_OUT_BYTES, "conv out");
_Static_assert(POOLED_BYTES == 30 * 40 * 64 && POOLED_BYTES <= M4SIM_ARENA_POOLED_BYTES &&
                   M4SIM_ARENA_POOLED == M4SIM_ARENA_CONV_OUT,
               "RNNPool out");
_Static_assert((4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM) * 2 <= M4SIM_ARENA_RNN_SCRATCH_BYTES, "RNNPool scratch");
_Static_assert(RNNPOOL_BAND_ROWS * L1_W * L1_CIN <= M4SIM_ARENA_POOL_ROW_BYTES, "RNNPool rows");
_Static_assert(sizeof(RNNPool_ShareCache) <= M4SIM_ARENA_RNN_CACHE_BYTES, "RNNPool cache");
_Static_assert(M4SIM_ARENA_L1_RING_BYTES == RING_BYTES(L1) && M4SIM_ARENA_L1_DW_BYTES == L1_CTEMP * 2, "L1 ring, dw");
_Static_assert(TENSOR_BYTES(L1, 2) == M4SIM_ARENA_L1_OUT_BYTES && M4SIM_ARENA_L1_OUT == M4SIM_ARENA_POOLED, "L1 out");
_Static_assert(M4SIM_ARENA_L4_OUT == M4SIM_ARENA_L1_OUT && M4SIM_ARENA_L8_OUT == M4SIM_ARENA_L1_OUT, "X in place");
_Static_assert(M4SIM_MODEL_OUTPUTS * 2 <= M4SIM_ARENA_OUTPUTS_BYTES, "outputs");
_Static_assert(HEAD_OUT_BYTES(L4, D1) == M4SIM_ARENA_H1_OUT_BYTES && HEAD_OUT_BYTES(L8, D2) == M4SIM_ARENA_H2_OUT_BYTES &&
                   HEAD_OUT_BYTES(L11, D3) == M4SIM_ARENA_H3_OUT_BYTES,
               "head outputs");
_Static_assert(L14_HOUT * L14_WOUT * (D4CW_COUT + D4LW_COUT * 2) == M4SIM_ARENA_H4_OUT_BYTES && D4CW_COUT == 2, "H4 out");
_Static_assert(HEAD_RING_BYTES(D1, L4) <= M4SIM_ARENA_H1_RING_BYTES, "H1 ring");
_Static_assert(HEAD_RING_BYTES(D2, L8) <= M4SIM_ARENA_H2_RING_BYTES, "H2 ring");
#define X_BLOCK_OK(L)                                                                                       \
  (L##_H == L1_HOUT && L##_W == L1_WOUT && L##_CIN == L1_COUT && M4SIM_ARENA_X_RING_BYTES == RING_BYTES(L) && \
   M4SIM_ARENA_X_DW_BYTES == L##_CTEMP * 2 && L##_COUT * 2 <= M4SIM_ARENA_X_ROW_BYTES)
_Static_assert(X_BLOCK_OK(L2) && X_BLOCK_OK(L3) && X_BLOCK_OK(L4) && X_BLOCK_OK(L5) && X_BLOCK_OK(L6) &&
                   X_BLOCK_OK(L7) && X_BLOCK_OK(L8), "L2..L8 ring, dw, row");
_Static_assert(M4SIM_ARENA_L9_RING_BYTES == RING_BYTES(L9) && M4SIM_ARENA_L9_DW_BYTES == L9_CTEMP * 2, "L9 ring, dw");
_Static_assert(TENSOR_BYTES(L9, 2) <= M4SIM_ARENA_L11_OUT_BYTES && M4SIM_ARENA_L11_OUT == M4SIM_ARENA_L8_OUT, "L9 out");
/* Head 2's outputs, moved once L9 is done, go to the part of X past A, which nothing reads any more. */
_Static_assert(M4SIM_ARENA_H2_KEPT_BYTES == M4SIM_ARENA_H2_OUT_BYTES &&
                   M4SIM_ARENA_H2_KEPT >= M4SIM_ARENA_L11_OUT + TENSOR_BYTES(L9, 2) &&
                   M4SIM_ARENA_H2_KEPT + M4SIM_ARENA_H2_KEPT_BYTES <= M4SIM_ARENA_L8_OUT + M4SIM_ARENA_L8_OUT_BYTES,
               "H2 kept");
#define A_BLOCK_OK(L)                                                                                       \
  (L##_H == L9_HOUT && L##_W == L9_WOUT && L##_CIN == L9_COUT && M4SIM_ARENA_A_RING_BYTES == RING_BYTES(L) && \
   M4SIM_ARENA_A_DW_BYTES == L##_CTEMP * 2 && L##_COUT * 2 <= M4SIM_ARENA_A_ROW_BYTES)
_Static_assert(A_BLOCK_OK(L10) && A_BLOCK_OK(L11), "L10/L11");
_Static_assert(HEAD_RING_BYTES(D3, L11) <= M4SIM_ARENA_H3_RING_BYTES, "H3 ring");
_Static_assert(TENSOR_BYTES(L12, 1) <= M4SIM_ARENA_L13_OUT_BYTES && M4SIM_ARENA_L13_OUT == M4SIM_ARENA_L11_OUT &&
                   M4SIM_ARENA_L14_OUT == M4SIM_ARENA_L13_OUT, "L12 out");
_Static_assert(M4SIM_ARENA_L12_RING_BYTES == RING_BYTES(L12) && L12_CTEMP * 2 <= M4SIM_ARENA_L12_DW_BYTES, "L12");
#define B_BLOCK_OK(L)                                                                                          \
  (L##_H == L12_HOUT && L##_W == L12_WOUT && L##_CIN == L12_COUT && M4SIM_ARENA_B_RING_BYTES == RING_BYTES_Q7(L) && \
   M4SIM_ARENA_B_DW_BYTES == L##_CTEMP && L##_COUT <= M4SIM_ARENA_B_ROW_BYTES)
_Static_assert(B_BLOCK_OK(L13) && B_BLOCK_OK(L14), "L13/L14");
_Static_assert(M4SIM_MODEL_OUTPUTS / 6 * 4 <= M4SIM_ARENA_PP_SCRATCH_BYTES, "post-processing scratch");
_Static_assert(M4SIM_MAX_BOXES * sizeof(pp_box) <= M4SIM_ARENA_BOXES_BYTES, "boxes");
/*
 * L1, L9 (stride 2) and L12 run over their own input (m4_mbconv_q7xq15_q15, m4_mbconv_q15,
 * m4_mbconv7_q15xq7_q7 with out at in): 3x3 with one row of padding above, so output row r (centre
 * row s*r, stride s) is written after input rows <= s*r + 1 are expanded into the ring; with an
 * output row no longer than s input rows and s <= 2, output row r ends at (r+1) * out_row <=
 * (s*r + 2) * in_row, the start of the first input row not yet expanded. The rows behind it are in
 * the ring already and read nowhere else; the kernels read the input only when expanding a row.
 */
#define ROW_LAG_OK(L, IN_BYTES, OUT_BYTES)                                                                   \
  (L##_HF == 3 && L##_HPADL == 1 && L##_HSTRIDE <= 2 &&                                                      \
   L##_WOUT * L##_COUT * (OUT_BYTES) <= L##_HSTRIDE * L##_W * L##_CIN * (IN_BYTES))
_Static_assert(ROW_LAG_OK(L1, 1, 2) && ROW_LAG_OK(L9, 2, 2) && ROW_LAG_OK(L12, 2, 1), "L1/L9/L12 cannot run in place");
/* The residual blocks run in place: stride 1, same padding, CIn == COut. */
#define INPLACE_OK(L)                                                                                        \
  (L##_HSTRIDE == 1 && L##_WSTRIDE == 1 && L##_CIN == L##_COUT && L##_HPADL == (L##_HF - 1) / 2 &&           \
   L##_HPADR == L##_HF / 2 && L##_WPADL == (L##_WF - 1) / 2 && L##_WPADR == L##_WF / 2)
_Static_assert(INPLACE_OK(L2) && INPLACE_OK(L3) && INPLACE_OK(L4) && INPLACE_OK(L5) && INPLACE_OK(L6) &&
                   INPLACE_OK(L7) && INPLACE_OK(L8), "L2..L8 cannot run in place");
_Static_assert(INPLACE_OK(L10) && INPLACE_OK(L11) && INPLACE_OK(L13) && INPLACE_OK(L14),
               "L10/L11/L13/L14 cannot run in place");


#define GEOMETRY(p, L)                                                                                     \
  do {                                                                                                    \
    (p).H = L##_H, (p).W = L##_W, (p).CIn = L##_CIN, (p).CTemp = L##_CTEMP, (p).COut = L##_COUT;          \
    (p).HF = L##_HF, (p).WF = L##_WF, (p).HPadU = L##_HPADL, (p).HPadD = L##_HPADR;                       \
    (p).WPadL = L##_WPADL, (p).WPadR = L##_WPADR, (p).HStride = L##_HSTRIDE, (p).WStride = L##_WSTRIDE;   \
    (p).limit1 = L##_Limit1, (p).limit2 = L##_Limit2;                                                     \
    (p).shrU1 = L##_ShRU1, (p).shrX1 = L##_ShRX1, (p).shrU2 = L##_ShRU2, (p).shrX2 = L##_ShRX2;           \
    (p).shrU3 = L##_ShRU3, (p).shrW3 = L##_ShRW3;                                                         \
    (p).shlU1 = L##_ShLU1, (p).shlX1 = L##_ShLX1, (p).shlU2 = L##_ShLU2, (p).shlX2 = L##_ShLX2;           \
    (p).shlU3 = L##_ShLU3, (p).shlW3 = L##_ShLW3;                                                         \
  } while (0)

/* Q15 weights (L1..L9). */
#define MBCONV(L)                                                                                          \
  do {                                                                                                    \
    memset(&p, 0, sizeof p);                                                                              \
    GEOMETRY(p, L);                                                                                       \
    p.F1 = L##_F1, p.W1 = L##_W1, p.B1 = L##_B1, p.F2 = L##_F2, p.W2 = L##_W2, p.B2 = L##_B2;            \
    p.F3 = L##_F3, p.W3 = L##_W3, p.B3 = L##_B3;                                                          \
  } while (0)

/* Q7 filters and BN weights, Q15 biases (L10..L12). */
#define MBCONV_Q7W(L)                                                                                      \
  do {                                                                                                    \
    memset(&q, 0, sizeof q);                                                                              \
    GEOMETRY(q, L);                                                                                       \
    q.F1 = L##_F1, q.W1 = L##_W1, q.B1 = L##_B1, q.F2 = L##_F2, q.W2 = L##_W2, q.B2 = L##_B2;            \
    q.F3 = L##_F3, q.W3 = L##_W3, q.B3 = L##_B3;                                                          \
  } while (0)

/* Everything Q7 (L13, L14). */
#define MBCONV_Q7(L)                                                                                       \
  do {                                                                                                    \
    memset(&q, 0, sizeof q);                                                                              \
    GEOMETRY(q, L);                                                                                       \
    q.F1 = L##_F1, q.W1 = L##_W1, q.B1q7 = L##_B1, q.F2 = L##_F2, q.W2 = L##_W2, q.B2q7 = L##_B2;        \
    q.F3 = L##_F3, q.W3 = L##_W3, q.B3q7 = L##_B3;                                                        \
  } while (0)

#define HEAD_CONV(K, B)                                                                                     \
  ((m4_head_conv){.w = K, .cout = K##_COUT, .scinput = K##_Scinput, .scoutput = K##_Scoutput,              \
                  .demote = K##_Demote, .b = B, .scten = B##_Scten, .scvec = B##_Scvec, .scret = B##_Scret})

/* A Q15 head with L2 norm and per-channel weight (D1..D3) on layer L's output. */
#define HEAD(D, L)                                                                                          \
  do {                                                                                                     \
    memset(&h, 0, sizeof h);                                                                               \
    h.H = L##_HOUT, h.W = L##_WOUT, h.C = L##_COUT, h.HF = D##CW_HF, h.WF = D##CW_WF;                      \
    h.conf = HEAD_CONV(D##CW, D##CB);                                                                      \
    h.loc = HEAD_CONV(D##LW, D##LB);                                                                       \
    h.l2norm = 1, h.l2_scale_in = D##_ScaleIn, h.l2_scale_out = D##_ScaleOut, h.norm_w = D##NW;            \
    h.norm_scinput = D##NW_Scinput, h.norm_scoutput = D##NW_Scoutput, h.norm_demote = D##NW_Demote;        \
  } while (0)

#define HEAD4_CONV(K, L)                                                                                    \
  ((m4_conv_params){.H = L##_HOUT, .W = L##_WOUT, .CIn = L##_COUT, .HF = K##_HF, .WF = K##_WF,             \
                    .CF = K##_CF, .COut = K##_COUT, .G = K##_G, .HPadU = K##_HPADL, .HPadD = K##_HPADR,    \
                    .WPadL = K##_WPADL, .WPadR = K##_WPADR, .HStride = K##_HSTRIDE, .WStride = K##_WSTRIDE, \
                    .HDilation = K##_HDILATION, .WDilation = K##_WDILATION, .scinput = K##_Scinput,        \
                    .scoutput = K##_Scoutput, .demote = K##_Demote})

/* Block L + its residual (EdgeML's q15_t_add / q7_t_add(input, output) back into the input), in place. */
#define RESIDUAL_BLOCK_Q15(L, inout)                                                                        \
  do {                                                                                                     \
    MBCONV(L);                                                                                             \
    if (m4_mbconv_q15_residual_inplace(inout, x_ring, x_dw, x_row, &p, L##_Scten1, L##_Scten2, L##_Scret))  \
      return -1;                                                                                           \
  } while (0)
#define RESIDUAL_BLOCK_Q7W(L, inout)                                                                        \
  do {                                                                                                     \
    MBCONV_Q7W(L);                                                                                         \
    if (m4_mbconv7_q15xq7_q15_residual_inplace(inout, a_ring, a_dw, a_row, &q, L##_Scten1, L##_Scten2,      \
                                               L##_Scret))                                                 \
      return -1;                                                                                           \
  } while (0)
#define RESIDUAL_BLOCK_Q7(L, inout)                                                                         \
  do {                                                                                                     \
    MBCONV_Q7(L);                                                                                          \
    if (m4_mbconv7_q7_residual_inplace(inout, b_ring, b_dw, b_row, &q, L##_Scten1, L##_Scten2, L##_Scret))  \
      return -1;                                                                                           \
  } while (0)

/* The arena, named as the ABI names it (m4sim_abi.h); no frame is written here: the conv streams it. */
__attribute__((section(".noinit"), aligned(8))) uint8_t m4sim_input[M4SIM_ARENA_BYTES];

int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out) {
  return face_qvga_run(m4sim_input, stop_after, threshold_q15, max_boxes, out);
}

/* A head's conf then loc, where it wrote them (BUF: its plan buffer, H<n>_OUT or H2_KEPT). */
#define HEAD_CONF(BUF) ((int16_t *)(arena + M4SIM_ARENA_##BUF))
#define HEAD_LOC(BUF, CELLS) (HEAD_CONF(BUF) + 2 * (CELLS))

int face_qvga_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                  m4sim_output_t *out) {
  int8_t *conv_out = (int8_t *)(arena + M4SIM_ARENA_CONV_OUT);
  int16_t *outputs = (int16_t *)(arena + M4SIM_ARENA_OUTPUTS);
  int16_t *x_ring = (int16_t *)(arena + M4SIM_ARENA_X_RING), *x_dw = (int16_t *)(arena + M4SIM_ARENA_X_DW);
  int16_t *x_row = (int16_t *)(arena + M4SIM_ARENA_X_ROW);
  int16_t *a_ring = (int16_t *)(arena + M4SIM_ARENA_A_RING), *a_dw = (int16_t *)(arena + M4SIM_ARENA_A_DW);
  int16_t *a_row = (int16_t *)(arena + M4SIM_ARENA_A_ROW);
  int8_t *b_ring = (int8_t *)(arena + M4SIM_ARENA_B_RING), *b_dw = (int8_t *)(arena + M4SIM_ARENA_B_DW);
  int8_t *b_row = (int8_t *)(arena + M4SIM_ARENA_B_ROW);
  m4_mbconv_params p;
  m4_mbconv7_params q;
  m4_head_params h;

  memset(out, 0, sizeof *out);
  out->magic = M4SIM_OUTPUT_MAGIC;
  out->version = 1;
  out->arena_bytes = M4SIM_ARENA_BYTES;

  /* 1. conv 3x3 stride 2 + bias + per-channel scale + ReLU6, fused, the image rows from the camera. */
  m4sim_layer_begin(LAYER_CONV);
  if (rnnpool_face_conv_streamed((int8_t *)(arena + M4SIM_ARENA_IMAGE_ROWS), conv_out)) return M4SIM_EXIT_CAMERA;
  if (m4sim_layer_end(out, stop_after, LAYER_CONV, conv_out, CONV2D_HOUT * CONV2D_WOUT * CONV2D_COUT, 0, 0)) return 0;

  /* 2. RNNPool: 8x8 patches at stride 4 -> 29x39x64 Q7 (wrapping), replicate-padded to 30x40, in place. */
  m4sim_layer_begin(LAYER_RNNPOOL);
  int8_t *pooled = (int8_t *)(arena + M4SIM_ARENA_POOLED);
  rnnpool_face_pool_8x8_inplace(conv_out, (int8_t *)(arena + M4SIM_ARENA_POOL_ROW), (Q15_T *)(arena + M4SIM_ARENA_RNN_SCRATCH),
                                (RNNPool_ShareCache *)(arena + M4SIM_ARENA_RNN_CACHE));
  if (m4sim_layer_end(out, stop_after, LAYER_RNNPOOL, pooled, 30 * 40 * 64, 0, 0)) return 0;

  /* 3. MBConv L1 (Q7 in), in place over RNNPool's output (ROW_LAG_OK). */
  m4sim_layer_begin(LAYER_MBCONV1);
  int16_t *x = (int16_t *)(arena + M4SIM_ARENA_L1_OUT);
  MBCONV(L1);
  m4_mbconv_q7xq15_q15(pooled, x, (int16_t *)(arena + M4SIM_ARENA_L1_RING), (int16_t *)(arena + M4SIM_ARENA_L1_DW), &p);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV1, x, L1_HOUT * L1_WOUT * L1_COUT * 2, 0, 0)) return 0;

  /* 4. MBConv L2..L4, each + residual (q15_t_add(input, output) back into the input), in place over X. */
  m4sim_layer_begin(LAYER_MBCONV2_4);
  RESIDUAL_BLOCK_Q15(L2, x);
  RESIDUAL_BLOCK_Q15(L3, x);
  RESIDUAL_BLOCK_Q15(L4, x);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV2_4, x, L4_HOUT * L4_WOUT * L4_COUT * 2, 0, 0)) return 0;

  /* 5. Head 1: L2 norm, x D1NW, conf 4 -> 2 (max of 3 background logits), loc 4. */
  m4sim_layer_begin(LAYER_HEAD1);
  HEAD(D1, L4);
  int16_t *c1 = HEAD_CONF(H1_OUT), *l1o = HEAD_LOC(H1_OUT, 1200);
  m4_detection_head(x, c1, l1o, (int16_t *)(arena + M4SIM_ARENA_H1_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD1, c1, 2400 * 2, l1o, 4800 * 2)) return 0;

  /* 6. MBConv L5..L8, each + residual, in place over X. */
  m4sim_layer_begin(LAYER_MBCONV5_8);
  RESIDUAL_BLOCK_Q15(L5, x);
  RESIDUAL_BLOCK_Q15(L6, x);
  RESIDUAL_BLOCK_Q15(L7, x);
  RESIDUAL_BLOCK_Q15(L8, x);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV5_8, x, L8_HOUT * L8_WOUT * L8_COUT * 2, 0, 0)) return 0;

  /* 7. Head 2. */
  m4sim_layer_begin(LAYER_HEAD2);
  HEAD(D2, L8);
  int16_t *c2 = HEAD_CONF(H2_OUT), *l2o = HEAD_LOC(H2_OUT, 1200);
  m4_detection_head(x, c2, l2o, (int16_t *)(arena + M4SIM_ARENA_H2_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD2, c2, 2400 * 2, l2o, 4800 * 2)) return 0;

  /* 8. MBConv L9, stride 2, no residual, in place over X (ROW_LAG_OK); then head 2's outputs moved. */
  m4sim_layer_begin(LAYER_MBCONV9);
  int16_t *a = (int16_t *)(arena + M4SIM_ARENA_L11_OUT);
  MBCONV(L9);
  m4_mbconv_q15(x, a, (int16_t *)(arena + M4SIM_ARENA_L9_RING), (int16_t *)(arena + M4SIM_ARENA_L9_DW), &p);
  memcpy(arena + M4SIM_ARENA_H2_KEPT, arena + M4SIM_ARENA_H2_OUT, M4SIM_ARENA_H2_OUT_BYTES);
  c2 = HEAD_CONF(H2_KEPT), l2o = HEAD_LOC(H2_KEPT, 1200);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV9, a, L9_HOUT * L9_WOUT * L9_COUT * 2, 0, 0)) return 0;

  /* 9. MBConv L10, L11 (Q7 weights, Q15 activations), each + residual, in place over A. */
  m4sim_layer_begin(LAYER_MBCONV10_11);
  RESIDUAL_BLOCK_Q7W(L10, a);
  RESIDUAL_BLOCK_Q7W(L11, a);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV10_11, a, L11_HOUT * L11_WOUT * L11_COUT * 2, 0, 0)) return 0;

  /* 10. Head 3. */
  m4sim_layer_begin(LAYER_HEAD3);
  HEAD(D3, L11);
  int16_t *c3 = HEAD_CONF(H3_OUT), *l3o = HEAD_LOC(H3_OUT, 300);
  m4_detection_head(a, c3, l3o, (int16_t *)(arena + M4SIM_ARENA_H3_RING), &h);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD3, c3, 600 * 2, l3o, 1200 * 2)) return 0;

  /* 11. MBConv L12: Q15 in, Q7 out, in place over A (ROW_LAG_OK). */
  m4sim_layer_begin(LAYER_MBCONV12);
  int8_t *b = (int8_t *)(arena + M4SIM_ARENA_L13_OUT);
  MBCONV_Q7W(L12);
  m4_mbconv7_q15xq7_q7(a, b, (int16_t *)(arena + M4SIM_ARENA_L12_RING), (int16_t *)(arena + M4SIM_ARENA_L12_DW), &q);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV12, b, L12_HOUT * L12_WOUT * L12_COUT, 0, 0)) return 0;

  /* 12, 13. MBConv L13, L14 (all Q7), each + residual (q7_t_add), in place over B. */
  m4sim_layer_begin(LAYER_MBCONV13);
  RESIDUAL_BLOCK_Q7(L13, b);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV13, b, L13_HOUT * L13_WOUT * L13_COUT, 0, 0)) return 0;
  m4sim_layer_begin(LAYER_MBCONV14);
  RESIDUAL_BLOCK_Q7(L14, b);
  if (m4sim_layer_end(out, stop_after, LAYER_MBCONV14, b, L14_HOUT * L14_WOUT * L14_COUT, 0, 0)) return 0;

  /* 14. Head 4 (no L2 norm): conf q7xq15_q7 conv + q7xq15_q7 bias; loc q7xq15_q15 conv + q15 bias. */
  m4sim_layer_begin(LAYER_HEAD4);
  int8_t *c4 = (int8_t *)(arena + M4SIM_ARENA_H4_OUT);
  int16_t *l4o = (int16_t *)(c4 + L14_HOUT * L14_WOUT * D4CW_COUT);
  m4_conv_params cw = HEAD4_CONV(D4CW, L14), lw = HEAD4_CONV(D4LW, L14);
  m4_conv_q7xq15_q7(b, D4CW, c4, &cw);
  q7xq15_q7_t_add_vec(c4, D4CB, 1, L14_HOUT, L14_WOUT, D4CW_COUT, c4, D4CB_Scten, D4CB_Scvec, D4CB_Scret);
  m4_conv_q7xq15_q15(b, D4LW, l4o, &lw);
  q15_t_add_vec(l4o, D4LB, 1, L14_HOUT, L14_WOUT, D4LW_COUT, l4o, D4LB_Scten, D4LB_Scvec, D4LB_Scret);
  if (m4sim_layer_end(out, stop_after, LAYER_HEAD4, c4, 600, l4o, 1200 * 2)) return 0;

  /*
   * 15. EdgeML's final assembly, gathering the heads' outputs in the ABI order over the dead B tensor:
   * conf H2 and H3 halved, conf H4 = (Q15)Q7 << 7, loc H4 halved (C `/`).
   */
  m4sim_layer_begin(LAYER_OUTPUTS);
  gather_scaled(outputs + M4SIM_HEAD1_CONF_OFFSET, c1, 2400, 1);
  gather_scaled(outputs + M4SIM_HEAD2_CONF_OFFSET, c2, 2400, 2);
  gather_scaled(outputs + M4SIM_HEAD3_CONF_OFFSET, c3, 600, 2);
  for (uint32_t i = 0; i < 600; i++) outputs[M4SIM_HEAD4_CONF_OFFSET + i] = (int16_t)(((int16_t)c4[i]) << 7);
  gather_scaled(outputs + M4SIM_HEAD1_LOC_OFFSET, l1o, 4800, 1);
  gather_scaled(outputs + M4SIM_HEAD2_LOC_OFFSET, l2o, 4800, 1);
  gather_scaled(outputs + M4SIM_HEAD3_LOC_OFFSET, l3o, 1200, 1);
  gather_scaled(outputs + M4SIM_HEAD4_LOC_OFFSET, l4o, 1200, 2);
  out->raw_address = (uint32_t)(uintptr_t)outputs;
  out->raw_count = M4SIM_MODEL_OUTPUTS;
  if (m4sim_layer_end(out, stop_after, LAYER_OUTPUTS, outputs, M4SIM_MODEL_OUTPUTS * 2, 0, 0)) return 0;

  /* 16. Boxes: priors, decode, score threshold, NMS (firmware/kernels/postprocess.c). */
  m4sim_layer_begin(LAYER_BOXES);
  pp_box *boxes = (pp_box *)(arena + M4SIM_ARENA_BOXES);
  uint32_t n = m4sim_detect_boxes(outputs, (uint32_t *)(arena + M4SIM_ARENA_PP_SCRATCH), boxes, threshold_q15, max_boxes,
                                  M4SIM_MAX_BOXES);
  out->box_address = (uint32_t)(uintptr_t)boxes;
  out->box_count = n;
  m4sim_layer_end(out, stop_after, LAYER_BOXES, boxes, n * (uint32_t)sizeof(pp_box), 0, 0);
  return 0;
}
