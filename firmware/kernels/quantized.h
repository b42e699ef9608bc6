/*
 * Quantized (SeeDot / EdgeML) arithmetic utilities for the RNNPool face detector.
 *
 * Semantics: EdgeML's default (DIV) build of c_reference/src/quantized_utils.c and
 * include/quantized_utils.h at microsoft/EdgeML HEAD. Every scale is a power-of-two *divisor*
 * (1, 2, 4, ...) applied with C's `/` (truncates toward zero); narrowing stores to Q15/Q7 wrap
 * modulo 2^16 / 2^8 (arm-none-eabi-gcc's conversion), except where a function saturates
 * explicitly (tanh's input). Our own code; each function names the EdgeML function it mirrors.
 * The TypeScript twin is src/reference/quantized.ts (same names in camelCase).
 *
 * Vector functions are element-wise in index order, so `ret` may alias an input vector (in place),
 * as EdgeML's FastGRNN relies on. Matrix-vector `ret` must not alias `vec`.
 * No function allocates; none uses more than a few words of stack.
 */
#ifndef M4SIM_QUANTIZED_H
#define M4SIM_QUANTIZED_H

#include <stdint.h>

/* EdgeML's quantized_datatypes.h at HEAD. */
typedef int8_t Q7_T;
typedef int16_t Q15_T;
typedef int32_t Q31_T;
typedef int64_t Q63_T;
typedef uint32_t ITER_T;
typedef int32_t S_ITER_T;
typedef int32_t SCALE_T;

#define Q15_TMAX 32767
#define Q15_TMIN (-32768)

/* quantized_utils.h: q15_saturate. */
static inline Q15_T q15_saturate(Q31_T inp) {
  if (inp > Q15_TMAX) return (Q15_T)Q15_TMAX;
  if (inp < Q15_TMIN) return (Q15_T)Q15_TMIN;
  return (Q15_T)inp;
}

/* quantized_utils.h: q7_relu / q15_relu / q31_relu (clamp to [0, limit]). */
static inline Q7_T q7_relu(Q7_T inp, Q7_T limit) {
  return inp > limit ? limit : (inp < 0 ? 0 : inp);
}
static inline Q15_T q15_relu(Q15_T inp, Q15_T limit) {
  return inp > limit ? limit : (inp < 0 ? 0 : inp);
}
static inline Q31_T q31_relu(Q31_T inp, Q31_T limit) {
  return inp > limit ? limit : (inp < 0 ? 0 : inp);
}

/* The exp tables (flash): exp_table_A[i] = round(16384 e^(-i/16)), exp_table_B[j] = round(16384 e^(-j/2048)). */
extern const Q15_T exp_table_A[256];
extern const Q15_T exp_table_B[128];

/*
 * quantized_utils.h: exp_base_16. e^(inp / 2^11) in Q14 for inp <= 0 (inp = -32768 is taken as
 * -32767): (A[v >> 7] * B[v % 128] / scale) >> 14 with v = -inp. Undefined for inp > 0 (as in EdgeML).
 */
Q15_T exp_base_16(Q15_T inp, Q15_T scale);

/* ret = ((vec1 / (scvec1 scret)) + (vec2 / (scvec2 scret))) / demote. Mirrors q15_v_add. */
void q15_v_add(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
               SCALE_T scvec2, SCALE_T scret, SCALE_T demote);
/* ret = (vec1 / (scvec1 scret)) - (vec2 / (scvec2 scret)). Mirrors q15_v_sub. */
void q15_v_sub(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
               SCALE_T scvec2, SCALE_T scret);
/* Q7 version of q15_v_sub. Mirrors q7_v_sub. */
void q7_v_sub(const Q7_T *vec1, const Q7_T *vec2, ITER_T len, Q7_T *ret, SCALE_T scvec1, SCALE_T scvec2,
              SCALE_T scret);
/* ret = (vec1 * vec2) / (scvec1 scvec2), product in int32. Mirrors q15_v_hadamard. */
void q15_v_hadamard(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
                    SCALE_T scvec2);
/* Q7 version (product as int). Mirrors q7_v_hadamard. */
void q7_v_hadamard(const Q7_T *vec1, const Q7_T *vec2, ITER_T len, Q7_T *ret, SCALE_T scvec1,
                   SCALE_T scvec2);
/*
 * Sigmoid. use_tables != 0: input Q11, output Q14 via exp_base_16 (div, add, sigmoid_limit and the
 * scales are ignored); otherwise the piecewise-linear clamp(vec / div + add, 0, limit) << (scale_out -
 * scale_in). Mirrors q15_v_sigmoid.
 */
void q15_v_sigmoid(const Q15_T *vec, ITER_T len, Q15_T *ret, Q15_T div, Q15_T add, Q15_T sigmoid_limit,
                   SCALE_T scale_in, SCALE_T scale_out, ITER_T use_tables);
/*
 * Tanh. use_tables != 0: w = sat16(2 vec) (Q11), output Q14 via exp_base_16; otherwise
 * clamp(vec, +-2^scale_in) << (scale_out - scale_in). Mirrors q15_v_tanh.
 */
void q15_v_tanh(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scale_in, SCALE_T scale_out,
                ITER_T use_tables);
/* ret = scalar / (scscalar scret) + vec / (scvec scret). Mirrors q15_v_scalar_add. */
void q15_v_scalar_add(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec, SCALE_T scret);
/* ret = scalar / (scscalar scret) - vec / (scvec scret). Mirrors q15_v_scalar_sub. */
void q15_v_scalar_sub(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec, SCALE_T scret);
/* ret = (scalar * vec) / (scscalar scvec), product in int32. Mirrors q15_v_scalar_mul. */
void q15_v_scalar_mul(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec);
/* Index of the first largest element. Mirrors q15_v_argmax. */
void q15_v_argmax(const Q15_T *vec, ITER_T len, ITER_T *ret);
/* ret = vec * scvec (wraps). Mirrors q15_v_scale_up. */
void q15_v_scale_up(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scvec);
/* ret = vec / scvec. Mirrors q15_v_scale_down. */
void q15_v_scale_down(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scvec);

/*
 * ret[r] = (sum_c mat[r][c] vec[c]) / (scmat scvec H1), mat row-major nrows x ncols; the sum is
 * int64 (Q63), the divisor int32. H2 is unused (EdgeML's tree-sum depth; later renamed away: the
 * newer EdgeML names H1 `scret`/mVWOut). Mirrors q15_m_mulvec.
 */
void q15_m_mulvec(const Q15_T *mat, const Q15_T *vec, ITER_T nrows, ITER_T ncols, Q15_T *ret, SCALE_T scmat,
                  SCALE_T scvec, SCALE_T H1, SCALE_T H2);
/* As q15_m_mulvec with a Q7 vector; the sum is int32 (wraps). Mirrors q15xq7_q15_m_mulvec. */
void q15xq7_q15_m_mulvec(const Q15_T *mat, const Q7_T *vec, ITER_T nrows, ITER_T ncols, Q15_T *ret,
                         SCALE_T scmat, SCALE_T scvec, SCALE_T H1, SCALE_T H2);

/*
 * Tensor helpers used by the conv / MBConv / head code (NHWC, len = nbatches nrows ncols nchannels).
 * ret = ten1 / (scten1 scret) + ten2 / (scten2 scret). Mirrors q15_t_add / q7_t_add.
 */
void q15_t_add(const Q15_T *ten1, const Q15_T *ten2, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
               ITER_T nchannels, Q15_T *ret, SCALE_T scten1, SCALE_T scten2, SCALE_T scret);
void q7_t_add(const Q7_T *ten1, const Q7_T *ten2, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
              ITER_T nchannels, Q7_T *ret, SCALE_T scten1, SCALE_T scten2, SCALE_T scret);
/* Per-channel bias: ret = ten / (scten scret) + vec[c] / (scvec scret). Mirrors q15_t_add_vec. */
void q15_t_add_vec(const Q15_T *ten, const Q15_T *vec, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
                   ITER_T nchannels, Q15_T *ret, SCALE_T scten, SCALE_T scvec, SCALE_T scret);
/* Q7 tensor + Q15 bias -> Q7. Mirrors q7xq15_q7_t_add_vec. */
void q7xq15_q7_t_add_vec(const Q7_T *ten, const Q15_T *vec, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
                         ITER_T nchannels, Q7_T *ret, SCALE_T scten, SCALE_T scvec, SCALE_T scret);
/* ret = clamp(ten, 0, limit) / div. Mirrors q7_t_relu. */
void q7_t_relu(const Q7_T *ten, ITER_T nbatches, ITER_T nrows, ITER_T ncols, ITER_T nchannels, Q7_T *ret,
               Q7_T limit, Q7_T div);

#endif
