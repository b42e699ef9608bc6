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

/* quantized_rnnpool.c: q15_rnnpool_block. */
int q15_rnnpool_block(const Q15_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                      q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params, void *rnn1_buffers,
                      const void *rnn1_scales, q15_rnn_t rnn2, ITER_T hiddenDims2, const void *rnn2_params,
                      void *rnn2_buffers, const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                      SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2) {
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
  RNNPOOL_BODY();
  return 0;
}
