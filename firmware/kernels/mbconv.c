/* Streaming MBConv: see mbconv.h. */
#include "mbconv.h"

#include <arm_acle.h>
#include <string.h>

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


/*
 * Fast path (same values as M4_MBCONV_BODY): taken when every divisor is a positive power of two,
 * CTemp and COut are even and CIn is a multiple of 4 (Q7 input) or 2 (Q15 input), HF, WF <= 8.
 *  - Each `/ 2^k` is an arithmetic shift with the sign correction of m4_div32 / m4_div64, with k
 *    and 2^k - 1 found once per call instead of per element.
 *  - The sums are exact int64 sums made with SMLALBB/BT/TB/TT (one 16 x 16 product added exactly
 *    into 64 bits per instruction) over int16 pairs loaded as one word; two output channels per
 *    pass share every input load. The order of the additions differs from the generic loop, which
 *    is exact: integer addition is associative, the int64 sum never overflows (at most 2^14 products
 *    of magnitude <= 2^30), and the int32 variant's wrapping sum is the low word of the exact sum.
 *  - Depthwise: the ring row pointers and the filter taps inside the image are found once per output
 *    pixel rather than per channel and tap.
 */
typedef struct {
  int32_t k, m;
} mb_div;
typedef struct {
  mb_div u1, x1, u2, x2, u3, w3;
} mb_plan;

static int mb_div_of(mb_div *d, int32_t v) {
  if (v <= 0 || (v & (v - 1)) != 0) return 0;
  d->k = __builtin_ctz((uint32_t)v);
  d->m = v - 1;
  return 1;
}

#define MB_MAX_F 8
static int mb_plan_init(mb_plan *pl, const m4_mbconv_params *p, uint32_t cin_multiple) {
  return p->CTemp % 2 == 0 && p->COut % 2 == 0 && p->CIn % cin_multiple == 0 && p->HF <= MB_MAX_F &&
         p->WF <= MB_MAX_F && mb_div_of(&pl->u1, p->shrU1) & mb_div_of(&pl->x1, p->shrX1) &
         mb_div_of(&pl->u2, p->shrU2) & mb_div_of(&pl->x2, p->shrX2) & mb_div_of(&pl->u3, p->shrU3) &
         mb_div_of(&pl->w3, p->shrW3);
}

#define MB_DIV32(x, d) (((x) + (((x) >> 31) & (d).m)) >> (d).k)

/* bn_q31 / bn_q63 with the divisor as a shift. */
static inline int32_t bn_q31_fast(int64_t acc, int32_t shl, mb_div d, int16_t b, int16_t w) {
  int32_t v = m4_mul32((int32_t)acc, shl);
  return m4_mul32((int32_t)((uint32_t)MB_DIV32(v, d) + (uint32_t)(int32_t)b), (int32_t)w);
}
/*
 * The q63 form keeps only the low word of ((v + c) >> k) + b, i.e. bits k .. k + 31 of v + c (c the
 * sign correction, 0 <= c = m < 2^31): lo >> k | hi << (32 - k), written (hi << 1) << (31 - k) so
 * that k = 0 (shift 32: no bits) stays defined C. k <= 30 (the divisor is a positive int32), so GCC
 * needs no k >= 32 case.
 */
static inline int32_t bn_q63_fast(int64_t acc, int32_t shl, mb_div d, int16_t b, int16_t w) {
  int64_t v = acc * (int64_t)shl;
  uint64_t vc = (uint64_t)v + (uint32_t)((int32_t)((uint64_t)v >> 32) >> 31 & d.m);
  uint32_t lo = (uint32_t)vc, hi = (uint32_t)(vc >> 32);
  uint32_t q = (lo >> d.k) | ((hi << 1) << (31 - d.k));
  return m4_mul32((int32_t)(q + (uint32_t)(int32_t)b), (int32_t)w);
}

static inline int32_t ld32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4); /* LDR: the M4 allows unaligned single-word loads */
  return v;
}

/* acc += one 16 x 16 product (halves chosen by OP), exactly in 64 bits. */
#define MB_SMLAL(OP, acc, a, b) __asm__(OP " %Q0, %R0, %1, %2" : "+r"(acc) : "r"(a), "r"(b))

/* a0 = sum_l x[l] f[l s], a1 = sum_l x[l] f[l s + 1] over l < n (n even): x int16, f int16. */
static inline __attribute__((always_inline)) void mb_dot2_q15(const int16_t *x, const int16_t *f, uint32_t n,
                                                              uint32_t s, int64_t *o0, int64_t *o1) {
  int64_t a0 = 0, a1 = 0;
#ifdef __OPTIMIZE__ /* -O0 keeps r7 as the frame pointer and may not find the registers: C loop */
  if (n % 8 == 0 && n > 0) {
    /*
     * The loop below in assembly, 8 inputs per iteration: GCC keeps neither the stride nor the two
     * accumulators in registers. Plain LDRs (unaligned allowed), register-offset for row l + 1.
     */
    uint32_t sb = 2 * s, cnt = n / 8, xp, w0, w1;
    __asm__(
        "1:\n\t"
        ".rept 4\n\t"
        "ldr %[xp], [%[x]], #4\n\t"
        "ldr %[w0], [%[f]]\n\t"
        "ldr %[w1], [%[f], %[sb]]\n\t"
        "add %[f], %[f], %[sb], lsl #1\n\t"
        "smlalbb %Q[a0], %R[a0], %[xp], %[w0]\n\t"
        "smlalbt %Q[a1], %R[a1], %[xp], %[w0]\n\t"
        "smlaltb %Q[a0], %R[a0], %[xp], %[w1]\n\t"
        "smlaltt %Q[a1], %R[a1], %[xp], %[w1]\n\t"
        ".endr\n\t"
        "subs %[cnt], %[cnt], #1\n\t"
        "bne 1b"
        : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [f] "+r"(f), [cnt] "+r"(cnt), [xp] "=&r"(xp),
          [w0] "=&r"(w0), [w1] "=&r"(w1)
        : [sb] "r"(sb), "m"(*(const int16_t(*)[])x), "m"(*(const int16_t(*)[])f)
        : "cc");
    *o0 = a0;
    *o1 = a1;
    return;
  }
#endif
#pragma GCC unroll 4
  for (uint32_t l = 0; l < n; l += 2, f += 2 * s) {
    int32_t xp = ld32(x + l), w0 = ld32(f), w1 = ld32(f + s);
    MB_SMLAL("smlalbb", a0, xp, w0);
    MB_SMLAL("smlalbt", a1, xp, w0);
    MB_SMLAL("smlaltb", a0, xp, w1);
    MB_SMLAL("smlaltt", a1, xp, w1);
  }
  *o0 = a0;
  *o1 = a1;
}

/* As mb_dot2_q15 for an int8 x (n a multiple of 4): SXTB16 makes int16 pairs (x0, x2), (x1, x3). */
static inline __attribute__((always_inline)) void mb_dot2_q7(const int8_t *x, const int16_t *f, uint32_t n,
                                                             uint32_t s, int64_t *o0, int64_t *o1) {
  int64_t a0 = 0, a1 = 0;
#pragma GCC unroll 2
  for (uint32_t l = 0; l < n; l += 4, f += 4 * s) {
    int32_t xw = ld32(x + l);
    int32_t xa = (int32_t)__sxtb16((uint32_t)xw), xb = (int32_t)__sxtb16(((uint32_t)xw >> 8) | ((uint32_t)xw << 24));
    int32_t w0 = ld32(f), w1 = ld32(f + s), w2 = ld32(f + 2 * s), w3 = ld32(f + 3 * s);
    MB_SMLAL("smlalbb", a0, xa, w0);
    MB_SMLAL("smlalbt", a1, xa, w0);
    MB_SMLAL("smlalbb", a0, xb, w1);
    MB_SMLAL("smlalbt", a1, xb, w1);
    MB_SMLAL("smlaltb", a0, xa, w2);
    MB_SMLAL("smlaltt", a1, xa, w2);
    MB_SMLAL("smlaltb", a0, xb, w3);
    MB_SMLAL("smlaltt", a1, xb, w3);
  }
  *o0 = a0;
  *o1 = a1;
}

#ifdef __OPTIMIZE__
/*
 * mb_dot4_q7's loop for a weight row stride known at compile time (sbi = 2 s bytes, <= 1020): each
 * filter row pair comes with one post-indexed LDRD (3 cycles, TRM Table 3-1) instead of two LDRs
 * and an ADD of the stride (4). Same products, same wrapping int32 sums in the same order.
 */
#define MB_DOT4_ROW(X, LO)                                                                         \
  "ldrd %[wa], %[wb], [%[f]], #%c[sbi]\n\t"                                                          \
  "smla" LO "b %[a0], %[" X "], %[wa], %[a0]\n\t"                                                    \
  "smla" LO "t %[a1], %[" X "], %[wa], %[a1]\n\t"                                                    \
  "smla" LO "b %[a2], %[" X "], %[wb], %[a2]\n\t"                                                    \
  "smla" LO "t %[a3], %[" X "], %[wb], %[a3]\n\t"
static inline __attribute__((always_inline)) void mb_dot4_q7_imm(const int8_t *x, const int16_t *f, uint32_t n,
                                                                 const uint32_t sbi, int32_t *o) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  uint32_t cnt = n / 8, xa, xb, wa, wb;
  __asm__("1:\n\t"
          ".rept 2\n\t"
          "ldr %[xa], [%[x]], #4\n\t"
          "sxtb16 %[xb], %[xa], ror #8\n\t"
          "sxtb16 %[xa], %[xa]\n\t" MB_DOT4_ROW("xa", "b") MB_DOT4_ROW("xb", "b")
              MB_DOT4_ROW("xa", "t") MB_DOT4_ROW("xb", "t") ".endr\n\t"
          "subs %[cnt], %[cnt], #1\n\t"
          "bne 1b"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [f] "+r"(f),
            [cnt] "+r"(cnt), [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb)
          : [sbi] "n"(sbi), "m"(*(const int8_t(*)[])x), "m"(*(const int16_t(*)[])f)
          : "cc");
  o[0] = a0, o[1] = a1, o[2] = a2, o[3] = a3;
}
#endif

/*
 * a[j] = sum_l x[l] f[l s + j], j < 4, for an int8 x and n a multiple of 8, as int32 sums that wrap
 * (the Q7 block's uint32 sums): SMLABB / SMLABT add x[l] times the low / high half of a filter pair,
 * wrapping like the C sum. SXTB16 splits four int8 inputs into the int16 pairs (x0, x2), (x1, x3).
 */
static inline __attribute__((always_inline)) void mb_dot4_q7(const int8_t *x, const int16_t *f, uint32_t n,
                                                             uint32_t s, int32_t *o) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#ifndef __OPTIMIZE__
  /* -O0 keeps r7 as the frame pointer and may not find 12 registers: the same wrapping sums in C. */
  for (uint32_t l = 0; l < n; l++, f += s) {
    int32_t x0 = x[l];
    a0 = (int32_t)((uint32_t)a0 + (uint32_t)(x0 * f[0]));
    a1 = (int32_t)((uint32_t)a1 + (uint32_t)(x0 * f[1]));
    a2 = (int32_t)((uint32_t)a2 + (uint32_t)(x0 * f[2]));
    a3 = (int32_t)((uint32_t)a3 + (uint32_t)(x0 * f[3]));
  }
#else
  if (s == 128) { /* the face detectors' Q7 expand (CTemp 128); one copy: -O1 keeps the body in literal range */
    mb_dot4_q7_imm(x, f, n, 256, o);
    return;
  }
  uint32_t sb = 2 * s, cnt = n / 8, xa, xb, wa, wb;
  __asm__(
      "1:\n\t"
      ".rept 2\n\t"
      "ldr %[xa], [%[x]], #4\n\t"
      "ldr %[wa], [%[f]]\n\t"
      "ldr %[wb], [%[f], #4]\n\t"
      "add %[f], %[f], %[sb]\n\t"
      "sxtb16 %[xb], %[xa], ror #8\n\t"
      "sxtb16 %[xa], %[xa]\n\t"
      "smlabb %[a0], %[xa], %[wa], %[a0]\n\t"
      "smlabt %[a1], %[xa], %[wa], %[a1]\n\t"
      "smlabb %[a2], %[xa], %[wb], %[a2]\n\t"
      "smlabt %[a3], %[xa], %[wb], %[a3]\n\t"
      "ldr %[wa], [%[f]]\n\t"
      "ldr %[wb], [%[f], #4]\n\t"
      "add %[f], %[f], %[sb]\n\t"
      "smlabb %[a0], %[xb], %[wa], %[a0]\n\t"
      "smlabt %[a1], %[xb], %[wa], %[a1]\n\t"
      "smlabb %[a2], %[xb], %[wb], %[a2]\n\t"
      "smlabt %[a3], %[xb], %[wb], %[a3]\n\t"
      "ldr %[wa], [%[f]]\n\t"
      "ldr %[wb], [%[f], #4]\n\t"
      "add %[f], %[f], %[sb]\n\t"
      "smlatb %[a0], %[xa], %[wa], %[a0]\n\t"
      "smlatt %[a1], %[xa], %[wa], %[a1]\n\t"
      "smlatb %[a2], %[xa], %[wb], %[a2]\n\t"
      "smlatt %[a3], %[xa], %[wb], %[a3]\n\t"
      "ldr %[wa], [%[f]]\n\t"
      "ldr %[wb], [%[f], #4]\n\t"
      "add %[f], %[f], %[sb]\n\t"
      "smlatb %[a0], %[xb], %[wa], %[a0]\n\t"
      "smlatt %[a1], %[xb], %[wa], %[a1]\n\t"
      "smlatb %[a2], %[xb], %[wb], %[a2]\n\t"
      "smlatt %[a3], %[xb], %[wb], %[a3]\n\t"
      ".endr\n\t"
      "subs %[cnt], %[cnt], #1\n\t"
      "bne 1b"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [f] "+r"(f),
        [cnt] "+r"(cnt), [xa] "=&r"(xa), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb)
      : [sb] "r"(sb), "m"(*(const int8_t(*)[])x), "m"(*(const int16_t(*)[])f)
      : "cc");
#endif
  o[0] = a0, o[1] = a1, o[2] = a2, o[3] = a3;
}

#define MB_EXPAND_Q7(px, f, n, s, o0, o1) mb_dot2_q7(px, f, n, s, o0, o1)
#define MB_EXPAND_Q15(px, f, n, s, o0, o1) mb_dot2_q15(px, f, n, s, o0, o1)

/* The 4-channel Q7 expand applies: int8 input, CIn a multiple of 8, CTemp of 4. */
#define MB_QUAD_OK(IN_T, CIn, CT) (sizeof(IN_T) == 1 && (CIn) % 8 == 0 && (CIn) > 0 && (CT) % 4 == 0)

static inline int32_t mb_relu(int32_t x, int32_t limit) { return x > limit ? limit : (x < 0 ? 0 : x); }

#define MB_DW_CHUNK 16
/*
 * The depthwise step of one output pixel for a 3x3 filter wholly inside the map (rows s0..s2: the
 * ring at the pixel left of the centre, filter F2[CT][3][3]), two channels g, g + 1 per pass, with
 * the BN and requantization of the fast body (q63: bn_q63_fast, else bn_q31_fast). The 18 taps of
 * the pair are contiguous in F2 (g even, so they start on an even element): nine words, word j
 * holding taps 2j, 2j + 1 of the pair's concatenated taps (channel g's 0..8, then g + 1's 0..8), so
 * each product takes its tap with the matching SMLALxy half instead of a halfword load. Same exact
 * int64 sums as the generic depthwise loop in another order.
 */
static inline __attribute__((always_inline)) void mb_dw3x3(const int16_t *s0, const int16_t *s1, const int16_t *s2,
                                                            const int16_t *f, uint32_t CT, const int16_t *b2,
                                                            const int16_t *w2, int32_t shl, mb_div u, int32_t limit,
                                                            int32_t shx, mb_div xd, const int q63, int16_t *dw) {
  if (u.k > 30) __builtin_unreachable(); /* shrU2 = 2^k is a positive int32: the shift needs no k >= 32 case */
  const uint32_t cb = 2 * CT; /* tap stride in the ring, bytes */
  /*
   * In chunks of MB_DW_CHUNK channels: the sums first (the assembly takes 14 registers, so GCC would
   * spill the BN constants around it), then the BN of the chunk. The q31 BN reads only the low word.
   */
  int64_t acc64[MB_DW_CHUNK];
  int32_t acc32[MB_DW_CHUNK];
  for (uint32_t g0 = 0; g0 < CT; g0 += MB_DW_CHUNK) {
    const uint32_t n = CT - g0 < MB_DW_CHUNK ? CT - g0 : MB_DW_CHUNK;
    for (uint32_t g = 0; g < n; g += 2, s0 += 2, s1 += 2, s2 += 2, f += 18) {
      int64_t a0 = 0, a1 = 0;
#ifdef __OPTIMIZE__ /* -O0 keeps r7 as the frame pointer: C below */
      /*
       * Five temporaries, each ring word and filter word loaded once, loads in runs of 3 to 5 (TRM
       * 3.3.2 pipelining). Tap t: ring word Rt (row t / 3, column t % 3), channel g's tap in filter
       * word t / 2 (half t % 2), channel g + 1's in word (9 + t) / 2 (half (t + 1) % 2).
       */
      uint32_t ta, tb, tc, td, te;
      __asm__("ldr %[A], [%[s0]]\n\t"
              "ldr %[B], [%[s0], %[c]]\n\t"
              "ldr %[C], [%[s0], %[c], lsl #1]\n\t"
              "ldr %[D], [%[f]]\n\t"
              "ldr %[E], [%[f], #20]\n\t"
              "smlalbb %Q[a0], %R[a0], %[A], %[D]\n\t" /* t0 */
              "smlalbt %Q[a0], %R[a0], %[B], %[D]\n\t" /* t1 */
              "smlaltb %Q[a1], %R[a1], %[B], %[E]\n\t" /* t1' */
              "smlaltt %Q[a1], %R[a1], %[C], %[E]\n\t" /* t2' */
              "ldr %[D], [%[f], #4]\n\t"
              "ldr %[E], [%[f], #16]\n\t"
              "ldr %[B], [%[s1]]\n\t"
              "smlalbb %Q[a0], %R[a0], %[C], %[D]\n\t" /* t2 */
              "smlaltt %Q[a1], %R[a1], %[A], %[E]\n\t" /* t0' */
              "smlalbt %Q[a0], %R[a0], %[B], %[D]\n\t" /* t3 */
              "ldr %[A], [%[f], #24]\n\t"
              "ldr %[C], [%[s1], %[c]]\n\t"
              "ldr %[D], [%[f], #8]\n\t"
              "smlaltb %Q[a1], %R[a1], %[B], %[A]\n\t" /* t3' */
              "smlaltt %Q[a1], %R[a1], %[C], %[A]\n\t" /* t4' */
              "smlalbb %Q[a0], %R[a0], %[C], %[D]\n\t" /* t4 */
              "ldr %[A], [%[s1], %[c], lsl #1]\n\t"
              "ldr %[B], [%[f], #28]\n\t"
              "ldr %[C], [%[s2]]\n\t"
              "smlalbt %Q[a0], %R[a0], %[A], %[D]\n\t" /* t5 */
              "smlaltb %Q[a1], %R[a1], %[A], %[B]\n\t" /* t5' */
              "smlaltt %Q[a1], %R[a1], %[C], %[B]\n\t" /* t6' */
              "ldr %[A], [%[f], #12]\n\t"
              "ldr %[B], [%[s2], %[c]]\n\t"
              "ldr %[D], [%[f], #32]\n\t"
              "smlalbb %Q[a0], %R[a0], %[C], %[A]\n\t" /* t6 */
              "smlalbt %Q[a0], %R[a0], %[B], %[A]\n\t" /* t7 */
              "smlaltb %Q[a1], %R[a1], %[B], %[D]\n\t" /* t7' */
              "ldr %[A], [%[s2], %[c], lsl #1]\n\t"
              "smlalbb %Q[a0], %R[a0], %[A], %[E]\n\t" /* t8 */
              "smlaltt %Q[a1], %R[a1], %[A], %[D]"       /* t8' */
              : [a0] "+r"(a0), [a1] "+r"(a1), [A] "=&r"(ta), [B] "=&r"(tb), [C] "=&r"(tc), [D] "=&r"(td),
                [E] "=&r"(te)
              : [s0] "r"(s0), [s1] "r"(s1), [s2] "r"(s2), [f] "r"(f), [c] "r"(cb), "m"(*(const int16_t(*)[18])f),
                "m"(*(const int16_t(*)[])s0), "m"(*(const int16_t(*)[])s1), "m"(*(const int16_t(*)[])s2));
#else
      for (uint32_t t = 0; t < 9; t++) {
        const int16_t *r = (t < 3 ? s0 : t < 6 ? s1 : s2) + (t % 3) * CT;
        a0 += (int32_t)r[0] * (int32_t)f[t];
        a1 += (int32_t)r[1] * (int32_t)f[9 + t];
      }
      (void)cb;
#endif
      if (q63) {
        acc64[g] = a0;
        acc64[g + 1] = a1;
      } else {
        acc32[g] = (int32_t)a0;
        acc32[g + 1] = (int32_t)a1;
      }
    }
    for (uint32_t g = 0; g < n; g++) {
      int32_t x = q63 ? bn_q63_fast(acc64[g], shl, u, b2[g0 + g], w2[g0 + g])
                      : bn_q31_fast(acc32[g], shl, u, b2[g0 + g], w2[g0 + g]);
      x = m4_mul32(mb_relu(x, limit), shx);
      dw[g0 + g] = (int16_t)MB_DIV32(x, xd);
    }
  }
}

/* mb_dw3x3 applies: a 3x3 filter with all its rows and columns inside the map. */
#define MB_DW3X3_OK(HF, WF, nrows, wf_lo, wf_hi) ((HF) == 3 && (WF) == 3 && (nrows) == 3 && (wf_lo) == -1 && (wf_hi) == 1)
static __attribute__((noinline)) void mb_dw3x3_q63(const int16_t *s0, const int16_t *s1, const int16_t *s2,
                                                   const m4_mbconv_params *p, const mb_plan *pl, int16_t *dw) {
  mb_dw3x3(s0, s1, s2, p->F2, p->CTemp, p->B2, p->W2, p->shlU2, pl->u2, p->limit2, p->shlX2, pl->x2, 1, dw);
}
static __attribute__((noinline)) void mb_dw3x3_q31(const int16_t *s0, const int16_t *s1, const int16_t *s2,
                                                   const m4_mbconv_params *p, const mb_plan *pl, int16_t *dw) {
  mb_dw3x3(s0, s1, s2, p->F2, p->CTemp, p->B2, p->W2, p->shlU2, pl->u2, p->limit2, p->shlX2, pl->x2, 0, dw);
}

#define M4_MBCONV_FAST_BODY(IN_T, EXPAND, BN, PIXEL_END)                                                \
  do {                                                                                                 \
    const uint32_t W = p->W, CIn = p->CIn, CT = p->CTemp, CO = p->COut, HF = p->HF, WF = p->WF;        \
    const int32_t fl_h = (int32_t)((HF - 1) >> 1), fr_h = (int32_t)(HF >> 1);                          \
    const int32_t fl_w = (int32_t)((WF - 1) >> 1), fr_w = (int32_t)(WF >> 1);                          \
    int32_t h_lo, h_hi, w_lo, w_hi;                                                                    \
    axis(p->H, HF, p->HPadU, p->HPadD, &h_lo, &h_hi);                                                  \
    axis(W, WF, p->WPadL, p->WPadR, &w_lo, &w_hi);                                                     \
    int32_t next_row = 0;                                                                              \
    int16_t *op = out;                                                                                 \
    for (int32_t h = h_lo; h < h_hi; h += (int32_t)p->HStride) {                                       \
      int32_t need = h + fr_h;                                                                         \
      if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;                                          \
      for (; next_row <= need; next_row++) {                                                           \
        const IN_T *src = in + (uint32_t)next_row * W * CIn;                                           \
        int16_t *slot = ring + ((uint32_t)next_row % HF) * W * CT;                                     \
        for (uint32_t j = 0; j < W; j++) {                                                             \
          const IN_T *px = src + j * CIn;                                                              \
          uint32_t k = 0;                                                                              \
          if (MB_QUAD_OK(IN_T, CIn, CT)) {                                                             \
            for (; k < CT; k += 4) {                                                                   \
              int32_t a4[4];                                                                           \
              mb_dot4_q7((const int8_t *)px, p->F1 + k, CIn, CT, a4);                                  \
              for (uint32_t j = 0; j < 4; j++) {                                                       \
                int32_t x = mb_relu(BN(a4[j], p->shlU1, pl.u1, p->B1[k + j], p->W1[k + j]), p->limit1); \
                x = m4_mul32(x, p->shlX1);                                                             \
                *slot++ = (int16_t)MB_DIV32(x, pl.x1);                                                 \
              }                                                                                        \
            }                                                                                          \
          }                                                                                            \
          for (; k < CT; k += 2) {                                                                     \
            int64_t a0, a1;                                                                            \
            EXPAND(px, p->F1 + k, CIn, CT, &a0, &a1);                                                  \
            int32_t x0 = mb_relu(BN(a0, p->shlU1, pl.u1, p->B1[k], p->W1[k]), p->limit1);              \
            int32_t x1 = mb_relu(BN(a1, p->shlU1, pl.u1, p->B1[k + 1], p->W1[k + 1]), p->limit1);      \
            x0 = m4_mul32(x0, p->shlX1);                                                               \
            x1 = m4_mul32(x1, p->shlX1);                                                               \
            *slot++ = (int16_t)MB_DIV32(x0, pl.x1);                                                    \
            *slot++ = (int16_t)MB_DIV32(x1, pl.x1);                                                    \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
      /* Ring rows of the filter rows inside the image. */                                             \
      const int16_t *rows[MB_MAX_F];                                                                   \
      const int16_t *frow[MB_MAX_F];                                                                   \
      uint32_t nrows = 0;                                                                              \
      for (int32_t hf = -fl_h; hf <= fr_h; hf++) {                                                     \
        int32_t hi = h + hf;                                                                           \
        if (hi < 0 || hi >= (int32_t)p->H) continue;                                                   \
        rows[nrows] = ring + ((uint32_t)hi % HF) * W * CT;                                             \
        frow[nrows++] = p->F2 + (uint32_t)(hf + fl_h) * WF;                                            \
      }                                                                                                \
      for (int32_t w = w_lo; w < w_hi; w += (int32_t)p->WStride) {                                     \
        int32_t wf_lo = -fl_w, wf_hi = fr_w;                                                           \
        if (w + wf_lo < 0) wf_lo = -w;                                                                 \
        if (w + wf_hi > (int32_t)W - 1) wf_hi = (int32_t)W - 1 - w;                                    \
        uint32_t g = 0;                                                                                \
        if (MB_DW3X3_OK(HF, WF, nrows, wf_lo, wf_hi)) {                                                \
          const uint32_t o = (uint32_t)(w - 1) * CT;                                                   \
          (BN == bn_q63_fast ? mb_dw3x3_q63 : mb_dw3x3_q31)(rows[0] + o, rows[1] + o, rows[2] + o, p, &pl, dw); \
          g = CT;                                                                                      \
        }                                                                                              \
        for (; g < CT; g += 2) {                                                                       \
          int64_t a0 = 0, a1 = 0;                                                                      \
          for (uint32_t r = 0; r < nrows; r++) {                                                       \
            const int16_t *sp = rows[r] + (uint32_t)(w + wf_lo) * CT + g;                              \
            const int16_t *f0 = frow[r] + g * HF * WF + (uint32_t)(wf_lo + fl_w);                      \
            const int16_t *f1 = f0 + HF * WF;                                                          \
            if (wf_hi - wf_lo == 2) { /* three taps (3x3 filters inside the map), unrolled */          \
              int32_t r0 = ld32(sp), r1 = ld32(sp + CT), r2 = ld32(sp + 2 * CT);                       \
              int32_t c00 = f0[0], c01 = f0[1], c02 = f0[2], c10 = f1[0], c11 = f1[1], c12 = f1[2];     \
              MB_SMLAL("smlalbb", a0, r0, c00);                                                        \
              MB_SMLAL("smlaltb", a1, r0, c10);                                                        \
              MB_SMLAL("smlalbb", a0, r1, c01);                                                        \
              MB_SMLAL("smlaltb", a1, r1, c11);                                                        \
              MB_SMLAL("smlalbb", a0, r2, c02);                                                        \
              MB_SMLAL("smlaltb", a1, r2, c12);                                                        \
              continue;                                                                                \
            }                                                                                          \
            for (int32_t wf = wf_lo; wf <= wf_hi; wf++, sp += CT) {                                    \
              int32_t rp = ld32(sp), c0 = *f0++, c1 = *f1++;                                           \
              MB_SMLAL("smlalbb", a0, rp, c0);                                                         \
              MB_SMLAL("smlaltb", a1, rp, c1);                                                         \
            }                                                                                          \
          }                                                                                            \
          int32_t x0 = mb_relu(BN(a0, p->shlU2, pl.u2, p->B2[g], p->W2[g]), p->limit2);                \
          int32_t x1 = mb_relu(BN(a1, p->shlU2, pl.u2, p->B2[g + 1], p->W2[g + 1]), p->limit2);        \
          x0 = m4_mul32(x0, p->shlX2);                                                                 \
          x1 = m4_mul32(x1, p->shlX2);                                                                 \
          dw[g] = (int16_t)MB_DIV32(x0, pl.x2);                                                        \
          dw[g + 1] = (int16_t)MB_DIV32(x1, pl.x2);                                                    \
        }                                                                                              \
        for (uint32_t i = 0; i < CO; i += 2) {                                                         \
          int64_t a0, a1;                                                                              \
          mb_dot2_q15(dw, p->F3 + i, CT, CO, &a0, &a1);                                                \
          int32_t x0 = m4_mul32(BN(a0, p->shlU3, pl.u3, p->B3[i], p->W3[i]), p->shlW3);                \
          int32_t x1 = m4_mul32(BN(a1, p->shlU3, pl.u3, p->B3[i + 1], p->W3[i + 1]), p->shlW3);        \
          *op++ = (int16_t)MB_DIV32(x0, pl.w3);                                                        \
          *op++ = (int16_t)MB_DIV32(x1, pl.w3);                                                        \
        }                                                                                              \
        PIXEL_END;                                                                                     \
      }                                                                                                \
    }                                                                                                  \
  } while (0)

#define M4_SUM32(acc) ((int32_t)(acc))
#define M4_SUM64(acc) (acc)

void m4_mbconv_q7xq15_q15(const int8_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p) {
  mb_plan pl;
  if (mb_plan_init(&pl, p, 4)) {
    M4_MBCONV_FAST_BODY(int8_t, MB_EXPAND_Q7, bn_q31_fast, (void)0);
    return;
  }
  M4_MBCONV_BODY(int8_t, uint32_t, M4_SUM32, bn_q31, (void)0);
}

void m4_mbconv_q15(const int16_t *in, int16_t *out, int16_t *ring, int16_t *dw, const m4_mbconv_params *p) {
  mb_plan pl;
  if (mb_plan_init(&pl, p, 2)) {
    M4_MBCONV_FAST_BODY(int16_t, MB_EXPAND_Q15, bn_q63_fast, (void)0);
    return;
  }
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
  mb_plan pl;
  if (mb_plan_init(&pl, p, 2)) M4_MBCONV_FAST_BODY(int16_t, MB_EXPAND_Q15, bn_q63_fast, M4_RESIDUAL_PIXEL);
  else M4_MBCONV_BODY(int16_t, int64_t, M4_SUM64, bn_q63, M4_RESIDUAL_PIXEL);
#undef M4_RESIDUAL_PIXEL
  return 0;
}

void m4_residual_add_q15(const int16_t *a, const int16_t *b, uint32_t len, int16_t *ret, int32_t scten1,
                         int32_t scten2, int32_t scret) {
  int32_t s1 = m4_mul32(scten1, scret), s2 = m4_mul32(scten2, scret);
  for (uint32_t i = 0; i < len; i++) ret[i] = (int16_t)(m4_div32(a[i], s1) + m4_div32(b[i], s2));
}
