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

_Static_assert(CONV2D_WOUT == 160 && INPUT_CHANNELS == 4 && PATCH_DIM == 8, "a 30x40x64 output over 120x160x4");
void rnnpool_face_pool_8x8_inplace(int8_t *conv_out, int8_t *rows, Q15_T *scratch, RNNPool_ShareCache *cache) {
  for (uint32_t first = 0; first < 29; first += RNNPOOL_BAND_ROWS) {
    const uint32_t n = rnnpool_face_pool_band(conv_out, first, rows, scratch, cache);
    memcpy(conv_out + first * 2560, rows, n * 2560);
  }
  memcpy(conv_out + 29 * 2560, conv_out + 28 * 2560, 2560);
}
