/*
 * Convolutions of the RNNPool face detector, with EdgeML's default (DIV) arithmetic: C `/`
 * (truncation toward zero) by power-of-two divisors, narrowing stores that wrap, no saturation.
 *
 * Tensors are NHWC with N = 1. Filters are F[G][HF][WF][CF][COut]; group g reads input channels
 * g*CF .. g*CF+CF-1 and writes output channels g*COut .. g*COut+COut-1 (so the output has G*COut
 * channels). Taps outside the image are skipped (zero padding). Output rows are produced for
 * h = HDilation*((HF-1)/2) - HPadU, +HStride, ... while h < H - (HDilation*(HF/2) - HPadD), and the
 * same for columns: m4_conv_hout / m4_conv_wout give the counts.
 *
 * Accumulators: m4_conv_q7xq15_q7 and m4_conv_q7xq15_q15 sum in int32 (wrapping), m4_conv_q15 in
 * int64, as EdgeML's q7xq15_q7_convolution, q7xq15_q15_convolution and q15_convolution do. Each
 * output is sum / (scinput * scoutput * demote), stored with wrap-around.
 */
#ifndef M4_KERNELS_CONV_H
#define M4_KERNELS_CONV_H

#include <stdint.h>

typedef struct {
  uint32_t H, W, CIn;                  /* input */
  uint32_t HF, WF, CF, COut, G;        /* filter F[G][HF][WF][CF][COut] */
  int32_t HPadU, HPadD, WPadL, WPadR;  /* zero padding (top, bottom, left, right) */
  uint32_t HStride, WStride;
  uint32_t HDilation, WDilation;
  int32_t scinput, scoutput, demote;   /* divisor = scinput * scoutput * demote */
} m4_conv_params;

/*
 * Arithmetic helpers shared by the kernels (conv, mbconv, l2norm, heads). m4_div32 / m4_div64 are C's
 * `/` (truncating toward zero) for a positive divisor; a power-of-two divisor takes an arithmetic
 * shift with a sign correction, which gives the same quotient without a division instruction (or,
 * for int64, a library call). m4_mul32 is int32 multiplication with wrap-around, which is what
 * arm-none-eabi-gcc's MUL gives for EdgeML's (formally undefined) overflowing int32 products.
 */
static inline int32_t m4_div32(int32_t x, int32_t d) {
  if (d > 0 && (d & (d - 1)) == 0) {
    int k = __builtin_ctz((uint32_t)d);
    return (x + ((x >> 31) & (d - 1))) >> k;
  }
  return x / d;
}

static inline int64_t m4_div64(int64_t x, int32_t d) {
  if (d > 0 && (d & (d - 1)) == 0) {
    int k = __builtin_ctz((uint32_t)d);
    return (x + ((x >> 63) & (int64_t)(d - 1))) >> k;
  }
  return x / d;
}

static inline int32_t m4_mul32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }


uint32_t m4_conv_hout(const m4_conv_params *p);
uint32_t m4_conv_wout(const m4_conv_params *p);

/* Q7 input, Q15 filter, Q7 output (int32 sums). out: hout*wout*G*COut int8. */
void m4_conv_q7xq15_q7(const int8_t *in, const int16_t *filter, int8_t *out, const m4_conv_params *p);
/* Q7 input, Q15 filter, Q15 output (int32 sums). out: hout*wout*G*COut int16. */
void m4_conv_q7xq15_q15(const int8_t *in, const int16_t *filter, int16_t *out, const m4_conv_params *p);
/* Q15 input, Q15 filter, Q15 output (int64 sums). out: hout*wout*G*COut int16. */
void m4_conv_q15(const int16_t *in, const int16_t *filter, int16_t *out, const m4_conv_params *p);

/*
 * The first layer as EdgeML's face pipeline runs it (CBR1F → CBR1B → CBR1W → ReLU), fused per
 * output element (no intermediate tensor):
 *   v = conv(image, filter) / (conv.scinput*conv.scoutput*conv.demote)        → int8 (wrap)
 *   v = v / (bias_scten*bias_scret) + bias[c] / (bias_scvec*bias_scret)         → int8 (wrap)
 *   v = (v * scale[c]) / (scale_scinput*scale_scoutput*scale_demote)            → int8 (wrap)
 *   v = min(max(v, 0), limit) / div                                             → int8
 * c runs over the G*COut output channels; bias and scale have G*COut entries.
 * out: m4_conv_hout(&p->conv) * m4_conv_wout(&p->conv) * G*COut int8.
 */
typedef struct {
  m4_conv_params conv;
  const int16_t *filter;
  const int16_t *bias;
  int32_t bias_scten, bias_scvec, bias_scret;
  const int16_t *scale;
  int32_t scale_scinput, scale_scoutput, scale_demote;
  int8_t limit, div;
} m4_conv2d_cbr_params;

void m4_conv2d_cbr(const int8_t *image, int8_t *out, const m4_conv2d_cbr_params *p);

#endif
