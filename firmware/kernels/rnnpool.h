/*
 * RNNPool on one patch, EdgeML DIV semantics: mirrors q15_rnnpool_block and q7xq15_q15_rnnpool_block
 * of c_reference/src/quantized_rnnpool.c (our own code). TS twin: src/reference/rnnpool.ts.
 *
 * The patch is patchDim x patchDim pixels of inputDims channels (HWC) inside an image whose rows are
 * `stride` pixels apart: pixel (r, c) is at patch[(stride r + c) inputDims].
 *   1. RNN1 sweeps each row (patchDim steps) from a zero state -> patchDim row summaries;
 *      they are multiplied by ShL1 (wrapping) and divided by ShR1.
 *   2. RNN2 forward and backward over the row summaries -> output[0 .. 2 h2).
 *   3. RNN1 sweeps each column -> column summaries, rescaled as in 1.
 *   4. RNN2 forward and backward over them -> output[2 h2 .. 4 h2).
 *   5. The 4 h2 outputs are multiplied by ShL2 and divided by ShR2.
 * Caller-owned memory: output 4 hiddenDims2 Q15, buffer hiddenDims1 patchDim Q15 (256 bytes for the
 * M4 model), plus the RNNs' own buffers. Stack: a few words.
 */
#ifndef M4SIM_RNNPOOL_H
#define M4SIM_RNNPOOL_H

#include "fastgrnn.h"

/* The RNN signatures of q15_fastgrnn and q7xq15_q15_fastgrnn. */
typedef int (*q15_rnn_t)(Q15_T *const, ITER_T, const Q15_T *const, ITER_T, ITER_T, const void *, void *,
                         const void *, int, int);
typedef int (*q7xq15_q15_rnn_t)(Q15_T *const, ITER_T, const Q7_T *const, ITER_T, ITER_T, const void *,
                                void *, const void *, int, int);

/* quantized_rnnpool.c: q15_rnnpool_block (Q15 patch). Returns 0. */
int q15_rnnpool_block(const Q15_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                      q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params, void *rnn1_buffers,
                      const void *rnn1_scales, q15_rnn_t rnn2, ITER_T hiddenDims2, const void *rnn2_params,
                      void *rnn2_buffers, const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                      SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2);

/* quantized_rnnpool.c: q7xq15_q15_rnnpool_block (Q7 patch, as in the M4 face pipeline). Returns 0. */
int q7xq15_q15_rnnpool_block(const Q7_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                             q7xq15_q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params,
                             void *rnn1_buffers, const void *rnn1_scales, q15_rnn_t rnn2,
                             ITER_T hiddenDims2, const void *rnn2_params, void *rnn2_buffers,
                             const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                             SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2);

/*
 * q7xq15_q15_rnnpool_block for a grid of patches patchStep (< patchDim) pixels apart, visited in
 * bands of RNNPOOL_BAND_ROWS patch rows: band by band, column by column (col = 0, 1, ...), and in a
 * column from the band's top patch (bandRow 0) down. A patch shares patchDim - patchStep rows with
 * the one above it in the band and as many columns with the one to its left. RNN1 along a row or a
 * column and W x of a pixel depend only on those pixels (every sweep starts from the zero state), so
 * their values are taken from the cache instead of being computed again, and the patch leaves its
 * own there for the next ones. Same outputs as q7xq15_q15_rnnpool_block; the cache is caller-owned
 * and needs no initialisation (it is untouched when the fast path does not apply, which is then the
 * case for every patch of the same model).
 */
#define RNNPOOL_FAST_MAX_PATCH 8
#define RNNPOOL_FAST_MAX_WX1 (RNNPOOL_FAST_MAX_PATCH * RNNPOOL_FAST_MAX_PATCH * 16)
#define RNNPOOL_FAST_MAX_WX2 (RNNPOOL_FAST_MAX_PATCH * 16) /* patchDim hiddenDims2 */
/*
 * Patch rows per band: the patches below the band's top one share their top rows with the one above.
 * A pipeline that keeps the cache in its arena sets more (-DRNNPOOL_BAND_ROWS from its architecture
 * descriptor's rnnpoolBandRows, src/detector/build.ts); by default two, on the caller's stack, and at
 * -O0, whose frames are larger, one (no row sharing, the same outputs), which keeps the detector's
 * deepest stack inside its reserve (src/detector/fit.ts).
 */
#ifndef RNNPOOL_BAND_ROWS
#ifdef __OPTIMIZE__
#define RNNPOOL_BAND_ROWS 2
#else
#define RNNPOOL_BAND_ROWS 1
#endif
#endif
#define RNNPOOL_SHARE_VALUES 64 /* (patchDim - patchStep) hiddenDims1: 4 rows or columns of 16 */
/* (patchDim + (RNNPOOL_BAND_ROWS - 1) patchStep) patchDim hiddenDims1: 8x8 patches at stride 4, 16 hidden */
#define RNNPOOL_BAND_WX ((8 + (RNNPOOL_BAND_ROWS - 1) * 4) * 8 * 16)
typedef struct RNNPool_ShareCache {
  Q15_T wx[RNNPOOL_BAND_WX];                          /* W x of the band's pixels, columns in a ring */
  Q15_T rows[RNNPOOL_SHARE_VALUES];                   /* RNN1 row states of the patch above */
  Q15_T cols[RNNPOOL_BAND_ROWS][RNNPOOL_SHARE_VALUES]; /* column states of the patch to the left */
} RNNPool_ShareCache;

int q7xq15_q15_rnnpool_block_shared(const Q7_T *const patch, ITER_T inputDims, ITER_T patchDim, ITER_T stride,
                                    q7xq15_q15_rnn_t rnn1, ITER_T hiddenDims1, const void *rnn1_params,
                                    void *rnn1_buffers, const void *rnn1_scales, q15_rnn_t rnn2,
                                    ITER_T hiddenDims2, const void *rnn2_params, void *rnn2_buffers,
                                    const void *rnn2_scales, Q15_T *const output, Q15_T *const buffer,
                                    SCALE_T ShR1, SCALE_T ShL1, SCALE_T ShR2, SCALE_T ShL2,
                                    RNNPool_ShareCache *cache, ITER_T patchStep, ITER_T bandRow, ITER_T col);

#endif
