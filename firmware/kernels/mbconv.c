/* Streaming MBConv: see mbconv.h. */
#include "mbconv.h"

#include "conv.h"

static int32_t relu_clamp(int32_t x, int32_t limit) { return x > limit ? limit : (x < 0 ? 0 : x); }

/* (int32)((sum * shl) / shr + b) * w, for an int32 (wrapping) sum. */
static inline int32_t bn_q31(int32_t sum, int32_t shl, int32_t shr, int16_t b, int16_t w) {
  int32_t t = (int32_t)((uint32_t)m4_div32(m4_mul32(sum, shl), shr) + (uint32_t)(int32_t)b);
  return m4_mul32(t, (int32_t)w);
}

/* (int32)((sum * shl) / shr + b) * w, for an int64 sum: the cast to int32 wraps. */
static inline int32_t bn_q63(int64_t sum, int32_t shl, int32_t shr, int16_t b, int16_t w) {
  int64_t t = m4_div64(sum * (int64_t)shl, shr) + (int64_t)b;
  return m4_mul32((int32_t)t, (int32_t)w);
}

static void axis(uint32_t size, uint32_t f, int32_t pad_lo, int32_t pad_hi, int32_t *lo, int32_t *hi) {
  *lo = (int32_t)((f - 1) >> 1) - pad_lo;
  *hi = (int32_t)size - ((int32_t)(f >> 1) - pad_hi);
}

static uint32_t count(int32_t lo, int32_t hi, uint32_t stride) {
  return lo >= hi ? 0 : (uint32_t)((hi - lo + (int32_t)stride - 1) / (int32_t)stride);
}

uint32_t m4_mbconv_hout(const m4_mbconv_params *p) {
  int32_t lo, hi;
  axis(p->H, p->HF, p->HPadU, p->HPadD, &lo, &hi);
  return count(lo, hi, p->HStride);
}

uint32_t m4_mbconv_wout(const m4_mbconv_params *p) {
  int32_t lo, hi;
  axis(p->W, p->WF, p->WPadL, p->WPadR, &lo, &hi);
  return count(lo, hi, p->WStride);
}

size_t m4_mbconv_ring_len(const m4_mbconv_params *p) { return (size_t)p->HF * p->W * p->CTemp; }

/*
 * The block body, shared by both input types. IN_T: int8_t or int16_t; ACC_T: uint32_t (int32 sums
 * that wrap, BN = bn_q31 on the int32 value) or int64_t (BN = bn_q63).
 */
#define M4_MBCONV_BODY(IN_T, ACC_T, TO_SUM, BN, PIXEL_END)                                             \
  do {                                                                                                 \
    const uint32_t W = p->W, CIn = p->CIn, CT = p->CTemp, CO = p->COut, HF = p->HF, WF = p->WF;        \
    const int32_t fl_h = (int32_t)((HF - 1) >> 1), fr_h = (int32_t)(HF >> 1);                          \
    const int32_t fl_w = (int32_t)((WF - 1) >> 1), fr_w = (int32_t)(WF >> 1);                          \
    int32_t h_lo, h_hi, w_lo, w_hi;                                                                    \
    axis(p->H, HF, p->HPadU, p->HPadD, &h_lo, &h_hi);                                                  \
    axis(W, WF, p->WPadL, p->WPadR, &w_lo, &w_hi);                                                     \
    int32_t next_row = 0; /* next input row to expand */                                               \
    int16_t *op = out;                                                                                 \
    for (int32_t h = h_lo; h < h_hi; h += (int32_t)p->HStride) {                                       \
      int32_t need = h + fr_h;                                                                         \
      if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;                                          \
      for (; next_row <= need; next_row++) {                                                           \
        const IN_T *src = in + (uint32_t)next_row * W * CIn;                                           \
        int16_t *slot = ring + ((uint32_t)next_row % HF) * W * CT;                                     \
        for (uint32_t j = 0; j < W; j++) {                                                             \
          const IN_T *px = src + j * CIn;                                                              \
          for (uint32_t k = 0; k < CT; k++) {                                                          \
            ACC_T acc = 0;                                                                             \
            const int16_t *f = p->F1 + k;                                                              \
            _Pragma("GCC unroll 8") /* same summation order, less loop overhead */                    \
            for (uint32_t l = 0; l < CIn; l++, f += CT) acc += (ACC_T)((int32_t)px[l] * (int32_t)*f);  \
            int32_t x = relu_clamp(BN(TO_SUM(acc), p->shlU1, p->shrU1, p->B1[k], p->W1[k]), p->limit1); \
            *slot++ = (int16_t)m4_div32(m4_mul32(x, p->shlX1), p->shrX1);                              \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
      for (int32_t w = w_lo; w < w_hi; w += (int32_t)p->WStride) {                                     \
        for (uint32_t g = 0; g < CT; g++) {                                                            \
          ACC_T acc = 0;                                                                               \
          for (int32_t hf = -fl_h; hf <= fr_h; hf++) {                                                 \
            int32_t hi = h + hf;                                                                       \
            if (hi < 0 || hi >= (int32_t)p->H) continue;                                               \
            const int16_t *slot = ring + ((uint32_t)hi % HF) * W * CT + g;                             \
            const int16_t *f = p->F2 + (g * HF + (uint32_t)(hf + fl_h)) * WF;                          \
            for (int32_t wf = -fl_w; wf <= fr_w; wf++) {                                               \
              int32_t wi = w + wf;                                                                     \
              if (wi < 0 || wi >= (int32_t)W) continue;                                                \
              acc += (ACC_T)((int32_t)slot[(uint32_t)wi * CT] * (int32_t)f[wf + fl_w]);                \
            }                                                                                          \
          }                                                                                            \
          int32_t x = relu_clamp(BN(TO_SUM(acc), p->shlU2, p->shrU2, p->B2[g], p->W2[g]), p->limit2);  \
          dw[g] = (int16_t)m4_div32(m4_mul32(x, p->shlX2), p->shrX2);                                  \
        }                                                                                              \
        for (uint32_t i = 0; i < CO; i++) {                                                            \
          ACC_T acc = 0;                                                                               \
          const int16_t *f = p->F3 + i;                                                                \
          _Pragma("GCC unroll 8")                                                                      \
          for (uint32_t g = 0; g < CT; g++, f += CO) acc += (ACC_T)((int32_t)dw[g] * (int32_t)*f);     \
          int32_t x = BN(TO_SUM(acc), p->shlU3, p->shrU3, p->B3[i], p->W3[i]);                         \
          *op++ = (int16_t)m4_div32(m4_mul32(x, p->shlW3), p->shrW3);                                  \
        }                                                                                              \
        PIXEL_END;                                                                                     \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

#define M4_SUM32(acc) ((int32_t)(acc))
#define M4_SUM64(acc) (acc)

void m4_mbconv_q7xq15_q15(const int8_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p) {
  M4_MBCONV_BODY(int8_t, uint32_t, M4_SUM32, bn_q31, (void)0);
}

void m4_mbconv_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p) {
  M4_MBCONV_BODY(int16_t, int64_t, M4_SUM64, bn_q63, (void)0);
}

/*
 * In place: m4_mbconv_q15(inout, out, ...) then m4_residual_add_q15(inout, out, len, inout, ...), with
 * each finished output pixel (its COut values in `row`) replaced by its residual sum over the same
 * input pixel. Why that is safe, in the body's order (stride 1, "same" padding so h_lo = 0, h_hi = H):
 * before output row h, every input row <= min(h + HF/2, H - 1) has been expanded into the ring; the
 * depthwise and project steps read only the ring, dw and the weights, never the input. Input row r is
 * expanded in iteration max(0, r - HF/2) <= r, so by the time output row h is written over input row
 * h, that row has been expanded (for any HF, bottom padding only clamps `need`), and the only later
 * read of input pixel (h, w) is its own residual, done right here before the write. Rows > h are
 * never written before they are expanded. The values are those of the two-pass code: same sums in
 * the same order, the block output narrowed to int16 first (in `row`), then the same residual
 * expression per element.
 */
int m4_mbconv_q15_residual_inplace(int16_t *inout, int16_t *ring, int16_t *dw, int16_t *row,
                                   const m4_mbconv_params *p, int32_t scten1, int32_t scten2, int32_t scret) {
  if (p->HStride != 1 || p->WStride != 1 || p->CIn != p->COut || p->HF == 0 || p->WF == 0) return -1;
  if (p->HPadU != (int32_t)((p->HF - 1) >> 1) || p->HPadD != (int32_t)(p->HF >> 1)) return -1;
  if (p->WPadL != (int32_t)((p->WF - 1) >> 1) || p->WPadR != (int32_t)(p->WF >> 1)) return -1;
  const int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  const int16_t *in = inout;
  int16_t *out = row;
#define M4_RESIDUAL_PIXEL                                                                              \
  do {                                                                                                 \
    int16_t *x = inout + ((uint32_t)h * W + (uint32_t)w) * CO;                                         \
    for (uint32_t i = 0; i < CO; i++) x[i] = (int16_t)(m4_div32(x[i], s1) + m4_div32(row[i], s2));    \
    op = row;                                                                                          \
  } while (0)
  M4_MBCONV_BODY(int16_t, int64_t, M4_SUM64, bn_q63, M4_RESIDUAL_PIXEL);
#undef M4_RESIDUAL_PIXEL
  return 0;
}

void m4_residual_add_q15(const int16_t *a, const int16_t *b, uint32_t len, int16_t *ret, int32_t scten1,
                         int32_t scten2, int32_t scret) {
  int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  for (uint32_t i = 0; i < len; i++) ret[i] = (int16_t)(m4_div32(a[i], s1) + m4_div32(b[i], s2));
}
