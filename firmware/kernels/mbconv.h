/*
 * EdgeML's streaming MBConv block (quantized_mbconv.c), DIV arithmetic (C `/`, wrapping stores):
 *
 *   expand   1x1 CIn → CTemp:   x = (int32)((sum * shlU1) / shrU1 + B1[k]) * W1[k]
 *                               x = clamp(x, 0, limit1); ring[k] = (x * shlX1) / shrX1   → int16
 *   depthwise HFxWF, per channel (filter F2[CTemp][HF][WF]), taps outside the image skipped:
 *                               x = (int32)((sum * shlU2) / shrU2 + B2[g]) * W2[g]
 *                               x = clamp(x, 0, limit2); dw[g] = (x * shlX2) / shrX2      → int16
 *   project  1x1 CTemp → COut:  out = ((int32)((sum * shlU3) / shrU3 + B3[i]) * W3[i] * shlW3) / shrW3
 *                                                                                          → int16
 * F1 is [CIn][CTemp], F3 is [CTemp][COut]. The int32 products wrap; the narrowing stores wrap.
 * m4_mbconv_q7xq15_q15 (Q7 input, EdgeML's q7xq15_q15_mbconv_block) sums in int32 (wrapping);
 * m4_mbconv_q15 (q15_mbconv_block) sums in int64 and then truncates `(sum*shl)/shr + B` to int32.
 *
 * Streaming: the expanded tensor is never held whole. Expanded rows go into a ring of HF rows
 * (row r at slot r % HF), each input row is expanded once, just before the first output row that
 * needs it. Buffers (caller-owned, no overlap with each other or with in/out):
 *   ring: m4_mbconv_ring_len(p) int16  = HF * W * CTemp   (e.g. L1: 3 * 40 * 128 * 2 B = 30,720 B)
 *   dw:   CTemp int16                  (one pixel of depthwise output)
 *   out:  m4_mbconv_hout(p) * m4_mbconv_wout(p) * COut int16
 * Output rows h = (HF-1)/2 - HPadU, +HStride, ... while h < H - (HF/2 - HPadD); columns likewise.
 */
#ifndef M4_KERNELS_MBCONV_H
#define M4_KERNELS_MBCONV_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t H, W, CIn, CTemp, COut;
  uint32_t HF, WF;
  int32_t HPadU, HPadD, WPadL, WPadR;
  uint32_t HStride, WStride;
  const int16_t *F1, *W1, *B1; /* expand:    F1[CIn][CTemp], W1/B1[CTemp] */
  const int16_t *F2, *W2, *B2; /* depthwise: F2[CTemp][HF][WF], W2/B2[CTemp] */
  const int16_t *F3, *W3, *B3; /* project:   F3[CTemp][COut], W3/B3[COut] */
  int32_t limit1, limit2;
  int32_t shrU1, shrX1, shrU2, shrX2, shrU3, shrW3; /* divisors */
  int32_t shlU1, shlX1, shlU2, shlX2, shlU3, shlW3; /* multipliers */
} m4_mbconv_params;

uint32_t m4_mbconv_hout(const m4_mbconv_params *p);
uint32_t m4_mbconv_wout(const m4_mbconv_params *p);
/* Elements (int16) of the expanded-row ring buffer: HF * W * CTemp. */
size_t m4_mbconv_ring_len(const m4_mbconv_params *p);

void m4_mbconv_q7xq15_q15(const int8_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p);
void m4_mbconv_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p);

/*
 * The pipeline's residual connection (EdgeML q15_t_add(input, block output, ...)):
 *   ret[i] = a[i] / (scten1 * scret) + b[i] / (scten2 * scret)   → int16 (wrap)
 * ret may be a or b.
 */
void m4_residual_add_q15(const int16_t *a, const int16_t *b, uint32_t len, int16_t *ret, int32_t scten1,
                         int32_t scten2, int32_t scret);

/*
 * m4_mbconv_q15(inout, out, ring, dw, p) followed by m4_residual_add_q15(inout, out, len, inout, scten1,
 * scten2, scret), bit for bit, without the output tensor: each output pixel goes to `row` (COut int16
 * scratch), then its residual sum is written over the same input pixel (safe because the block has
 * already expanded that input row into the ring and reads the input nowhere else; see mbconv.c).
 * Needs stride 1, CIn == COut and "same" padding (HPadU = (HF-1)/2, HPadD = HF/2, likewise W) so the
 * output has the input's shape; returns -1 without touching anything otherwise, 0 when done.
 * ring, dw and row must not overlap each other or inout.
 */
int m4_mbconv_q15_residual_inplace(int16_t *inout, int16_t *ring, int16_t *dw, int16_t *row,
                                   const m4_mbconv_params *p, int32_t scten1, int32_t scten2, int32_t scret);

#endif
