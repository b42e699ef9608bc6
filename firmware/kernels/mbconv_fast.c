/* EdgeML q15xq7_q15_mbconv_block, streaming: see mbconv_fast.h. */
#include "mbconv_fast.h"

#include "conv.h"

static int32_t relu_clamp(int32_t x, int32_t limit) { return x > limit ? limit : (x < 0 ? 0 : x); }

/* (int32)((sum * shl) / shr + b) * w, all int32 with wrap-around. */
static inline int32_t bn_q31(int32_t sum, int32_t shl, int32_t shr, int16_t b, int8_t w) {
  int32_t t = (int32_t)((uint32_t)m4_div32(m4_mul32(sum, shl), shr) + (uint32_t)(int32_t)b);
  return m4_mul32(t, (int32_t)w);
}

static void axis(uint32_t size, uint32_t f, int32_t pad_lo, int32_t pad_hi, int32_t *lo, int32_t *hi) {
  *lo = (int32_t)((f - 1) >> 1) - pad_lo;
  *hi = (int32_t)size - ((int32_t)(f >> 1) - pad_hi);
}

static uint32_t count(int32_t lo, int32_t hi, uint32_t stride) {
  return lo >= hi ? 0 : (uint32_t)((hi - lo + (int32_t)stride - 1) / (int32_t)stride);
}

uint32_t m4_mbconv_q7w_hout(const m4_mbconv_q7w_params *p) {
  int32_t lo, hi;
  axis(p->H, p->HF, p->HPadU, p->HPadD, &lo, &hi);
  return count(lo, hi, p->HStride);
}

uint32_t m4_mbconv_q7w_wout(const m4_mbconv_q7w_params *p) {
  int32_t lo, hi;
  axis(p->W, p->WF, p->WPadL, p->WPadR, &lo, &hi);
  return count(lo, hi, p->WStride);
}

size_t m4_mbconv_q7w_ring_len(const m4_mbconv_q7w_params *p) { return (size_t)p->HF * p->W * p->CTemp; }

uint32_t m4_mbconv_q7w_inplace_gap(const m4_mbconv_q7w_params *p) {
  int32_t h_lo, h_hi;
  axis(p->H, p->HF, p->HPadU, p->HPadD, &h_lo, &h_hi);
  const int32_t out_row = (int32_t)(m4_mbconv_q7w_wout(p) * p->COut * 2u);
  const int32_t in_row = (int32_t)(p->W * p->CIn * 2u);
  int32_t gap = 0, ho = 0;
  for (int32_t h = h_lo; h < h_hi; h += (int32_t)p->HStride, ho++) {
    int32_t next = h + (int32_t)(p->HF >> 1) + 1; /* first input row not expanded yet */
    if (next >= (int32_t)p->H) break;            /* every input row read: no constraint left */
    int32_t need = (ho + 1) * out_row - next * in_row;
    if (need > gap) gap = need;
  }
  return (uint32_t)gap;
}

void m4_mbconv_q15xq7_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw,
                          const m4_mbconv_q7w_params *p) {
  const uint32_t W = p->W, CIn = p->CIn, CT = p->CTemp, CO = p->COut, HF = p->HF, WF = p->WF;
  const int32_t fl_h = (int32_t)((HF - 1) >> 1), fr_h = (int32_t)(HF >> 1);
  const int32_t fl_w = (int32_t)((WF - 1) >> 1), fr_w = (int32_t)(WF >> 1);
  int32_t h_lo, h_hi, w_lo, w_hi;
  axis(p->H, HF, p->HPadU, p->HPadD, &h_lo, &h_hi);
  axis(W, WF, p->WPadL, p->WPadR, &w_lo, &w_hi);
  int32_t next_row = 0; /* next input row to expand */
  int16_t *op = out;
  for (int32_t h = h_lo; h < h_hi; h += (int32_t)p->HStride) {
    int32_t need = h + fr_h;
    if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;
    for (; next_row <= need; next_row++) {
      const int16_t *row = in + (uint32_t)next_row * W * CIn;
      int16_t *slot = ring + ((uint32_t)next_row % HF) * W * CT;
      for (uint32_t j = 0; j < W; j++) {
        const int16_t *px = row + j * CIn;
        for (uint32_t k = 0; k < CT; k++) {
          uint32_t acc = 0;
          const int8_t *f = p->F1 + k;
          _Pragma("GCC unroll 8") for (uint32_t l = 0; l < CIn; l++, f += CT) acc +=
              (uint32_t)((int32_t)px[l] * (int32_t)*f);
          int32_t x = relu_clamp(bn_q31((int32_t)acc, p->shlU1, p->shrU1, p->B1[k], p->W1[k]), p->limit1);
          *slot++ = (int16_t)m4_div32(m4_mul32(x, p->shlX1), p->shrX1);
        }
      }
    }
    for (int32_t w = w_lo; w < w_hi; w += (int32_t)p->WStride) {
      for (uint32_t g = 0; g < CT; g++) {
        uint32_t acc = 0;
        for (int32_t hf = -fl_h; hf <= fr_h; hf++) {
          int32_t hi = h + hf;
          if (hi < 0 || hi >= (int32_t)p->H) continue;
          const int16_t *slot = ring + ((uint32_t)hi % HF) * W * CT + g;
          const int8_t *f = p->F2 + (g * HF + (uint32_t)(hf + fl_h)) * WF;
          for (int32_t wf = -fl_w; wf <= fr_w; wf++) {
            int32_t wi = w + wf;
            if (wi < 0 || wi >= (int32_t)W) continue;
            acc += (uint32_t)((int32_t)slot[(uint32_t)wi * CT] * (int32_t)f[wf + fl_w]);
          }
        }
        int32_t x = relu_clamp(bn_q31((int32_t)acc, p->shlU2, p->shrU2, p->B2[g], p->W2[g]), p->limit2);
        dw[g] = (int16_t)m4_div32(m4_mul32(x, p->shlX2), p->shrX2);
      }
      for (uint32_t i = 0; i < CO; i++) {
        uint32_t acc = 0;
        const int8_t *f = p->F3 + i;
        _Pragma("GCC unroll 8") for (uint32_t g = 0; g < CT; g++, f += CO) acc +=
            (uint32_t)((int32_t)dw[g] * (int32_t)*f);
        int32_t x = bn_q31((int32_t)acc, p->shlU3, p->shrU3, p->B3[i], p->W3[i]);
        *op++ = (int16_t)m4_div32(m4_mul32(x, p->shlW3), p->shrW3);
      }
    }
  }
}
