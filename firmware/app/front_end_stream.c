#include "front_end_stream.h"

#include <string.h>

#include "camera.h"
#include "conv.h"
#include "front_end.h"
#include "model.h"

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

_Static_assert(CBR1F_H == M4SIM_CAMERA_HEIGHT && CBR1F_W == M4SIM_CAMERA_WIDTH && CBR1F_CIN == 1, "camera frame");
_Static_assert(CBR1F_HF * CBR1F_W == RNNPOOL_FACE_WINDOW_BYTES, "image rows");
_Static_assert(CBR1F_HF == 3 && CBR1F_HSTRIDE == 2 && CBR1F_HPADL == 1 && CBR1F_HPADR == 1, "conv row window");
_Static_assert(CONV2D_HOUT * 2 == CBR1F_H, "every image row read once");
int rnnpool_face_conv_streamed(int8_t *window, int8_t *conv_out) {
  const uint32_t W = CBR1F_W, row_out = CONV2D_WOUT * CONV2D_COUT;
  memset(window, 0, W);
  for (uint32_t c = 0; c < CONV2D_HOUT; c++) {
    if (c > 0) memcpy(window, window + 2 * W, W);
    if (m4sim_camera_rows(window + W, 2 * c, 2)) return -1;
    rnnpool_face_conv_row(window, conv_out + c * row_out);
  }
  return 0;
}
