/* Streaming MBConv blocks with Q7 weights: see mbconv_q7.h. */
#include "mbconv_q7.h"

#include "conv.h"

static void axis(uint32_t size, uint32_t f, int32_t pad_lo, int32_t pad_hi, int32_t *lo, int32_t *hi) {
  *lo = (int32_t)((f - 1) >> 1) - pad_lo;
  *hi = (int32_t)size - ((int32_t)(f >> 1) - pad_hi);
}

static uint32_t count(int32_t lo, int32_t hi, uint32_t stride) {
  return lo >= hi ? 0 : (uint32_t)((hi - lo + (int32_t)stride - 1) / (int32_t)stride);
}

uint32_t m4_mbconv7_hout(const m4_mbconv7_params *p) {
  int32_t lo, hi;
  axis(p->H, p->HF, p->HPadU, p->HPadD, &lo, &hi);
  return count(lo, hi, p->HStride);
}

uint32_t m4_mbconv7_wout(const m4_mbconv7_params *p) {
  int32_t lo, hi;
  axis(p->W, p->WF, p->WPadL, p->WPadR, &lo, &hi);
  return count(lo, hi, p->WStride);
}

size_t m4_mbconv7_ring_len(const m4_mbconv7_params *p) { return (size_t)p->HF * p->W * p->CTemp; }

static inline int32_t relu32(int32_t x, int32_t limit) { return x > limit ? limit : (x < 0 ? 0 : x); }

/* q15xq7: x = (int32)((sum * shl) / shr + b) * w, all int32 (wrapping). */
static inline int32_t bn_q31(int32_t sum, int32_t shl, int32_t shr, int32_t b, int32_t w) {
  int32_t t = (int32_t)((uint32_t)m4_div32(m4_mul32(sum, shl), shr) + (uint32_t)b);
  return m4_mul32(t, w);
}
/* Expand / depthwise element. */
static inline int32_t stage_q31(int32_t sum, int32_t shl, int32_t shr, int32_t b, int32_t w, int32_t limit,
                                int32_t shlx, int32_t shrx) {
  int32_t x = relu32(bn_q31(sum, shl, shr, b, w), limit);
  return m4_div32(m4_mul32(x, shlx), shrx);
}
static inline int32_t project_q31(int32_t sum, int32_t shl, int32_t shr, int32_t b, int32_t w, int32_t shlw,
                                  int32_t shrw) {
  return m4_div32(m4_mul32(bn_q31(sum, shl, shr, b, w), shlw), shrw);
}

/* q7: x = (int16)((int16)((sum * shl) / shr + b) * w), clamp with a Q15 limit, then (x * shlX) / shrX. */
static inline int32_t stage_q7(int32_t sum, int32_t shl, int32_t shr, int32_t b, int32_t w, int32_t limit,
                               int32_t shlx, int32_t shrx) {
  int16_t t = (int16_t)(m4_div32(m4_mul32(sum, shl), shr) + b);
  int16_t x = (int16_t)((int32_t)t * w);
  int32_t y = relu32(x, (int16_t)limit);
  return m4_div32(y * shlx, shrx);
}
static inline int32_t project_q7(int32_t sum, int32_t shl, int32_t shr, int32_t b, int32_t w, int32_t shlw,
                                 int32_t shrw) {
  int16_t t = (int16_t)(m4_div32(m4_mul32(sum, shl), shr) + b);
  return m4_div32(m4_mul32((int32_t)t * w, shlw), shrw);
}

/*
 * The block body. IN_T input type, R_T ring/dw type, OUT_T output type, B1..B3 the bias arrays, STAGE
 * and PROJECT the per-element arithmetic, PIXEL_END run after each output pixel's COut values (the
 * in-place residual hook, as in mbconv.c). Sums are int32 (uint32_t accumulation = wrapping).
 */
#define M4_MBCONV7_BODY(IN_T, R_T, OUT_T, B1, B2, B3, STAGE, PROJECT, PIXEL_END)                      \
  do {                                                                                                 \
    const uint32_t W = p->W, CIn = p->CIn, CT = p->CTemp, CO = p->COut, HF = p->HF, WF = p->WF;        \
    const int32_t fl_h = (int32_t)((HF - 1) >> 1), fr_h = (int32_t)(HF >> 1);                          \
    const int32_t fl_w = (int32_t)((WF - 1) >> 1), fr_w = (int32_t)(WF >> 1);                          \
    int32_t h_lo, h_hi, w_lo, w_hi;                                                                    \
    axis(p->H, HF, p->HPadU, p->HPadD, &h_lo, &h_hi);                                                  \
    axis(W, WF, p->WPadL, p->WPadR, &w_lo, &w_hi);                                                     \
    int32_t next_row = 0;                                                                              \
    OUT_T *op = out;                                                                                   \
    for (int32_t h = h_lo; h < h_hi; h += (int32_t)p->HStride) {                                       \
      int32_t need = h + fr_h;                                                                         \
      if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;                                          \
      for (; next_row <= need; next_row++) {                                                           \
        const IN_T *src = in + (uint32_t)next_row * W * CIn;                                           \
        R_T *slot = ring + ((uint32_t)next_row % HF) * W * CT;                                         \
        for (uint32_t j = 0; j < W; j++) {                                                             \
          const IN_T *px = src + j * CIn;                                                              \
          for (uint32_t k = 0; k < CT; k++) {                                                          \
            uint32_t acc = 0;                                                                          \
            const int8_t *f = p->F1 + k;                                                               \
            _Pragma("GCC unroll 8")                                                                    \
            for (uint32_t l = 0; l < CIn; l++, f += CT) acc += (uint32_t)((int32_t)px[l] * (int32_t)*f); \
            *slot++ = (R_T)STAGE((int32_t)acc, p->shlU1, p->shrU1, B1[k], p->W1[k], p->limit1, p->shlX1, \
                                 p->shrX1);                                                            \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
      for (int32_t w = w_lo; w < w_hi; w += (int32_t)p->WStride) {                                     \
        for (uint32_t g = 0; g < CT; g++) {                                                            \
          uint32_t acc = 0;                                                                            \
          for (int32_t hf = -fl_h; hf <= fr_h; hf++) {                                                 \
            int32_t hi = h + hf;                                                                       \
            if (hi < 0 || hi >= (int32_t)p->H) continue;                                               \
            const R_T *slot = ring + ((uint32_t)hi % HF) * W * CT + g;                                 \
            const int8_t *f = p->F2 + (g * HF + (uint32_t)(hf + fl_h)) * WF;                           \
            for (int32_t wf = -fl_w; wf <= fr_w; wf++) {                                               \
              int32_t wi = w + wf;                                                                     \
              if (wi < 0 || wi >= (int32_t)W) continue;                                                \
              acc += (uint32_t)((int32_t)slot[(uint32_t)wi * CT] * (int32_t)f[wf + fl_w]);             \
            }                                                                                          \
          }                                                                                            \
          dw[g] = (R_T)STAGE((int32_t)acc, p->shlU2, p->shrU2, B2[g], p->W2[g], p->limit2, p->shlX2,    \
                             p->shrX2);                                                                \
        }                                                                                              \
        for (uint32_t i = 0; i < CO; i++) {                                                            \
          uint32_t acc = 0;                                                                            \
          const int8_t *f = p->F3 + i;                                                                 \
          _Pragma("GCC unroll 8")                                                                      \
          for (uint32_t g = 0; g < CT; g++, f += CO) acc += (uint32_t)((int32_t)dw[g] * (int32_t)*f);  \
          *op++ = (OUT_T)PROJECT((int32_t)acc, p->shlU3, p->shrU3, B3[i], p->W3[i], p->shlW3, p->shrW3); \
        }                                                                                              \
        PIXEL_END;                                                                                     \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

void m4_mbconv7_q15xq7_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw,
                          const m4_mbconv7_params *p) {
  M4_MBCONV7_BODY(int16_t, int16_t, int16_t, p->B1, p->B2, p->B3, stage_q31, project_q31, (void)0);
}

void m4_mbconv7_q15xq7_q7(const int16_t *in, int8_t *out, int16_t *ring, int16_t *dw,
                         const m4_mbconv7_params *p) {
  M4_MBCONV7_BODY(int16_t, int16_t, int8_t, p->B1, p->B2, p->B3, stage_q31, project_q31, (void)0);
}

void m4_mbconv7_q7(const int8_t *in, int8_t *out, int8_t *ring, int8_t *dw, const m4_mbconv7_params *p) {
  M4_MBCONV7_BODY(int8_t, int8_t, int8_t, p->B1q7, p->B2q7, p->B3q7, stage_q7, project_q7, (void)0);
}

/*
 * In place: the block into a separate buffer, then the residual add over the input (m4_residual_add_q15
 * for q15xq7_q15, m4_mbconv7_residual_add_q7 for q7), with each finished output pixel (its COut values
 * in `row`) replaced by its residual sum over the same input pixel. Safe for the reason given for
 * m4_mbconv_q15_residual_inplace in mbconv.c, which holds for this body too (it is the same loop nest):
 * with stride 1 and "same" padding, output row h is computed after every input row <= min(h + HF/2,
 * H - 1) has been expanded into the ring; depthwise and project read only the ring, dw and the weights;
 * input row r is expanded in iteration max(0, r - HF/2) <= r, so when output pixel (h, w) goes over
 * input pixel (h, w) that row is already in the ring and the pixel's only later read is its own
 * residual, done right here before the write. Same sums in the same order, the block output narrowed
 * to its type first (in `row`), then the same residual expression per element: bit-identical.
 */
static int inplace_ok(const m4_mbconv7_params *p) {
  if (p->HStride != 1 || p->WStride != 1 || p->CIn != p->COut || p->HF == 0 || p->WF == 0) return 0;
  if (p->HPadU != (int32_t)((p->HF - 1) >> 1) || p->HPadD != (int32_t)(p->HF >> 1)) return 0;
  return p->WPadL == (int32_t)((p->WF - 1) >> 1) && p->WPadR == (int32_t)(p->WF >> 1);
}

#define M4_RESIDUAL7_PIXEL(T)                                                                          \
  do {                                                                                                 \
    T *x = inout + ((uint32_t)h * W + (uint32_t)w) * CO;                                               \
    for (uint32_t i = 0; i < CO; i++) x[i] = (T)(m4_div32(x[i], s1) + m4_div32(row[i], s2));           \
    op = row;                                                                                          \
  } while (0)

int m4_mbconv7_q15xq7_q15_residual_inplace(int16_t *inout, int16_t *ring, int16_t *dw, int16_t *row,
                                           const m4_mbconv7_params *p, int32_t scten1, int32_t scten2,
                                           int32_t scret) {
  if (!inplace_ok(p)) return -1;
  const int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  const int16_t *in = inout;
  int16_t *out = row;
  M4_MBCONV7_BODY(int16_t, int16_t, int16_t, p->B1, p->B2, p->B3, stage_q31, project_q31,
                  M4_RESIDUAL7_PIXEL(int16_t));
  return 0;
}

int m4_mbconv7_q7_residual_inplace(int8_t *inout, int8_t *ring, int8_t *dw, int8_t *row, const m4_mbconv7_params *p,
                                   int32_t scten1, int32_t scten2, int32_t scret) {
  if (!inplace_ok(p)) return -1;
  const int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  const int8_t *in = inout;
  int8_t *out = row;
  M4_MBCONV7_BODY(int8_t, int8_t, int8_t, p->B1q7, p->B2q7, p->B3q7, stage_q7, project_q7,
                  M4_RESIDUAL7_PIXEL(int8_t));
  return 0;
}
#undef M4_RESIDUAL7_PIXEL

void m4_mbconv7_residual_add_q7(const int8_t *a, const int8_t *b, uint32_t len, int8_t *ret, int32_t scten1,
                        int32_t scten2, int32_t scret) {
  int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  for (uint32_t i = 0; i < len; i++) ret[i] = (int8_t)(m4_div32(a[i], s1) + m4_div32(b[i], s2));
}
