#include "front_end_stream.h"

#include <string.h>

#include "conv.h"
#include "front_end.h"
#include "model.h"
#include "rnnpool.h"

/*
 * A window of CBR1F_HF image rows without padding gives exactly the one output row centred on its
 * middle row (m4_conv2d_cbr with dilation 1: h_lo = (HF-1)/2, h_hi = HF - HF/2 = h_lo + 1), with the
 * model's column padding. A padding row above or below the image is a row of zeros in the window: its
 * taps add 0 to the wrapping int32 sum instead of being skipped, the same sum bit for bit.
 */
_Static_assert(CBR1F_HDILATION == 1, "the row window assumes dilation 1");
void rnnpool_face_conv_row(const int8_t *window, int8_t *conv_row) {
  const m4_conv2d_cbr_params cbr = RNNPOOL_FACE_CBR_PARAMS(CBR1F_HF, 0, 0);
  m4_conv2d_cbr(window, conv_row, &cbr);
}

/* rnnpool_face_pool_8x8's loop (front_end.c), each patch row gathered in `row` first. */
_Static_assert(CONV2D_WOUT == 160 && INPUT_CHANNELS == 4 && PATCH_DIM == 8, "a 30x40x64 output over 120x160x4");
void rnnpool_face_pool_8x8_inplace(int8_t *conv_out, int8_t *row, Q15_T *scratch) {
  Q15_T *patch_out = scratch;
  Q15_T *patch_buf = scratch + 4 * HIDDEN_DIM2;
  for (uint32_t px = 0; px < 29; px++) {
    for (uint32_t py = 0; py < 39; py++) {
      const int8_t *patch = conv_out + (px * 4 * CONV2D_WOUT + py * 4) * INPUT_CHANNELS;
      q7xq15_q15_rnnpool_block(patch, INPUT_CHANNELS, PATCH_DIM, CONV2D_WOUT, q7xq15_q15_fastgrnn, HIDDEN_DIM1,
                               &RNN1_PARAMS, &RNN1_BUFFERS, &RNN1_SCALES, q15_fastgrnn, HIDDEN_DIM2,
                               &RNN2_PARAMS, &RNN2_BUFFERS, &RNN2_SCALES, patch_out, patch_buf, ShR1, ShL1,
                               ShR2, ShL2);
      for (uint32_t i = 0; i < 64; i++) row[py * 64 + i] = (int8_t)patch_out[i];
    }
    /* Column 39 := column 38, then the row over conv rows 4px .. 4px+3; row 29 := row 28 at the end. */
    memcpy(row + 39 * 64, row + 38 * 64, 64);
    memcpy(conv_out + px * 2560, row, 2560);
  }
  memcpy(conv_out + 29 * 2560, conv_out + 28 * 2560, 2560);
}
