/* Convolutions and the fused first layer: see conv.h for the arithmetic. */
#include "conv.h"

/* First and one-past-last centre positions along one axis, as EdgeML's loops run them. */
static void conv_axis(uint32_t size, uint32_t f, int32_t pad_lo, int32_t pad_hi, uint32_t dil, int32_t *lo,
                      int32_t *hi) {
  *lo = (int32_t)dil * (int32_t)((f - 1) >> 1) - pad_lo;
  *hi = (int32_t)size - ((int32_t)dil * (int32_t)(f >> 1) - pad_hi);
}

static uint32_t conv_count(int32_t lo, int32_t hi, uint32_t stride) {
  if (lo >= hi) return 0;
  return (uint32_t)((hi - lo + (int32_t)stride - 1) / (int32_t)stride);
}

uint32_t m4_conv_hout(const m4_conv_params *p) {
  int32_t lo, hi;
  conv_axis(p->H, p->HF, p->HPadU, p->HPadD, p->HDilation, &lo, &hi);
  return conv_count(lo, hi, p->HStride);
}

uint32_t m4_conv_wout(const m4_conv_params *p) {
  int32_t lo, hi;
  conv_axis(p->W, p->WF, p->WPadL, p->WPadR, p->WDilation, &lo, &hi);
  return conv_count(lo, hi, p->WStride);
}

/*
 * One output element: the sum over the taps inside the image of in[hi][wi][g*CF + cf] *
 * F[g][hf][wf][cf][c]. ACC_T is uint32_t (int32 sums that wrap) or int64_t.
 */
#define M4_CONV_SUM(IN_T, ACC_T, in, filter, p, h, w, g, c, acc)                                       \
  do {                                                                                                 \
    int32_t fl_h = (int32_t)(((p)->HF - 1) >> 1), fr_h = (int32_t)((p)->HF >> 1);                      \
    int32_t fl_w = (int32_t)(((p)->WF - 1) >> 1), fr_w = (int32_t)((p)->WF >> 1);                      \
    for (int32_t hf = -fl_h; hf <= fr_h; hf++) {                                                       \
      int32_t hi = (h) + (int32_t)(p)->HDilation * hf;                                                 \
      if (hi < 0 || hi >= (int32_t)(p)->H) continue;                                                   \
      for (int32_t wf = -fl_w; wf <= fr_w; wf++) {                                                     \
        int32_t wi = (w) + (int32_t)(p)->WDilation * wf;                                               \
        if (wi < 0 || wi >= (int32_t)(p)->W) continue;                                                 \
        const IN_T *ip = (in) + ((uint32_t)hi * (p)->W + (uint32_t)wi) * (p)->CIn + (g) * (p)->CF;     \
        const int16_t *fp = (filter) +                                                                 \
                            ((((g) * (p)->HF + (uint32_t)(hf + fl_h)) * (p)->WF + (uint32_t)(wf + fl_w)) * \
                             (p)->CF) * (p)->COut + (c);                                               \
        for (uint32_t cf = 0; cf < (p)->CF; cf++) {                                                    \
          (acc) += (ACC_T)((int32_t)ip[cf] * (int32_t)fp[0]);                                          \
          fp += (p)->COut;                                                                             \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

#define M4_CONV_LOOP(IN_T, OUT_T, ACC_T, FINISH, in, filter, out, p)                                  \
  do {                                                                                                 \
    int32_t h_lo, h_hi, w_lo, w_hi;                                                                    \
    conv_axis((p)->H, (p)->HF, (p)->HPadU, (p)->HPadD, (p)->HDilation, &h_lo, &h_hi);                  \
    conv_axis((p)->W, (p)->WF, (p)->WPadL, (p)->WPadR, (p)->WDilation, &w_lo, &w_hi);                  \
    int32_t scale = m4_mul32(m4_mul32((p)->scinput, (p)->scoutput), (p)->demote);                      \
    OUT_T *op = (out);                                                                                 \
    for (int32_t h = h_lo; h < h_hi; h += (int32_t)(p)->HStride) {                                     \
      for (int32_t w = w_lo; w < w_hi; w += (int32_t)(p)->WStride) {                                   \
        for (uint32_t g = 0; g < (p)->G; g++) {                                                        \
          for (uint32_t c = 0; c < (p)->COut; c++) {                                                   \
            ACC_T acc = 0;                                                                             \
            M4_CONV_SUM(IN_T, ACC_T, in, filter, p, h, w, g, c, acc);                                  \
            *op++ = (OUT_T)FINISH(acc, scale);                                                         \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

#define M4_FINISH32(acc, scale) m4_div32((int32_t)(acc), (scale))
#define M4_FINISH64(acc, scale) m4_div64((acc), (scale))

void m4_conv_q7xq15_q7(const int8_t *in, const int16_t *filter, int8_t *out, const m4_conv_params *p) {
  M4_CONV_LOOP(int8_t, int8_t, uint32_t, M4_FINISH32, in, filter, out, p);
}

void m4_conv_q7xq15_q15(const int8_t *in, const int16_t *filter, int16_t *out, const m4_conv_params *p) {
  M4_CONV_LOOP(int8_t, int16_t, uint32_t, M4_FINISH32, in, filter, out, p);
}

void m4_conv_q15(const int16_t *in, const int16_t *filter, int16_t *out, const m4_conv_params *p) {
  M4_CONV_LOOP(int16_t, int16_t, int64_t, M4_FINISH64, in, filter, out, p);
}

void m4_conv2d_cbr(const int8_t *image, int8_t *out, const m4_conv2d_cbr_params *p) {
  const m4_conv_params *cp = &p->conv;
  int32_t h_lo, h_hi, w_lo, w_hi;
  conv_axis(cp->H, cp->HF, cp->HPadU, cp->HPadD, cp->HDilation, &h_lo, &h_hi);
  conv_axis(cp->W, cp->WF, cp->WPadL, cp->WPadR, cp->WDilation, &w_lo, &w_hi);
  int32_t conv_scale = m4_mul32(m4_mul32(cp->scinput, cp->scoutput), cp->demote);
  int32_t bias_ten = m4_mul32(p->bias_scten, p->bias_scret);
  int32_t bias_vec = m4_mul32(p->bias_scvec, p->bias_scret);
  int32_t w_scale = m4_mul32(m4_mul32(p->scale_scinput, p->scale_scoutput), p->scale_demote);
  int8_t *op = out;
  for (int32_t h = h_lo; h < h_hi; h += (int32_t)cp->HStride) {
    for (int32_t w = w_lo; w < w_hi; w += (int32_t)cp->WStride) {
      for (uint32_t g = 0; g < cp->G; g++) {
        for (uint32_t c = 0; c < cp->COut; c++) {
          uint32_t ch = g * cp->COut + c;
          uint32_t acc = 0;
          M4_CONV_SUM(int8_t, uint32_t, image, p->filter, cp, h, w, g, c, acc);
          int8_t v = (int8_t)m4_div32((int32_t)acc, conv_scale);
          v = (int8_t)(m4_div32(v, bias_ten) + m4_div32(p->bias[ch], bias_vec));
          v = (int8_t)m4_div32((int32_t)v * (int32_t)p->scale[ch], w_scale);
          int8_t r = v > p->limit ? p->limit : (v < 0 ? 0 : v);
          *op++ = (int8_t)m4_div32(r, p->div);
        }
      }
    }
  }
}
