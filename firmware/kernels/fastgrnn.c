/*
 * Quantized FastGRNN (dense), EdgeML DIV semantics: see fastgrnn.h. Mirrors q15_fastgrnn and
 * q7xq15_q15_fastgrnn of EdgeML's quantized_fastgrnn.c (non-SPARSE build).
 */
#include "fastgrnn.h"

#include <arm_acle.h>
#include <string.h>

/* ---- Fast path: see fastgrnn.h. ------------------------------------------------------------------ */

/* Power-of-two divisor d -> {k, 2^k - 1}; 0 when d is not a positive power of two. */
static int plan_div(FastGRNN_Div *out, SCALE_T d) {
  if (d <= 0 || (d & (d - 1)) != 0) return 0;
  out->k = __builtin_ctz((uint32_t)d);
  out->m = d - 1;
  return 1;
}

/*
 * C's x / 2^k (truncation toward zero): adding 2^k - 1 to a negative x before the arithmetic shift
 * turns the shift's rounding toward -inf into rounding toward zero. Same as quantized.c's div_pow2.
 */
#define PDIV(x, d) (((x) + (((x) >> 31) & (d).m)) >> (d).k)

/* An int16 pair from a 2-byte aligned pointer (the M4 does unaligned LDR; memcpy makes it legal C). */
static inline int32_t ld_pair(const Q15_T *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/*
 * (Q15_T)(s / 2^k) for an int64 sum, truncating toward zero as q15_m_mulvec does (its int32 and
 * int64 branches give the same quotient). For k <= 16 the 16 bits kept, bits k..k+15 of s + bias,
 * lie in the low word, and carries only propagate upward, so the low word of s plus the bias is enough.
 */
static inline Q15_T q63_div_q15(int64_t s, FastGRNN_Div d) {
  if (d.k <= 16) {
    uint32_t bias = (uint32_t)((int32_t)((uint64_t)s >> 32) >> 31) & (uint32_t)d.m;
    return (Q15_T)((int32_t)((uint32_t)s + bias) >> d.k);
  }
  return (Q15_T)((s + ((s >> 63) & (int64_t)d.m)) >> d.k);
}

/*
 * sum_c row[c] v[c] in int64 (q15_m_mulvec's Q63 sum) with SMLALD: each instruction adds the two
 * int16 x int16 products of a pair exactly into the 64-bit accumulator. vp holds v as pairs
 * (v[2j] low half, v[2j+1] high half, the little-endian layout of the int16 array).
 */
static inline __attribute__((always_inline)) int64_t dot_q15(const Q15_T *row, const int32_t *vp,
                                                             const Q15_T *v, ITER_T n) {
  int64_t s = 0;
#pragma GCC unroll 16
  for (ITER_T j = 0; j < n / 2; j++) s = __smlald(ld_pair(row + 2 * j), vp[j], s);
  if (n & 1) s += (Q31_T)row[n - 1] * (Q31_T)v[n - 1];
  return s;
}

/*
 * Shift sets a firmware build may declare for its model's FastGRNNs, in FastGRNN_Shifts order
 * (-DM4SIM_FASTGRNN_SHIFTS_A=15,0,2,… and _B; the detector build derives them from the model file,
 * src/detector/build.ts). A plan whose shifts equal one of them runs a copy of the step compiled with
 * these shifts as constants: a shift by 0 then costs nothing and the others need no loads. Values
 * equal => same arithmetic, so the result is the same as the generic step, which every other plan
 * (and every build without the defines) runs.
 */
#define NO_SHIFTS 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255
#ifdef M4SIM_FASTGRNN_SHIFTS_A
#define SHIFTS_A M4SIM_FASTGRNN_SHIFTS_A
#else
#define SHIFTS_A NO_SHIFTS
#endif
#ifdef M4SIM_FASTGRNN_SHIFTS_B
#define SHIFTS_B M4SIM_FASTGRNN_SHIFTS_B
#else
#define SHIFTS_B NO_SHIFTS
#endif
static const uint8_t known_shifts[2][16] = {{SHIFTS_A}, {SHIFTS_B}};
#define SD(k) {(k), (1 << (k)) - 1}
#define CONST_SHIFTS_(u, a1, a2, ad, g1, gd, h1, hd, zh, qs, qz, qn, up, o1, o2, od)                    \
  ((FastGRNN_Shifts){SD(u), SD(a1), SD(a2), SD(ad), SD(g1), SD(gd), SD(h1), SD(hd), SD(zh), SD(qs), SD(qz), \
                     SD(qn), SD(up), SD(o1), SD(o2), SD(od)})
#define CONST_SHIFTS(list) CONST_SHIFTS_(list)

int fastgrnn_plan_init(FastGRNN_Plan *p, ITER_T hidden, ITER_T inputDims, const Q15_T *W, const Q15_T *U,
                       const Q15_T *Bg, const Q15_T *Bh, Q15_T zeta, Q15_T nu, const Q15_FastGRNN_Scales *s) {
  if (hidden == 0 || hidden > FASTGRNN_PLAN_MAX_HIDDEN || inputDims == 0 ||
      inputDims > FASTGRNN_PLAN_MAX_HIDDEN || !s->useTableSigmoid || !s->useTableTanH)
    return 0;
  FastGRNN_Div bg = {0, 0}, bh = {0, 0};
  /* The same scale products as the op-by-op code (quantized.c) forms. */
  FastGRNN_Shifts *d = &p->d;
  int ok = plan_div(&p->w, s->W * s->normFeaturesMVW * s->H1W) &
           plan_div(&d->u, s->U * s->hiddenStateMVU * s->H1U) &
           plan_div(&d->a1, s->mV1AddMV2 * s->mV1AddMV2Out) & plan_div(&d->a2, s->mV2AddMV1 * s->mV1AddMV2Out) &
           plan_div(&d->ad, s->mV1AddMV2Demote) & plan_div(&d->g1, s->pC1AddBg * s->pC1AddBgOut) &
           plan_div(&bg, s->Bg * s->pC1AddBgOut) & plan_div(&d->gd, s->pC1AddBgDemote) &
           plan_div(&d->h1, s->pC1AddBh * s->pC1AddBhOut) & plan_div(&bh, s->Bh * s->pC1AddBhOut) &
           plan_div(&d->hd, s->pC1AddBhDemote) & plan_div(&d->zh, s->gateHDHiddenState * s->hiddenStateHDGate) &
           plan_div(&d->qsub, s->qOneSubGate * s->qOneSubGateOut) &
           plan_div(&d->qzeta, s->sigmoidZeta * s->sigmoidZetaMulQOneSubGate) &
           plan_div(&d->qnu, s->sigmoidNuAddQOneSubGate * s->sigmoidNuAddQOneSubGateOut) &
           plan_div(&d->upd, s->sigmoidNuAddQOneSubGateHDUpdate * s->updateHDSigmoidNuAddQOneSubGate) &
           plan_div(&d->o1, s->pC3AddPC1 * s->hiddenStateOut) & plan_div(&d->o2, s->pC1AddPC3 * s->hiddenStateOut) &
           plan_div(&d->od, s->hiddenStateDemote);
  if (!ok) return 0;
  p->variant = 0;
  FastGRNN_Div dv[16];
  _Static_assert(sizeof(FastGRNN_Shifts) == sizeof dv, "FastGRNN_Shifts is 16 FastGRNN_Div");
  memcpy(dv, d, sizeof dv);
  for (int v = 0; v < 2; v++) {
    int same = 1;
    for (int j = 0; j < 16; j++) same &= dv[j].k == known_shifts[v][j];
    if (same) p->variant = v + 1;
  }
  p->W = W;
  p->U = U;
  p->hidden = hidden;
  p->inputDims = inputDims;
  /* q15_v_scalar_sub / q15_v_scalar_add pre-divide their scalar with C's `/` once per call. */
  p->qOne = s->qOne / (s->qOneScale * s->qOneSubGateOut);
  p->zeta = zeta;
  p->nu = nu / (s->sigmoidNu * s->sigmoidNuAddQOneSubGateOut);
  /* q15_v_add divides its second operand (the bias) by its own scale before adding: do it once. */
  for (ITER_T i = 0; i < hidden; i++) {
    p->bg[i] = (Q15_T)PDIV((Q31_T)Bg[i], bg);
    p->bh[i] = (Q15_T)PDIV((Q31_T)Bh[i], bh);
  }
  return 1;
}

/*
 * out[i] = sum_j M[i][j] v[j] in int64 (q15_m_mulvec's Q63 sum) for a 16 x 16 M: 16 rows of 8
 * SMLALDs. In assembly so that the 8 int16 pairs of v stay in registers (14 registers in use: the v
 * pairs, the accumulator, two loaded M pairs, the M and out pointers); GCC spills them otherwise.
 * Plain LDRs only (M and v need only be 2-byte aligned: the M4 allows unaligned LDR, not LDRD/LDM).
 */
static inline __attribute__((always_inline)) void mv16_q63(const Q15_T *M, const Q15_T *v, int64_t *out) {
#ifndef __OPTIMIZE__
  /* -O0 keeps r7 as the frame pointer: 14 free registers are not there; the same sums in C. */
  int32_t vp[8];
  memcpy(vp, v, sizeof vp);
  for (ITER_T i = 0; i < 16; i++) {
    int64_t s = 0;
    for (ITER_T j = 0; j < 8; j++) s = __smlald(ld_pair(M + 16 * i + 2 * j), vp[j], s);
    out[i] = s;
  }
#else
  int32_t h0 = ld_pair(v), h1 = ld_pair(v + 2), h2 = ld_pair(v + 4), h3 = ld_pair(v + 6);
  int32_t h4 = ld_pair(v + 8), h5 = ld_pair(v + 10), h6 = ld_pair(v + 12), h7 = ld_pair(v + 14);
  const Q15_T *row = M;
  uint32_t lo, hi, a, b;
  /* volatile: the asm's only effect the compiler could see is memory (its outputs are unused). */
  __asm__ volatile(".rept 16\n\t"
                   "movs %[lo], #0\n\t"
                   "movs %[hi], #0\n\t"
                   "ldr %[a], [%[row]], #4\n\t"
                   "ldr %[b], [%[row]], #4\n\t"
                   "smlald %[lo], %[hi], %[a], %[h0]\n\t"
                   "smlald %[lo], %[hi], %[b], %[h1]\n\t"
                   "ldr %[a], [%[row]], #4\n\t"
                   "ldr %[b], [%[row]], #4\n\t"
                   "smlald %[lo], %[hi], %[a], %[h2]\n\t"
                   "smlald %[lo], %[hi], %[b], %[h3]\n\t"
                   "ldr %[a], [%[row]], #4\n\t"
                   "ldr %[b], [%[row]], #4\n\t"
                   "smlald %[lo], %[hi], %[a], %[h4]\n\t"
                   "smlald %[lo], %[hi], %[b], %[h5]\n\t"
                   "ldr %[a], [%[row]], #4\n\t"
                   "ldr %[b], [%[row]], #4\n\t"
                   "smlald %[lo], %[hi], %[a], %[h6]\n\t"
                   "smlald %[lo], %[hi], %[b], %[h7]\n\t"
                   "str %[lo], [%[out]], #4\n\t"
                   "str %[hi], [%[out]], #4\n\t"
                   ".endr"
                   : [lo] "=&r"(lo), [hi] "=&r"(hi), [a] "=&r"(a), [b] "=&r"(b), [row] "+r"(row), [out] "+r"(out)
                   : [h0] "r"(h0), [h1] "r"(h1), [h2] "r"(h2), [h3] "r"(h3), [h4] "r"(h4), [h5] "r"(h5),
                     [h6] "r"(h6), [h7] "r"(h7)
                   : "memory", "cc");
#endif
}

/* q15xq7_q15_m_mulvec: int32 sum, wrapping (SMLAD wraps the same way). */
static inline __attribute__((always_inline)) void wx_q7_body(const FastGRNN_Plan *p, const Q7_T *x, Q15_T *wx,
                                                             const ITER_T n) {
  int32_t xp[FASTGRNN_PLAN_MAX_HIDDEN / 2];
  for (ITER_T j = 0; j < n / 2; j++)
    xp[j] = (int32_t)(((uint32_t)(uint16_t)x[2 * j]) | ((uint32_t)(uint16_t)x[2 * j + 1] << 16));
  const Q15_T *row = p->W;
  for (ITER_T r = 0; r < p->hidden; r++, row += n) {
    uint32_t sum = 0;
#pragma GCC unroll 16
    for (ITER_T j = 0; j < n / 2; j++) sum = (uint32_t)__smlad(ld_pair(row + 2 * j), xp[j], (int32_t)sum);
    if (n & 1) sum += (uint32_t)((Q31_T)row[n - 1] * (Q31_T)x[n - 1]);
    wx[r] = (Q15_T)PDIV((Q31_T)sum, p->w);
  }
}

void fastgrnn_plan_wx_q7(const FastGRNN_Plan *p, const Q7_T *x, Q15_T *wx) {
  if (p->inputDims == 4) wx_q7_body(p, x, wx, 4); /* RNNPool-Face RNN1: 4 channels */
  else wx_q7_body(p, x, wx, p->inputDims);
}

/* q15_m_mulvec: int64 sum. */
static inline __attribute__((always_inline)) void wx_q15_body(const FastGRNN_Plan *p, const Q15_T *x,
                                                              Q15_T *wx, const ITER_T n) {
  int32_t xp[FASTGRNN_PLAN_MAX_HIDDEN / 2];
  memcpy(xp, x, 2 * (n & ~1u));
  const Q15_T *row = p->W;
  for (ITER_T r = 0; r < p->hidden; r++, row += n) wx[r] = q63_div_q15(dot_q15(row, xp, x, n), p->w);
}

void fastgrnn_plan_wx_q15(const FastGRNN_Plan *p, const Q15_T *x, Q15_T *wx) {
  if (p->inputDims == 16 && p->hidden == 16) { /* RNNPool-Face RNN2: 16 inputs, 16 hidden */
    int64_t s[16];
    mv16_q63(p->W, x, s);
    for (ITER_T r = 0; r < 16; r++) wx[r] = q63_div_q15(s[r], p->w);
  } else if (p->inputDims == 16) wx_q15_body(p, x, wx, 16);
  else wx_q15_body(p, x, wx, p->inputDims);
}

/*
 * The one division of fast_sigmoid and fast_tanh, n / (e + 16384), as a multiply by a reciprocal
 * instead of an SDIV (12 cycles at worst on the M4, Cortex-M4 TRM Table 3-1; UMULL is 1).
 * Bounds: exp_table_A and exp_table_B lie in [0, 16384] (quantized.c), so e = A B >> 14 does too and
 * the divisor d = e + 16384 lies in [2^14, 2^15]; the numerators 16384 e, 267943936 (16354 x 16384) and
 * (16384 - e) 16384 lie in [0, 2^28]. Since n, d >= 0, C's `/` is floor(n / d).
 * Exactness (Granlund and Montgomery, "Division by invariant integers using multiplication", PLDI
 * 1994): with m = ceil(2^44 / d), m d = 2^44 + r, 0 <= r < d. Write n = q d + s, 0 <= s < d; then
 * n m / 2^44 = q + (s + n r / 2^44) / d, and n r < 2^29 x 2^15 = 2^44 makes s + n r / 2^44 < s + 1 <= d,
 * so floor(n m / 2^44) = q for every n < 2^29. m <= 2^30 fits in 32 bits, so (uint64_t)n * m is one
 * UMULL and >> 44 takes bits 12..31 of its high word.
 * The table is indexed by e = d - 2^14 and is built by the preprocessor, each entry the constant
 * expression ceil(2^44 / d) (RECIP1), so it is const data in flash; test/kernels-rnn.test.ts checks
 * every entry against BigInt arithmetic.
 */
#define RECIP1(d) (uint32_t)((((uint64_t)1 << 44) + (d) - 1) / (d)),
#define RECIP2(d) RECIP1(d) RECIP1((d) + 1)
#define RECIP4(d) RECIP2(d) RECIP2((d) + 2)
#define RECIP8(d) RECIP4(d) RECIP4((d) + 4)
#define RECIP16(d) RECIP8(d) RECIP8((d) + 8)
#define RECIP32(d) RECIP16(d) RECIP16((d) + 16)
#define RECIP64(d) RECIP32(d) RECIP32((d) + 32)
#define RECIP128(d) RECIP64(d) RECIP64((d) + 64)
#define RECIP256(d) RECIP128(d) RECIP128((d) + 128)
#define RECIP512(d) RECIP256(d) RECIP256((d) + 256)
#define RECIP1024(d) RECIP512(d) RECIP512((d) + 512)
#define RECIP2048(d) RECIP1024(d) RECIP1024((d) + 1024)
#define RECIP4096(d) RECIP2048(d) RECIP2048((d) + 2048)
#define RECIP8192(d) RECIP4096(d) RECIP4096((d) + 4096)
#define RECIP16384(d) RECIP8192(d) RECIP8192((d) + 8192)
const uint32_t fastgrnn_recip_q44[16385] = {RECIP16384(16384) RECIP1(32768)};

static inline Q31_T div_by_e_plus_16384(Q31_T n, Q31_T e) {
  return (Q31_T)(((uint64_t)(uint32_t)n * fastgrnn_recip_q44[e]) >> 44);
}

/*
 * Table sigmoid (quantized.c sigmoid_table) of a Q11 value w. Both branches evaluate
 * exp_base_16(-|w|) (w = -32768 is taken as -32767 there, hence the clamp of |w| to 32767); only the
 * numerator of the final division differs, so one division serves both.
 */
static inline Q31_T fast_sigmoid(Q31_T w) {
  Q31_T v = w < 0 ? -w : w;
  if (v > 32767) v = 32767;
  Q31_T e = ((Q31_T)exp_table_A[v >> 7] * (Q31_T)exp_table_B[v & 127]) >> 14;
  Q31_T num = w <= 0 ? e * 16384 : (Q31_T)267943936L;
  return div_by_e_plus_16384(num, e);
}

/*
 * Table tanh (quantized.c tanh_table) of sat16(2 x). For w <= 0 the quotient is
 * ((e - 16384) 16384) / (e + 16384) = -(((16384 - e) 16384) / (e + 16384)), since C's `/` truncates
 * toward zero symmetrically; so both branches share one division and differ by the sign.
 * |sat16(2x)| clamped to 32767 is min(2|x|, 32767), and sat16(2x) <= 0 exactly when x <= 0.
 */
static inline Q31_T fast_tanh(Q31_T x) {
  Q31_T v = x < 0 ? -2 * x : 2 * x;
  if (v > 32767) v = 32767;
  Q31_T e = ((Q31_T)exp_table_A[v >> 7] * (Q31_T)exp_table_B[v & 127]) >> 14;
  Q31_T t = div_by_e_plus_16384((16384 - e) * 16384, e);
  return x <= 0 ? -t : t;
}

/*
 * plan_step_body and plan_step16 are inlined into each of fastgrnn_plan_step's cases when optimizing;
 * at -O0, where inlined copies keep separate stack slots each, out-of-line copies keep
 * fastgrnn_plan_step's frame (on the detector's deepest stack path) small.
 */
#ifdef __OPTIMIZE__
#define STEP_INLINE inline __attribute__((always_inline))
#else
#define STEP_INLINE __attribute__((noinline))
#endif

/*
 * Element i of one step from its W x, U h and old h: the chain of fastgrnn_update's ops on one row,
 * each (Q15_T) cast the narrowing store of the op it ends, so wrap-around happens exactly where it did.
 */
static inline __attribute__((always_inline)) Q15_T step_element(const FastGRNN_Plan *p, const ITER_T i, const Q31_T wx,
                                                                const Q31_T uh, const Q31_T hi, const FastGRNN_Shifts K,
                                                                const Q31_T qOne, const Q31_T zeta, const Q31_T nu) {
  Q31_T pre = (Q15_T)PDIV(PDIV(wx, K.a1) + PDIV(uh, K.a2), K.ad);
  Q31_T g = (Q15_T)PDIV(PDIV(pre, K.g1) + (Q31_T)p->bg[i], K.gd);
  Q31_T c = (Q15_T)PDIV(PDIV(pre, K.h1) + (Q31_T)p->bh[i], K.hd);
  Q31_T z = fast_sigmoid(g);
  Q31_T ht = fast_tanh(c);
  Q31_T zh = (Q15_T)PDIV(z * hi, K.zh);
  Q31_T q = (Q15_T)(qOne - PDIV(z, K.qsub));
  q = (Q15_T)PDIV(zeta * q, K.qzeta);
  q = (Q15_T)(nu + PDIV(q, K.qnu));
  Q31_T u = (Q15_T)PDIV(q * ht, K.upd);
  return (Q15_T)PDIV(PDIV(zh, K.o1) + PDIV(u, K.o2), K.od);
}

/*
 * One fused step (see fastgrnn_update for the op-by-op version). Row i of every op depends only on
 * element i of its operands, except U h which reads the whole old h: it is copied first (as int16
 * pairs for SMLALD), so h[i] can be overwritten as soon as it is computed. Every (Q15_T) cast is the
 * narrowing store of the op it ends, so wrap-around happens exactly where it did.
 */
static STEP_INLINE void plan_step_body(const FastGRNN_Plan *p, Q15_T *h, const Q15_T *wx, const int h_zero,
                                       const ITER_T n, const FastGRNN_Shifts K) {
  int32_t hp[FASTGRNN_PLAN_MAX_HIDDEN / 2];
  Q15_T hold[FASTGRNN_PLAN_MAX_HIDDEN];
  if (!h_zero) {
    memcpy(hold, h, 2 * n);
    memcpy(hp, hold, 2 * (n & ~1u));
  }
  const Q15_T *row = p->U;
  for (ITER_T i = 0; i < n; i++, row += n) {
    /* U h = 0 exactly when h = 0 (and z h = 0). */
    Q31_T uh = h_zero ? 0 : q63_div_q15(dot_q15(row, hp, hold, n), K.u);
    Q31_T hi = h_zero ? 0 : hold[i];
    h[i] = step_element(p, i, wx[i], uh, hi, K, p->qOne, p->zeta, p->nu);
  }
}

/*
 * plan_step_body for hidden size 16 in two passes: first U h for all 16 rows, with the 8 int16 pairs
 * of the old h held in registers (loaded once, not once per row), then the element-wise chain, which
 * may overwrite h[i] in place since U h no longer needs the old h. Same expressions, same values.
 */
static STEP_INLINE void plan_step16(const FastGRNN_Plan *p, Q15_T *h, const Q15_T *wx, const int h_zero,
                                    const FastGRNN_Shifts K) {
  int64_t uh[16];
  if (!h_zero) {
    mv16_q63(p->U, h, uh);
  }
  const Q31_T qOne = p->qOne, zeta = p->zeta, nu = p->nu;
  for (ITER_T i = 0; i < 16; i++) {
    Q31_T u_h = h_zero ? 0 : q63_div_q15(uh[i], K.u);
    Q31_T hi = h_zero ? 0 : h[i];
    h[i] = step_element(p, i, wx[i], u_h, hi, K, qOne, zeta, nu);
  }
}

void fastgrnn_plan_step(const FastGRNN_Plan *p, Q15_T *h, const Q15_T *wx, int h_zero) {
  /* Constant sizes let the compiler unroll the dot products for the model's hidden size 16. */
#ifdef M4SIM_FASTGRNN_SHIFTS_A
  if (p->hidden == 16 && p->variant == 1) {
    if (h_zero) plan_step16(p, h, wx, 1, CONST_SHIFTS(SHIFTS_A));
    else plan_step16(p, h, wx, 0, CONST_SHIFTS(SHIFTS_A));
    return;
  }
#endif
#ifdef M4SIM_FASTGRNN_SHIFTS_B
  if (p->hidden == 16 && p->variant == 2) {
    if (h_zero) plan_step16(p, h, wx, 1, CONST_SHIFTS(SHIFTS_B));
    else plan_step16(p, h, wx, 0, CONST_SHIFTS(SHIFTS_B));
    return;
  }
#endif
  if (p->hidden == 16) {
    if (h_zero) plan_step16(p, h, wx, 1, p->d);
    else plan_step16(p, h, wx, 0, p->d);
  } else {
    if (h_zero) plan_step_body(p, h, wx, 1, p->hidden, p->d);
    else plan_step_body(p, h, wx, 0, p->hidden, p->d);
  }
}

/* ---- Op-by-op path. ------------------------------------------------------------------------------- */

/*
 * The part of a step after the two matrix-vector products (preComp1 = W x, preComp2 = U h), common
 * to both input types.
 */
static void fastgrnn_update(Q15_T *hiddenState, ITER_T hiddenDims, const Q15_T *Bg, const Q15_T *Bh,
                            Q15_T zeta, Q15_T nu, Q15_T *preComp1, Q15_T *preComp2, Q15_T *preComp3,
                            const Q15_FastGRNN_Scales *s) {
  q15_v_add(preComp1, preComp2, hiddenDims, preComp1, s->mV1AddMV2, s->mV2AddMV1, s->mV1AddMV2Out,
            s->mV1AddMV2Demote);

  /* Gate z and update h~. */
  q15_v_add(preComp1, Bg, hiddenDims, preComp2, s->pC1AddBg, s->Bg, s->pC1AddBgOut, s->pC1AddBgDemote);
  q15_v_sigmoid(preComp2, hiddenDims, preComp2, s->div, s->add, s->sigmoidLimit, s->sigmoidScaleIn,
                s->sigmoidScaleOut, s->useTableSigmoid);
  q15_v_add(preComp1, Bh, hiddenDims, preComp1, s->pC1AddBh, s->Bh, s->pC1AddBhOut, s->pC1AddBhDemote);
  q15_v_tanh(preComp1, hiddenDims, preComp1, s->tanhScaleIn, s->tanhScaleOut, s->useTableTanH);

  /* h' = z h + (zeta (1 - z) + nu) h~. */
  q15_v_hadamard(preComp2, hiddenState, hiddenDims, preComp3, s->gateHDHiddenState, s->hiddenStateHDGate);
  q15_v_scalar_sub(s->qOne, preComp2, hiddenDims, preComp2, s->qOneScale, s->qOneSubGate,
                   s->qOneSubGateOut);
  q15_v_scalar_mul(zeta, preComp2, hiddenDims, preComp2, s->sigmoidZeta, s->sigmoidZetaMulQOneSubGate);
  q15_v_scalar_add(nu, preComp2, hiddenDims, preComp2, s->sigmoidNu, s->sigmoidNuAddQOneSubGate,
                   s->sigmoidNuAddQOneSubGateOut);
  q15_v_hadamard(preComp2, preComp1, hiddenDims, preComp1, s->sigmoidNuAddQOneSubGateHDUpdate,
                 s->updateHDSigmoidNuAddQOneSubGate);
  q15_v_add(preComp3, preComp1, hiddenDims, hiddenState, s->pC3AddPC1, s->pC1AddPC3, s->hiddenStateOut,
            s->hiddenStateDemote);
}

/* quantized_fastgrnn.c: q15_fastgrnn. */
int q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q15_T *const input, ITER_T inputDims,
                 ITER_T steps, const void *params, void *buffers, const void *scales, int backward,
                 int normalize) {
  const Q15_FastGRNN_Params *p = (const Q15_FastGRNN_Params *)params;
  Q15_FastGRNN_Buffers *b = (Q15_FastGRNN_Buffers *)buffers;
  const Q15_FastGRNN_Scales *s = (const Q15_FastGRNN_Scales *)scales;

  if (b->preComp1 == 0 || b->preComp2 == 0 || b->preComp3 == 0) return ERR_PRECOMP_NOT_INIT;
  if (b->normFeatures == 0) return ERR_NORMFEATURES_NOT_INIT;
  FastGRNN_Plan plan;
  int fast = fastgrnn_plan_init(&plan, hiddenDims, inputDims, p->W, p->U, p->Bg, p->Bh, p->sigmoid_zeta,
                                p->sigmoid_nu, s);

  for (ITER_T t = 0; t < steps; t++) {
    ITER_T offset = backward ? steps - 1 - t : t;
    if (normalize) {
      q15_v_sub(input + offset * inputDims, p->mean + offset * inputDims, inputDims, b->normFeatures,
                s->input, s->mean, s->meanSub);
      q15_v_hadamard(p->stdDev + offset * inputDims, b->normFeatures, inputDims, b->normFeatures, s->stdDev,
                     s->normFeaturesHDStdDev);
    } else {
      for (ITER_T d = 0; d < inputDims; d++) b->normFeatures[d] = input[offset * inputDims + d];
    }
    if (fast) {
      fastgrnn_plan_wx_q15(&plan, b->normFeatures, b->preComp1);
      fastgrnn_plan_step(&plan, hiddenState, b->preComp1, 0);
      continue;
    }
    q15_m_mulvec(p->W, b->normFeatures, hiddenDims, inputDims, b->preComp1, s->W, s->normFeaturesMVW,
                 s->H1W, s->H2W);
    q15_m_mulvec(p->U, hiddenState, hiddenDims, hiddenDims, b->preComp2, s->U, s->hiddenStateMVU, s->H1U,
                 s->H2U);
    fastgrnn_update(hiddenState, hiddenDims, p->Bg, p->Bh, p->sigmoid_zeta, p->sigmoid_nu, b->preComp1,
                    b->preComp2, b->preComp3, s);
  }
  return 0;
}

/* quantized_fastgrnn.c: q7xq15_q15_fastgrnn. */
int q7xq15_q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q7_T *const input,
                        ITER_T inputDims, ITER_T steps, const void *params, void *buffers,
                        const void *scales, int backward, int normalize) {
  const Q7xQ15_FastGRNN_Params *p = (const Q7xQ15_FastGRNN_Params *)params;
  Q7xQ15_FastGRNN_Buffers *b = (Q7xQ15_FastGRNN_Buffers *)buffers;
  const Q15_FastGRNN_Scales *s = (const Q15_FastGRNN_Scales *)scales;

  if (b->preComp1 == 0 || b->preComp2 == 0 || b->preComp3 == 0) return ERR_PRECOMP_NOT_INIT;
  if (b->normFeatures == 0) return ERR_NORMFEATURES_NOT_INIT;
  FastGRNN_Plan plan;
  int fast = fastgrnn_plan_init(&plan, hiddenDims, inputDims, p->W, p->U, p->Bg, p->Bh, p->sigmoid_zeta,
                                p->sigmoid_nu, s);

  for (ITER_T t = 0; t < steps; t++) {
    ITER_T offset = backward ? steps - 1 - t : t;
    if (normalize) {
      q7_v_sub(input + offset * inputDims, p->mean + offset * inputDims, inputDims, b->normFeatures,
               s->input, s->mean, s->meanSub);
      q7_v_hadamard(p->stdDev + offset * inputDims, b->normFeatures, inputDims, b->normFeatures, s->stdDev,
                    s->normFeaturesHDStdDev);
    } else {
      for (ITER_T d = 0; d < inputDims; d++) b->normFeatures[d] = input[offset * inputDims + d];
    }
    if (fast) {
      fastgrnn_plan_wx_q7(&plan, b->normFeatures, b->preComp1);
      fastgrnn_plan_step(&plan, hiddenState, b->preComp1, 0);
      continue;
    }
    q15xq7_q15_m_mulvec(p->W, b->normFeatures, hiddenDims, inputDims, b->preComp1, s->W,
                        s->normFeaturesMVW, s->H1W, s->H2W);
    q15_m_mulvec(p->U, hiddenState, hiddenDims, hiddenDims, b->preComp2, s->U, s->hiddenStateMVU, s->H1U,
                 s->H2U);
    fastgrnn_update(hiddenState, hiddenDims, p->Bg, p->Bh, p->sigmoid_zeta, p->sigmoid_nu, b->preComp1,
                    b->preComp2, b->preComp3, s);
  }
  return 0;
}
