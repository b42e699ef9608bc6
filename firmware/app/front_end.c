#include "front_end.h"

#include <string.h>

#include "conv.h"
#include "model.h"
#include "rnnpool.h"

void rnnpool_face_conv(const int8_t *image, int8_t *conv_out) {
  const m4_conv2d_cbr_params cbr = RNNPOOL_FACE_CBR_PARAMS(CBR1F_H, CBR1F_HPADL, CBR1F_HPADR);
  m4_conv2d_cbr(image, conv_out, &cbr);
}

uint32_t rnnpool_face_pool_scratch_values(void) { return 4 * HIDDEN_DIM2 + HIDDEN_DIM1 * PATCH_DIM; }

void rnnpool_face_pool_8x8(const int8_t *conv_out, int8_t *pooled, Q15_T *scratch) {
  Q15_T *patch_out = scratch;
  Q15_T *patch_buf = scratch + 4 * HIDDEN_DIM2;
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
}
