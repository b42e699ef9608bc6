#include "front_end.h"

#include <string.h>

#include "model.h"
#include "rnnpool.h"

uint32_t rnnpool_face_pool_scratch_values(void) { return 4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM; }

uint32_t rnnpool_face_pool_band(const int8_t *conv_out, uint32_t first, int8_t *rows, Q15_T *scratch,
                                RNNPool_ShareCache *cache) {
  Q15_T *patch_out = scratch;
  Q15_T *patch_buf = scratch + 4 * HIDDEN_DIM2;
  const uint32_t n = first + RNNPOOL_BAND_ROWS <= 29 ? RNNPOOL_BAND_ROWS : 29 - first;
  /* Column by column, each column's patches from the band's top down (what the cache shares, rnnpool.h). */
  for (uint32_t py = 0; py < 39; py++) {
    for (uint32_t b = 0; b < n; b++) {
      const int8_t *patch = conv_out + ((first + b) * 4 * CONV2D_WOUT + py * 4) * INPUT_CHANNELS;
      q7xq15_q15_rnnpool_block_shared(patch, INPUT_CHANNELS, PATCH_DIM, CONV2D_WOUT, q7xq15_q15_fastgrnn,
                                      HIDDEN_DIM1, &RNN1_PARAMS, &RNN1_BUFFERS, &RNN1_SCALES, q15_fastgrnn,
                                      HIDDEN_DIM2, &RNN2_PARAMS, &RNN2_BUFFERS, &RNN2_SCALES, patch_out,
                                      patch_buf, ShR1, ShL1, ShR2, ShL2, cache, 4, b, py);
      int8_t *dst = rows + (b * 40 + py) * 64;
      for (uint32_t i = 0; i < 64; i++) dst[i] = (int8_t)patch_out[i];
    }
  }
  for (uint32_t b = 0; b < n; b++) memcpy(rows + b * 2560 + 39 * 64, rows + b * 2560 + 38 * 64, 64);
  return n;
}

/* A band at a time, gathered in `rows` first (see front_end.h). */
_Static_assert(CONV2D_WOUT == 160 && INPUT_CHANNELS == 4 && PATCH_DIM == 8, "a 30x40x64 output over 120x160x4");
void rnnpool_face_pool_8x8_inplace(int8_t *conv_out, int8_t *rows, Q15_T *scratch, RNNPool_ShareCache *cache) {
  for (uint32_t first = 0; first < 29; first += RNNPOOL_BAND_ROWS) {
    const uint32_t n = rnnpool_face_pool_band(conv_out, first, rows, scratch, cache);
    memcpy(conv_out + first * 2560, rows, n * 2560);
  }
  memcpy(conv_out + 29 * 2560, conv_out + 28 * 2560, 2560);
}
