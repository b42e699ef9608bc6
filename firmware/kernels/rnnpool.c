/*
 * RNNPool on one patch, EdgeML DIV semantics: see rnnpool.h. Mirrors EdgeML's quantized_rnnpool.c.
 * The Q15 and Q7 variants differ only in the patch type, so the body is a macro over that type.
 */
#include <string.h>

#include "rnnpool.h"

#define RNNPOOL_BODY()                                                                               \
  do {                                                                                               \
    memset(output, 0, sizeof(Q15_T) * 4 * hiddenDims2);                                              \
    /* Rows: RNN1 over each row, then RNN2 both ways over the row summaries. */                     \
    memset(buffer, 0, sizeof(Q15_T) * hiddenDims1 * patchDim);                                       \
    for (ITER_T r = 0; r < patchDim; r++) {                                                          \
      rnn1(buffer + r * hiddenDims1, hiddenDims1, patch + stride * r * inputDims, inputDims, patchDim, \
           rnn1_params, rnn1_buffers, rnn1_scales, 0, 0);                                            \
    }                                                                                                \
    q15_v_scale_up(buffer, patchDim * hiddenDims1, buffer, ShL1);                                    \
    q15_v_scale_down(buffer, patchDim * hiddenDims1, buffer, ShR1);                                  \
    rnn2(output, hiddenDims2, buffer, hiddenDims1, patchDim, rnn2_params, rnn2_buffers, rnn2_scales, 0, \
         0);                                                                                         \
    rnn2(output + hiddenDims2, hiddenDims2, buffer, hiddenDims1, patchDim, rnn2_params, rnn2_buffers, \
         rnn2_scales, 1, 0);                                                                         \
    /* Columns: RNN1 down each column one pixel at a time, then RNN2 both ways. */                  \
    memset(buffer, 0, sizeof(Q15_T) * hiddenDims1 * patchDim);                                       \
    for (ITER_T c = 0; c < patchDim; c++) {                                                          \
      for (ITER_T r = 0; r < patchDim; r++) {                                                        \
        rnn1(buffer + c * hiddenDims1, hiddenDims1, patch + (stride * r + c) * inputDims, inputDims, 1, \
             rnn1_params, rnn1_buffers, rnn1_scales, 0, 0);                                          \
      }                                                                                              \
    }                                                                                                \
    q15_v_scale_up(buffer, patchDim * hiddenDims1, buffer, ShL1);                                    \
    q15_v_scale_down(buffer, patchDim * hiddenDims1, buffer, ShR1);                                  \
    rnn2(output + 2 * hiddenDims2, hiddenDims2, buffer, hiddenDims1, patchDim, rnn2_params,          \
         rnn2_buffers, rnn2_scales, 0, 0);                                                           \
    rnn2(output + 3 * hiddenDims2, hiddenDims2, buffer, hiddenDims1, patchDim, rnn2_params,          \
         rnn2_buffers, rnn2_scales, 1, 0);                                                           \
    q15_v_scale_up(output, 4 * hiddenDims2, output, ShL2);                                           \
    q15_v_scale_down(output, 4 * hiddenDims2, output, ShR2);                                         \
  } while (0)

/*
 * Fast path (see fastgrnn.h): taken when rnn1 / rnn2 are our own FastGRNN functions and both plans
 * apply. Same sweeps in the same order as RNNPOOL_BODY, with three exact shortcuts:
 *  - W x of a pixel is computed once and reused by its row sweep and its column sweep (same W, same x);
 *    W x of a row/column summary once for RNN2's forward and backward sweeps;
 *  - the first step of every sweep starts from the zeroed state, so U h = 0 is not computed;
 *  - no call through the function pointers or per-call setup per pixel.
 * WX1 / PLAN1 name the RNN1 input type's W x function and parameter struct.
 */
/*
 * q15_v_scale_up(v, n, v, shl) then q15_v_scale_down(v, n, v, shr) in one pass: each element is
 * (Q15_T)((Q15_T)(v shl) / shr), the narrowing of the first op kept, the division C's `/` (a shift
 * with sign correction for a power of two, as quantized.c's div_pow2).
 */
static void scale_up_down(Q15_T *v, ITER_T n, SCALE_T shl, SCALE_T shr) {
  if (shr > 0 && (shr & (shr - 1)) == 0) {
    const int k = __builtin_ctz((uint32_t)shr);
    const Q31_T m = shr - 1;
    for (ITER_T i = 0; i < n; i++) {
      Q31_T x = (Q15_T)((Q31_T)v[i] * shl);
      v[i] = (Q15_T)((x + ((x >> 31) & m)) >> k);
    }
    return;
  }
  q15_v_scale_up(v, n, v, shl);
  q15_v_scale_down(v, n, v, shr);
}

/*
 * Sharing with neighbours (q7xq15_q15_rnnpool_block_shared; the plain blocks pass zeros):
 *  - WX1S: where W x of the pixels lives, pixel (r, c) at ((ROW0 + r) P + slot(c)) h1 with
 *    slot(c) = (c + BASE) mod P; only pixels with r >= NEWR and c >= NEWC are computed, the others
 *    are there already (computed for the patch above or to the left: same pixel, same slot);
 *  - RNN1's final states of the first NRCACHED rows come from RCACHE (the patch above) and of the
 *    first NCACHED columns from CACHE (the patch to the left); the last NRSTORE rows / NSTORE columns
 *    are left there for the next patches.
 */
#define RNNPOOL_FAST_BODY(WX1, WX1S, ROW0, BASE, NEWR, NEWC, RCACHE, NRCACHED, NRSTORE, CACHE, NCACHED, NSTORE) \
  do {                                                                                               \
    const ITER_T P = patchDim, h1 = hiddenDims1, h2 = hiddenDims2;                                   \
    Q15_T *const wxr = (WX1S) + (ROW0) * P * h1;                                                     \
    ITER_T slot[RNNPOOL_FAST_MAX_PATCH];                                                             \
    for (ITER_T c = 0; c < P; c++) slot[c] = c + (BASE) >= P ? c + (BASE) - P : c + (BASE);          \
    Q15_T wx2[RNNPOOL_FAST_MAX_WX2]; /* W x of summary t at t h2 */                                 \
    memset(output, 0, sizeof(Q15_T) * 4 * h2);                                                       \
    for (ITER_T r = (NEWR); r < P; r++)                                                              \
      for (ITER_T c = (NEWC); c < P; c++)                                                            \
        WX1(&plan1, patch + (stride * r + c) * inputDims, wxr + (r * P + slot[c]) * h1);             \
    for (int pass = 0; pass < 2; pass++) {                                                           \
      /* pass 0: RNN1 along each row; pass 1: down each column. */                                   \
      memset(buffer, 0, sizeof(Q15_T) * h1 * P);                                                     \
      ITER_T a0 = pass ? (NCACHED) : (NRCACHED);                                                     \
      if (a0) memcpy(buffer, pass ? (CACHE) : (RCACHE), sizeof(Q15_T) * h1 * a0);                    \
      for (ITER_T a = a0; a < P; a++)                                                                \
        for (ITER_T t = 0; t < P; t++)                                                               \
          fastgrnn_plan_step(&plan1, buffer + a * h1, wxr + (pass ? t * P + slot[a] : a * P + slot[t]) * h1, \
                             t == 0);                                                                \
      ITER_T nst = pass ? (NSTORE) : (NRSTORE);                                                      \
      if (nst) memcpy(pass ? (CACHE) : (RCACHE), buffer + (P - nst) * h1, sizeof(Q15_T) * h1 * nst);  \
      scale_up_down(buffer, P * h1, ShL1, ShR1);                                                     \
      for (ITER_T t = 0; t < P; t++) fastgrnn_plan_wx_q15(&plan2, buffer + t * h1, wx2 + t * h2);          \
      Q15_T *fwd = output + 2 * pass * h2, *bwd = fwd + h2;                                          \
      for (ITER_T t = 0; t < P; t++) fastgrnn_plan_step(&plan2, fwd, wx2 + t * h2, t == 0);                \
      for (ITER_T t = 0; t < P; t++) fastgrnn_plan_step(&plan2, bwd, wx2 + (P - 1 - t) * h2, t == 0);        \
    }                                                                                                \
    scale_up_down(output, 4 * h2, ShL2, ShR2);                                                       \
  } while (0)

/* Plans for both RNNs, or 0 when the fast path does not apply. */
static int rnnpool_plans(FastGRNN_Plan *plan1, FastGRNN_Plan *plan2, ITER_T inputDims, ITER_T patchDim,
                         ITER_T hiddenDims1, const Q15_T *W1, const Q15_T *U1, const Q15_T *Bg1, const Q15_T *Bh1,
                         Q15_T zeta1, Q15_T nu1, const void *rnn1_scales, ITER_T hiddenDims2,
                         const void *rnn2_params, const void *rnn2_scales) {
  const Q15_FastGRNN_Params *p2 = (const Q15_FastGRNN_Params *)rnn2_params;
  return patchDim > 0 && patchDim <= RNNPOOL_FAST_MAX_PATCH &&
         patchDim * patchDim * hiddenDims1 <= RNNPOOL_FAST_MAX_WX1 && patchDim * hiddenDims2 <= RNNPOOL_FAST_MAX_WX2 &&
         fastgrnn_plan_init(plan1, hiddenDims1, inputDims, W1, U1, Bg1, Bh1, zeta1, nu1,
                            (const Q15_FastGRNN_Scales *)rnn1_scales) &&
         fastgrnn_plan_init(plan2, hiddenDims2, hiddenDims1, p2->W, p2->U, p2->Bg, p2->Bh, p2->sigmoid_zeta,
                            p2->sigmoid_nu, (const Q15_FastGRNN_Scales *)rnn2_scales);
}

/* quantized_rnnpool.c: q15_rnnpool_block. */
int q15_rnnpool_block(const Q15_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                      q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params, void *rnn1_buffers,
                      const void *rnn1_scales, q15_rnn_t rnn2, ITER_T hiddenDims2, const void *rnn2_params,
                      void *rnn2_buffers, const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                      SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2) {
  if (rnn1 == q15_fastgrnn && rnn2 == q15_fastgrnn) {
    const Q15_FastGRNN_Params *p1 = (const Q15_FastGRNN_Params *)rnn1_params;
    FastGRNN_Plan plan1, plan2;
    if (rnnpool_plans(&plan1, &plan2, inputDims, patchDim, hiddenDims1, p1->W, p1->U, p1->Bg, p1->Bh,
                      p1->sigmoid_zeta, p1->sigmoid_nu, rnn1_scales, hiddenDims2, rnn2_params, rnn2_scales)) {
      Q15_T wx1[RNNPOOL_FAST_MAX_WX1]; /* 2 KB of stack */
      RNNPOOL_FAST_BODY(fastgrnn_plan_wx_q15, wx1, 0, 0, 0, 0, (Q15_T *)0, 0, 0, (Q15_T *)0, 0, 0);
      return 0;
    }
  }
  RNNPOOL_BODY();
  return 0;
}

/* quantized_rnnpool.c: q7xq15_q15_rnnpool_block. */
int q7xq15_q15_rnnpool_block(const Q7_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                             q7xq15_q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params,
                             void *rnn1_buffers, const void *rnn1_scales, q15_rnn_t rnn2,
                             ITER_T hiddenDims2, const void *rnn2_params, void *rnn2_buffers,
                             const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                             SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2) {
  if (rnn1 == q7xq15_q15_fastgrnn && rnn2 == q15_fastgrnn) {
    const Q7xQ15_FastGRNN_Params *p1 = (const Q7xQ15_FastGRNN_Params *)rnn1_params;
    FastGRNN_Plan plan1, plan2;
    if (rnnpool_plans(&plan1, &plan2, inputDims, patchDim, hiddenDims1, p1->W, p1->U, p1->Bg, p1->Bh,
                      p1->sigmoid_zeta, p1->sigmoid_nu, rnn1_scales, hiddenDims2, rnn2_params, rnn2_scales)) {
      Q15_T wx1[RNNPOOL_FAST_MAX_WX1]; /* 2 KB of stack */
      RNNPOOL_FAST_BODY(fastgrnn_plan_wx_q7, wx1, 0, 0, 0, 0, (Q15_T *)0, 0, 0, (Q15_T *)0, 0, 0);
      return 0;
    }
  }
  RNNPOOL_BODY();
  return 0;
}

/* q7xq15_q15_rnnpool_block sharing work with the neighbours: see rnnpool.h. */
int q7xq15_q15_rnnpool_block_shared(const Q7_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                                    q7xq15_q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params,
                                    void *rnn1_buffers, const void *rnn1_scales, q15_rnn_t rnn2,
                                    ITER_T hiddenDims2, const void *rnn2_params, void *rnn2_buffers,
                                    const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                                    SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2,
                                    RNNPool_ShareCache *cache, ITER_T patchStep, ITER_T bandRow, ITER_T col) {
  if (rnn1 == q7xq15_q15_fastgrnn && rnn2 == q15_fastgrnn && patchStep > 0 && patchStep < patchDim &&
      bandRow < RNNPOOL_BAND_ROWS && (patchDim - patchStep) * hiddenDims1 <= RNNPOOL_SHARE_VALUES &&
      (patchDim + (RNNPOOL_BAND_ROWS - 1) * patchStep) * patchDim * hiddenDims1 <= RNNPOOL_BAND_WX) {
    const Q7xQ15_FastGRNN_Params *p1 = (const Q7xQ15_FastGRNN_Params *)rnn1_params;
    FastGRNN_Plan plan1, plan2;
    if (rnnpool_plans(&plan1, &plan2, inputDims, patchDim, hiddenDims1, p1->W, p1->U, p1->Bg, p1->Bh,
                      p1->sigmoid_zeta, p1->sigmoid_nu, rnn1_scales, hiddenDims2, rnn2_params, rnn2_scales)) {
      const ITER_T shared = patchDim - patchStep;
      const ITER_T above = bandRow > 0 ? shared : 0, left = col > 0 ? shared : 0;
      /* The ring slot of absolute column col patchStep + c is (col patchStep + c) mod patchDim. */
      const ITER_T base = (col * patchStep) % patchDim;
      RNNPOOL_FAST_BODY(fastgrnn_plan_wx_q7, cache->wx, bandRow * patchStep, base, above, left, cache->rows,
                        above, shared, cache->cols[bandRow], left, shared);
      return 0;
    }
  }
  /* Every other case: the whole patch (the cache is neither read nor written, here or later). */
  return q7xq15_q15_rnnpool_block(patch, inputDims, patchDim, stride, rnn1, hiddenDims1, rnn1_params,
                                  rnn1_buffers, rnn1_scales, rnn2, hiddenDims2, rnn2_params, rnn2_buffers,
                                  rnn2_scales, output, buffer, ShR1, ShL1, ShR2, ShL2);
}
