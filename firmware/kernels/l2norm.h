/*
 * EdgeML's q15_t_l2_norm (DIV build), per pixel of an NHWC Q15 tensor with C channels:
 *   sum   = Σ_c (x_c * x_c) >> (2 * scale_out)                     (int32, wrapping)
 *   inv   = binary search on [1, (int16)(1 << (scale_out - 1))): low = 1, high = that; while
 *           low + 1 < high: mid = (low + high) >> 1; (int64)sum * mid * mid > (1 << -(2*scale_in + 2))
 *           ? high = mid : low = mid                               → inv = low
 *   out_c = (x_c / (1 << scale_out)) * inv                          → int16 (wrap)
 * scale_in and scale_out are exponents (EdgeML's D*_ScaleIn, D*_ScaleOut, e.g. -12 and 8); the
 * threshold shift -(2*scale_in + 2) must be in 0..30 and scale_out in 1..30.
 * out may be in (in place).
 */
#ifndef M4_KERNELS_L2NORM_H
#define M4_KERNELS_L2NORM_H

#include <stdint.h>

/* One pixel of C channels. Returns the inverse norm found by the search. */
int16_t m4_l2norm_pixel_q15(const int16_t *in, uint32_t C, int16_t *out, int32_t scale_in, int32_t scale_out);
/* pixels * C elements. */
void m4_l2norm_q15(const int16_t *in, uint32_t pixels, uint32_t C, int16_t *out, int32_t scale_in,
                   int32_t scale_out);

#endif
