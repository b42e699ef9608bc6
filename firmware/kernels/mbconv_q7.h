/*
 * EdgeML's streaming MBConv blocks with Q7 weights (quantized_mbconv.c), DIV arithmetic (C `/`
 * truncating toward zero, wrapping int32 products and narrowing stores), used by the face-2
 * (RNNPool_Face_QVGA_monochrome) pipeline's L10–L14:
 *
 *   m4_mbconv7_q15xq7_q15  (q15xq7_q15_mbconv_block): Q15 input, Q7 F/W, Q15 B, Q15 ring/dw/output
 *   m4_mbconv7_q15xq7_q7   (q15xq7_q7_mbconv_block):  as above, Q7 output
 *     int32 sums (wrapping); each stage as in m4_mbconv_q7xq15_q15:
 *       x = (int32)((sum * shl) / shr + B[k]) * W[k]; x = clamp(x, 0, limit); y = (x * shlX) / shrX
 *       project: out = (((int32)((sum * shlU3) / shrU3 + B3[i]) * W3[i]) * shlW3) / shrW3
 *   m4_mbconv7_q7           (q7_mbconv_block): Q7 input, Q7 F/W/B, Q7 ring/dw/output, int32 sums;
 *       expand / depthwise: x = (int16)((int16)((sum * shl) / shr + B[k]) * W[k]),
 *                           x = clamp(x, 0, limit) (Q15 limit), y = (int8)((x * shlX) / shrX)
 *       project:            out = (int8)((((int16)((sum * shlU3) / shrU3 + B3[i])) * W3[i] * shlW3) / shrW3)
 *                           (the product is int, not narrowed to int16 before the last scale)
 * Filters: F1[CIn][CTemp], F2[CTemp][HF][WF], F3[CTemp][COut]. Streaming as in mbconv.h: a ring of HF
 * expanded rows (m4_mbconv7_ring_len elements, int16 for q15xq7, int8 for q7) and one pixel of
 * depthwise output (CTemp elements, same type). Output geometry: m4_mbconv_hout / _wout of mbconv.h.
 * TS twin: src/reference/mbconv-q7.ts.
 */
#ifndef M4_KERNELS_MBCONV_Q7_H
#define M4_KERNELS_MBCONV_Q7_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t H, W, CIn, CTemp, COut;
  uint32_t HF, WF;
  int32_t HPadU, HPadD, WPadL, WPadR;
  uint32_t HStride, WStride;
  const int8_t *F1, *W1, *F2, *W2, *F3, *W3;
  const int16_t *B1, *B2, *B3;       /* q15xq7 blocks: Q15 biases */
  const int8_t *B1q7, *B2q7, *B3q7;  /* q7 block: Q7 biases */
  int32_t limit1, limit2;
  int32_t shrU1, shrX1, shrU2, shrX2, shrU3, shrW3; /* divisors */
  int32_t shlU1, shlX1, shlU2, shlX2, shlU3, shlW3; /* multipliers */
} m4_mbconv7_params;

uint32_t m4_mbconv7_hout(const m4_mbconv7_params *p);
uint32_t m4_mbconv7_wout(const m4_mbconv7_params *p);
/* Elements of the ring buffer: HF * W * CTemp. */
size_t m4_mbconv7_ring_len(const m4_mbconv7_params *p);

void m4_mbconv7_q15xq7_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw,
                          const m4_mbconv7_params *p);
void m4_mbconv7_q15xq7_q7(const int16_t *in, int8_t *out, int16_t *ring, int16_t *dw,
                         const m4_mbconv7_params *p);
void m4_mbconv7_q7(const int8_t *in, int8_t *out, int8_t *ring, int8_t *dw, const m4_mbconv7_params *p);

/* EdgeML q7_t_add as the residual: ret[i] = (int8)(a[i] / (scten1 scret) + b[i] / (scten2 scret)). */
void m4_mbconv7_residual_add_q7(const int8_t *a, const int8_t *b, uint32_t len, int8_t *ret, int32_t scten1,
                        int32_t scten2, int32_t scret);

/*
 * The block followed by its residual add over the input, without the output tensor, bit for bit:
 *   m4_mbconv7_q15xq7_q15_residual_inplace = m4_mbconv7_q15xq7_q15(inout, out, ring, dw, p) then
 *     m4_residual_add_q15(inout, out, len, inout, scten1, scten2, scret) (mbconv.h);
 *   m4_mbconv7_q7_residual_inplace = m4_mbconv7_q7(inout, out, ring, dw, p) then
 *     m4_mbconv7_residual_add_q7(inout, out, len, inout, scten1, scten2, scret).
 * Each output pixel goes to `row` (COut elements), then its residual sum is written over the same input
 * pixel (safe because the block has already expanded that input row into the ring and reads the input
 * nowhere else; see mbconv_q7.c). Same conditions as m4_mbconv_q15_residual_inplace: stride 1,
 * CIn == COut, "same" padding (HPadU = (HF-1)/2, HPadD = HF/2, likewise W); returns -1 without touching
 * anything otherwise, 0 when done. ring, dw and row must not overlap each other or inout.
 */
int m4_mbconv7_q15xq7_q15_residual_inplace(int16_t *inout, int16_t *ring, int16_t *dw, int16_t *row,
                                           const m4_mbconv7_params *p, int32_t scten1, int32_t scten2,
                                           int32_t scret);
int m4_mbconv7_q7_residual_inplace(int8_t *inout, int8_t *ring, int8_t *dw, int8_t *row, const m4_mbconv7_params *p,
                                   int32_t scten1, int32_t scten2, int32_t scret);

#endif
