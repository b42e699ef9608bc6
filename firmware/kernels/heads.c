/* Detection heads: see heads.h. */
#include "heads.h"

#include <string.h>

#include "conv.h"
#include "l2norm.h"

size_t m4_head_ring_len(const m4_head_params *p) { return (size_t)p->HF * p->W * p->C; }

static int prepared(const m4_head_params *p) { return p->l2norm || p->norm_w != NULL; }

static void prepare_row(const int16_t *src, int16_t *dst, const m4_head_params *p) {
  int32_t nscale = m4_mul32(m4_mul32(p->norm_scinput, p->norm_scoutput), p->norm_demote);
  for (uint32_t j = 0; j < p->W; j++) {
    const int16_t *x = src + j * p->C;
    int16_t *y = dst + j * p->C;
    if (p->l2norm) {
      m4_l2norm_pixel_q15(x, p->C, y, p->l2_scale_in, p->l2_scale_out);
      x = y;
    }
    if (p->norm_w != NULL) {
      for (uint32_t c = 0; c < p->C; c++) {
        y[c] = (int16_t)m4_div64((int64_t)((int32_t)x[c] * (int32_t)p->norm_w[c]), nscale);
      }
    } else if (x != y) {
      for (uint32_t c = 0; c < p->C; c++) y[c] = x[c];
    }
  }
}

/* Row r of the map the convolutions read. */
static const int16_t *row_of(const int16_t *in, const int16_t *ring, int32_t r, const m4_head_params *p) {
  if (prepared(p)) return ring + ((uint32_t)r % p->HF) * p->W * p->C;
  return in + (uint32_t)r * p->W * p->C;
}

/* conv + bias for output channel o at (h, w). */
static int16_t head_conv(const int16_t *in, const int16_t *ring, int32_t h, int32_t w, uint32_t o,
                         const m4_head_conv *hc, const m4_head_params *p) {
  const int32_t fl_h = (int32_t)((p->HF - 1) >> 1), fr_h = (int32_t)(p->HF >> 1);
  const int32_t fl_w = (int32_t)((p->WF - 1) >> 1), fr_w = (int32_t)(p->WF >> 1);
  const uint32_t C = p->C, CO = hc->cout;
  int64_t acc = 0;
  for (int32_t hf = -fl_h; hf <= fr_h; hf++) {
    int32_t hi = h + hf;
    if (hi < 0 || hi >= (int32_t)p->H) continue;
    const int16_t *row = row_of(in, ring, hi, p);
    for (int32_t wf = -fl_w; wf <= fr_w; wf++) {
      int32_t wi = w + wf;
      if (wi < 0 || wi >= (int32_t)p->W) continue;
      const int16_t *x = row + (uint32_t)wi * C;
      const int16_t *f = hc->w + (((uint32_t)(hf + fl_h) * p->WF + (uint32_t)(wf + fl_w)) * C) * CO + o;
      for (uint32_t c = 0; c < C; c++, f += CO) acc += (int32_t)x[c] * (int32_t)*f;
    }
  }
  int32_t scale = m4_mul32(m4_mul32(hc->scinput, hc->scoutput), hc->demote);
  int16_t v = (int16_t)m4_div64(acc, scale);
  return (int16_t)(m4_div32(v, m4_mul32(hc->scten, hc->scret)) + m4_div32(hc->b[o], m4_mul32(hc->scvec, hc->scret)));
}

static inline int32_t ld32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4); /* LDR: the M4 allows unaligned single-word loads */
  return v;
}

/* acc += one 16 x 16 product (halves chosen by OP), exactly in 64 bits. */
#define HEAD_SMLAL(OP, acc, a, b) __asm__(OP " %Q0, %R0, %1, %2" : "+r"(acc) : "r"(a), "r"(b))

#ifdef __OPTIMIZE__ /* -O0 keeps r7 as the frame pointer and may not find 14 registers */
/*
 * a[o] += sum_c x[c] f[c cout + o] over c < n (n a multiple of 4), every o < cout, cout 4 or 2:
 * the filter rows of cout int16 are contiguous, so the taps of inputs c, c + 1 for all channels are
 * 2 cout consecutive halfwords. One word of x (inputs c, c + 1) is loaded once for all channels;
 * the filter words are read with offsets from f - 4 and a pre-indexed writeback on the last one,
 * so no separate pointer add, and every load sits in a run that pipelines (TRM 3.3.2).
 */
#define HEAD_DOT_STEP4                                                                                 \
  "ldr %[xp], [%[x]], #4\n\t"                                                                        \
  "ldr %[w0], [%[f], #4]\n\t"                                                                        \
  "ldr %[w1], [%[f], #8]\n\t"                                                                        \
  "smlalbb %Q[a0], %R[a0], %[xp], %[w0]\n\t"                                                         \
  "smlalbt %Q[a1], %R[a1], %[xp], %[w0]\n\t"                                                         \
  "smlalbb %Q[a2], %R[a2], %[xp], %[w1]\n\t"                                                         \
  "smlalbt %Q[a3], %R[a3], %[xp], %[w1]\n\t"                                                         \
  "ldr %[w0], [%[f], #12]\n\t"                                                                       \
  "ldr %[w1], [%[f], #16]!\n\t"                                                                      \
  "smlaltb %Q[a0], %R[a0], %[xp], %[w0]\n\t"                                                         \
  "smlaltt %Q[a1], %R[a1], %[xp], %[w0]\n\t"                                                         \
  "smlaltb %Q[a2], %R[a2], %[xp], %[w1]\n\t"                                                         \
  "smlaltt %Q[a3], %R[a3], %[xp], %[w1]\n\t"
#define HEAD_DOT_STEP2                                                                                 \
  "ldr %[xp], [%[x]], #4\n\t"                                                                        \
  "ldr %[w0], [%[f], #4]\n\t"                                                                        \
  "ldr %[w1], [%[f], #8]!\n\t"                                                                       \
  "smlalbb %Q[a0], %R[a0], %[xp], %[w0]\n\t"                                                         \
  "smlalbt %Q[a1], %R[a1], %[xp], %[w0]\n\t"                                                         \
  "smlaltb %Q[a0], %R[a0], %[xp], %[w1]\n\t"                                                         \
  "smlaltt %Q[a1], %R[a1], %[xp], %[w1]\n\t"
static inline __attribute__((always_inline)) void head_dot(const int16_t *x, const int16_t *f, uint32_t n,
                                                           uint32_t cout, int64_t *a) {
  uint32_t cnt = n / 4, xp, w0, w1;
  const int16_t *fb = f - 2; /* f - 4 bytes */
  int64_t a0 = a[0], a1 = a[1];
  if (cout == 4) {
    int64_t a2 = a[2], a3 = a[3];
    __asm__("1:\n\t" HEAD_DOT_STEP4 HEAD_DOT_STEP4 "subs %[cnt], %[cnt], #1\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [f] "+r"(fb),
              [cnt] "+r"(cnt), [xp] "=&r"(xp), [w0] "=&r"(w0), [w1] "=&r"(w1)
            :
            : "cc", "memory"); /* reads x, f: no "m" operands, which would need address registers */
    a[2] = a2, a[3] = a3;
  } else {
    __asm__("1:\n\t" HEAD_DOT_STEP2 HEAD_DOT_STEP2 "subs %[cnt], %[cnt], #1\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [f] "+r"(fb), [cnt] "+r"(cnt), [xp] "=&r"(xp),
              [w0] "=&r"(w0), [w1] "=&r"(w1)
            :
            : "cc", "memory"); /* reads x, f: no "m" operands, which would need address registers */
  }
  a[0] = a0, a[1] = a1;
}
#define HEAD_DOT_OK(n, cout) (((cout) == 4 || (cout) == 2) && (n) % 4 == 0 && (n) > 0)
#else
#define HEAD_DOT_OK(n, cout) 0
static void head_dot(const int16_t *x, const int16_t *f, uint32_t n, uint32_t cout, int64_t *a) {
  (void)x, (void)f, (void)n, (void)cout, (void)a;
}
#endif

/*
 * Every output channel of one convolution at (h, w) into out[0 .. cout), two channels at a time
 * when C and cout are even: the same exact int64 sums as head_conv (integer addition in another
 * order; at most HF WF C products of magnitude <= 2^30, far from overflowing), each SMLALxy adding
 * one product of an int16 pair (x[c], x[c+1]) loaded as one word with the filter pair of channel o
 * or o + 1 for input c or c + 1. The rows and columns inside the map are found once per pixel.
 */
static void head_convs(const int16_t *in, const int16_t *ring, int32_t h, int32_t w, const m4_head_conv *hc,
                       const m4_head_params *p, int16_t *out) {
  const uint32_t C = p->C, CO = hc->cout;
  if (CO % 2 != 0 || C % 2 != 0 || p->HF > 8) {
    for (uint32_t o = 0; o < CO; o++) out[o] = head_conv(in, ring, h, w, o, hc, p);
    return;
  }
  const int32_t fl_h = (int32_t)((p->HF - 1) >> 1), fr_h = (int32_t)(p->HF >> 1);
  const int32_t fl_w = (int32_t)((p->WF - 1) >> 1), fr_w = (int32_t)(p->WF >> 1);
  int32_t wf_lo = -fl_w, wf_hi = fr_w;
  if (w + wf_lo < 0) wf_lo = -w;
  if (w + wf_hi > (int32_t)p->W - 1) wf_hi = (int32_t)p->W - 1 - w;
  const int16_t *xs[8];  /* first input pixel of each filter row inside the map */
  const int16_t *fs[8];  /* its filter taps */
  uint32_t nrows = 0;
  for (int32_t hf = -fl_h; hf <= fr_h; hf++) {
    int32_t hi = h + hf;
    if (hi < 0 || hi >= (int32_t)p->H) continue;
    xs[nrows] = row_of(in, ring, hi, p) + (uint32_t)(w + wf_lo) * C;
    fs[nrows++] = hc->w + (((uint32_t)(hf + fl_h) * p->WF + (uint32_t)(wf_lo + fl_w)) * C) * CO;
  }
  const uint32_t n = wf_hi >= wf_lo ? (uint32_t)(wf_hi - wf_lo + 1) * C : 0; /* contiguous per row */
  int32_t scale = m4_mul32(m4_mul32(hc->scinput, hc->scoutput), hc->demote);
  int32_t sten = m4_mul32(hc->scten, hc->scret), svec = m4_mul32(hc->scvec, hc->scret);
  if (HEAD_DOT_OK(n, CO)) {
    int64_t a[4];
    a[0] = a[1] = a[2] = a[3] = 0; /* element by element: an initializer becomes a memset call */
    for (uint32_t r = 0; r < nrows; r++) head_dot(xs[r], fs[r], n, CO, a);
    for (uint32_t o = 0; o < CO; o++) {
      int16_t v = (int16_t)m4_div64(a[o], scale);
      out[o] = (int16_t)(m4_div32(v, sten) + m4_div32(hc->b[o], svec));
    }
    return;
  }
  for (uint32_t o = 0; o < CO; o += 2) {
    int64_t a0 = 0, a1 = 0;
    for (uint32_t r = 0; r < nrows; r++) {
      const int16_t *x = xs[r], *f = fs[r] + o;
#pragma GCC unroll 4
      for (uint32_t c = 0; c < n; c += 2, f += 2 * CO) {
        int32_t xp = ld32(x + c), w0 = ld32(f), w1 = ld32(f + CO);
        HEAD_SMLAL("smlalbb", a0, xp, w0);
        HEAD_SMLAL("smlalbt", a1, xp, w0);
        HEAD_SMLAL("smlaltb", a0, xp, w1);
        HEAD_SMLAL("smlaltt", a1, xp, w1);
      }
    }
    int16_t v0 = (int16_t)m4_div64(a0, scale), v1 = (int16_t)m4_div64(a1, scale);
    out[o] = (int16_t)(m4_div32(v0, sten) + m4_div32(hc->b[o], svec));
    out[o + 1] = (int16_t)(m4_div32(v1, sten) + m4_div32(hc->b[o + 1], svec));
  }
}

void m4_detection_head(const int16_t *in, int16_t *conf, int16_t *loc, int16_t *ring, const m4_head_params *p) {
  const int32_t fr_h = (int32_t)(p->HF >> 1);
  int32_t next_row = 0;
  int16_t raw[4];
  for (int32_t h = 0; h < (int32_t)p->H; h++) {
    if (prepared(p)) {
      int32_t need = h + fr_h;
      if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;
      for (; next_row <= need; next_row++) {
        prepare_row(in + (uint32_t)next_row * p->W * p->C, ring + ((uint32_t)next_row % p->HF) * p->W * p->C, p);
      }
    }
    for (int32_t w = 0; w < (int32_t)p->W; w++) {
      if (p->conf.cout == 4) {
        head_convs(in, ring, h, w, &p->conf, p, raw);
        int16_t best = raw[0];
        if (best < raw[1]) best = raw[1];
        if (best < raw[2]) best = raw[2];
        *conf++ = best;
        *conf++ = raw[3];
      } else {
        head_convs(in, ring, h, w, &p->conf, p, conf);
        conf += p->conf.cout;
      }
      head_convs(in, ring, h, w, &p->loc, p, loc);
      loc += p->loc.cout;
    }
  }
}
