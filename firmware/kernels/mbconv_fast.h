/*
 * EdgeML's q15xq7_q15_mbconv_block (quantized_mbconv.c), used by the face-3 ("fast") pipeline's MBConv
 * L3 and L4: Q15 input, Q7 weights (F1, W1, F2, W2, F3, W3), Q15 biases, int32 sums (wrapping), Q15
 * output. DIV arithmetic as in mbconv.h:
 *
 *   expand   x = clamp((int32)((sum * shlU1) / shrU1 + B1[k]) * W1[k], 0, limit1);
 *            ring[k] = (x * shlX1) / shrX1                                                 → int16
 *   depthwise (F2[CTemp][HF][WF], taps outside the map skipped), same with U2 / X2 / B2 / W2 / limit2
 *   project  out = ((int32)((sum * shlU3) / shrU3 + B3[i]) * W3[i] * shlW3) / shrW3         → int16
 *
 * Every product and sum is int32 with wrap-around, every narrowing store wraps. TS twin:
 * mbconvQ15xQ7Q15 in src/reference/mbconv.ts.
 *
 * Streaming as m4_mbconv_q15 (mbconv.h): expanded rows go into a ring of HF rows; input row r is read
 * only while it is expanded, which happens just before the first output row needing it; output row
 * `ho` is written only after that. Buffers: ring HF * W * CTemp int16, dw CTemp int16; ring and dw
 * must not overlap anything else.
 *
 * In-place use: `out` may start below `in` and run into it, as long as no output row reaches an input
 * row not yet expanded. m4_mbconv_q7w_inplace_gap(p) is the smallest `in - out` distance (bytes) for
 * which that holds (with stride-1 rows: out + (ho+1) * WOut * COut <= in + first unexpanded row).
 */
#ifndef M4_KERNELS_MBCONV_FAST_H
#define M4_KERNELS_MBCONV_FAST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t H, W, CIn, CTemp, COut;
  uint32_t HF, WF;
  int32_t HPadU, HPadD, WPadL, WPadR;
  uint32_t HStride, WStride;
  const int8_t *F1, *W1; /* expand:    F1[CIn][CTemp], W1[CTemp] */
  const int16_t *B1;     /*            B1[CTemp] */
  const int8_t *F2, *W2; /* depthwise: F2[CTemp][HF][WF], W2[CTemp] */
  const int16_t *B2;
  const int8_t *F3, *W3; /* project:   F3[CTemp][COut], W3[COut] */
  const int16_t *B3;
  int32_t limit1, limit2;
  int32_t shrU1, shrX1, shrU2, shrX2, shrU3, shrW3; /* divisors */
  int32_t shlU1, shlX1, shlU2, shlX2, shlU3, shlW3; /* multipliers */
} m4_mbconv_q7w_params;

uint32_t m4_mbconv_q7w_hout(const m4_mbconv_q7w_params *p);
uint32_t m4_mbconv_q7w_wout(const m4_mbconv_q7w_params *p);
/* Elements (int16) of the ring: HF * W * CTemp. */
size_t m4_mbconv_q7w_ring_len(const m4_mbconv_q7w_params *p);
/* Smallest (in - out) in bytes for which `out` may overlap `in` (see above); 0 means any out <= in. */
uint32_t m4_mbconv_q7w_inplace_gap(const m4_mbconv_q7w_params *p);

void m4_mbconv_q15xq7_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw,
                          const m4_mbconv_q7w_params *p);

#endif
