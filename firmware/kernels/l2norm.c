/* Per-pixel L2 normalisation: see l2norm.h. */
#include "l2norm.h"

#include "conv.h"

int16_t m4_l2norm_pixel_q15(const int16_t *in, uint32_t C, int16_t *out, int32_t scale_in, int32_t scale_out) {
  uint32_t sum = 0; /* EdgeML's Q31 sum_square; wraps like gcc's adds */
  int shift = 2 * scale_out;
  for (uint32_t c = 0; c < C; c++) {
    int32_t x = in[c];
    sum += (uint32_t)((x * x) >> shift);
  }
  int32_t sum_square = (int32_t)sum;
  int16_t low = 1;
  int16_t high = (int16_t)(1 << (scale_out - 1));
  int32_t one = (int32_t)(1u << (-(2 * scale_in + 2)));
  while (low + 1 < high) {
    int16_t mid = (int16_t)((high + low) >> 1);
    if ((int64_t)sum_square * mid * mid > one) {
      high = mid;
    } else {
      low = mid;
    }
  }
  int32_t div = (int32_t)(1u << scale_out);
  for (uint32_t c = 0; c < C; c++) out[c] = (int16_t)(m4_div32(in[c], div) * low);
  return low;
}

void m4_l2norm_q15(const int16_t *in, uint32_t pixels, uint32_t C, int16_t *out, int32_t scale_in,
                   int32_t scale_out) {
  for (uint32_t i = 0; i < pixels; i++) m4_l2norm_pixel_q15(in + i * C, C, out + i * C, scale_in, scale_out);
}
