/* Convolutions and the fused first layer: see conv.h for the arithmetic. */
#include "conv.h"

#include <arm_acle.h>
#include <string.h>

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

/* x / 2^k truncated toward zero, as m4_div32, with k and 2^k - 1 found once. */
typedef struct {
  int32_t k, m;
} conv_div;

static int conv_div_of(conv_div *d, int32_t v) {
  if (v <= 0 || (v & (v - 1)) != 0) return 0;
  d->k = __builtin_ctz((uint32_t)v);
  d->m = v - 1;
  return 1;
}

#define CONV_DIV(x, d) (((x) + (((x) >> 31) & (d).m)) >> (d).k)

static inline int32_t conv_ld32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4); /* LDR: the M4 allows unaligned single-word loads */
  return v;
}

/*
 * m4_conv2d_cbr when G = 1, COut is even and every divisor is a positive power of two: the same
 * values, with the taps inside the image found once per output pixel, two output channels per pass
 * over them (SMLABB / SMLABT add the input times the low / high half of the filter pair F[..][c],
 * F[..][c+1], wrapping in 32 bits like the uint32 sum) and every `/ 2^k` a shift with sign correction.
 */
static int conv2d_cbr_fast(const int8_t *image, int8_t *out, const m4_conv2d_cbr_params *p) {
  const m4_conv_params *cp = &p->conv;
  conv_div dc, dt, dv, dw, dd;
  if (cp->G != 1 || cp->COut % 2 != 0 || cp->CF != cp->CIn ||
      !(conv_div_of(&dc, m4_mul32(m4_mul32(cp->scinput, cp->scoutput), cp->demote)) &
        conv_div_of(&dt, m4_mul32(p->bias_scten, p->bias_scret)) &
        conv_div_of(&dv, m4_mul32(p->bias_scvec, p->bias_scret)) &
        conv_div_of(&dw, m4_mul32(m4_mul32(p->scale_scinput, p->scale_scoutput), p->scale_demote)) &
        conv_div_of(&dd, p->div)))
    return 0;
  int32_t h_lo, h_hi, w_lo, w_hi;
  conv_axis(cp->H, cp->HF, cp->HPadU, cp->HPadD, cp->HDilation, &h_lo, &h_hi);
  conv_axis(cp->W, cp->WF, cp->WPadL, cp->WPadR, cp->WDilation, &w_lo, &w_hi);
  const int32_t fl_h = (int32_t)((cp->HF - 1) >> 1), fr_h = (int32_t)(cp->HF >> 1);
  const int32_t fl_w = (int32_t)((cp->WF - 1) >> 1), fr_w = (int32_t)(cp->WF >> 1);
  const uint32_t CO = cp->COut, CF = cp->CF;
  int8_t *op = out;
  for (int32_t h = h_lo; h < h_hi; h += (int32_t)cp->HStride) {
    for (int32_t w = w_lo; w < w_hi; w += (int32_t)cp->WStride) {
      if (CO == 4 && cp->HDilation == 1 && cp->WDilation == 1) {
        /* The face models' first layer: four channels per pass over the taps inside the image. */
        int32_t hf_lo = -fl_h, hf_hi = fr_h, wf_lo = -fl_w, wf_hi = fr_w;
        if (h + hf_lo < 0) hf_lo = -h;
        if (h + hf_hi > (int32_t)cp->H - 1) hf_hi = (int32_t)cp->H - 1 - h;
        if (w + wf_lo < 0) wf_lo = -w;
        if (w + wf_hi > (int32_t)cp->W - 1) wf_hi = (int32_t)cp->W - 1 - w;
        int32_t acc[4] = {0, 0, 0, 0};
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t hf = hf_lo; hf <= hf_hi; hf++) {
          const int8_t *ip = image + ((uint32_t)(h + hf) * cp->W + (uint32_t)(w + wf_lo)) * cp->CIn;
          const int16_t *fp = p->filter + (((uint32_t)(hf + fl_h) * cp->WF + (uint32_t)(wf_lo + fl_w)) * CF) * 4;
          for (uint32_t n = (uint32_t)(wf_hi - wf_lo + 1) * CF; n > 0; n--, fp += 4) {
            int32_t x = *ip++, f01 = conv_ld32(fp), f23 = conv_ld32(fp + 2);
            a0 = __smlabb(x, f01, a0);
            a1 = __smlabt(x, f01, a1);
            a2 = __smlabb(x, f23, a2);
            a3 = __smlabt(x, f23, a3);
          }
        }
        acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
        for (uint32_t ch = 0; ch < 4; ch++) {
          int8_t v = (int8_t)CONV_DIV(acc[ch], dc);
          v = (int8_t)(CONV_DIV((int32_t)v, dt) + CONV_DIV((int32_t)p->bias[ch], dv));
          int32_t sv = (int32_t)v * (int32_t)p->scale[ch];
          v = (int8_t)CONV_DIV(sv, dw);
          int32_t r = v > p->limit ? p->limit : (v < 0 ? 0 : v);
          *op++ = (int8_t)CONV_DIV(r, dd);
        }
        continue;
      }
      for (uint32_t c = 0; c < CO; c += 2) {
        int32_t a0 = 0, a1 = 0;
        for (int32_t hf = -fl_h; hf <= fr_h; hf++) {
          int32_t hi = h + (int32_t)cp->HDilation * hf;
          if (hi < 0 || hi >= (int32_t)cp->H) continue;
          for (int32_t wf = -fl_w; wf <= fr_w; wf++) {
            int32_t wi = w + (int32_t)cp->WDilation * wf;
            if (wi < 0 || wi >= (int32_t)cp->W) continue;
            const int8_t *ip = image + ((uint32_t)hi * cp->W + (uint32_t)wi) * cp->CIn;
            const int16_t *fp = p->filter + (((uint32_t)(hf + fl_h) * cp->WF + (uint32_t)(wf + fl_w)) * CF) * CO + c;
            for (uint32_t cf = 0; cf < CF; cf++, fp += CO) {
              int32_t x = ip[cf], f = conv_ld32(fp);
              a0 = __smlabb(x, f, a0);
              a1 = __smlabt(x, f, a1);
            }
          }
        }
        for (uint32_t j = 0; j < 2; j++) {
          uint32_t ch = c + j;
          int32_t acc = j ? a1 : a0;
          int8_t v = (int8_t)CONV_DIV(acc, dc);
          v = (int8_t)(CONV_DIV((int32_t)v, dt) + CONV_DIV((int32_t)p->bias[ch], dv));
          int32_t sv = (int32_t)v * (int32_t)p->scale[ch];
          v = (int8_t)CONV_DIV(sv, dw);
          int32_t r = v > p->limit ? p->limit : (v < 0 ? 0 : v);
          *op++ = (int8_t)CONV_DIV(r, dd);
        }
      }
    }
  }
  return 1;
}

void m4_conv2d_cbr(const int8_t *image, int8_t *out, const m4_conv2d_cbr_params *p) {
  if (conv2d_cbr_fast(image, out, p)) return;
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
