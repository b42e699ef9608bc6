/*
 * Quantized utilities (EdgeML DIV semantics): see quantized.h. Our own code; each function names the
 * EdgeML quantized_utils function it mirrors. Narrowing conversions rely on arm-none-eabi-gcc's
 * modulo conversion to int16_t / int8_t; shifts of negative values are written as multiplications
 * and the int32 accumulation of q15xq7_q15_m_mulvec is done in uint32_t, so nothing here relies on
 * signed overflow.
 */
#include "quantized.h"

/*
 * Division by a power-of-two scale without SDIV (12 cycles in the worst case on the M4): C's `/`
 * truncates toward zero, so negative dividends are biased by 2^k - 1 before the arithmetic shift
 * (gcc's >> of a negative int is arithmetic). The hot functions take this path when every divisor
 * is a positive power of two and fall back to `/` otherwise; results are identical.
 */
static inline int pow2_exponent(SCALE_T s) {
  return (s > 0 && (s & (s - 1)) == 0) ? __builtin_ctz((unsigned)s) : -1;
}
static inline Q31_T div_pow2(Q31_T x, int k) {
  return (x + ((x >> 31) & (((Q31_T)1 << k) - 1))) >> k;
}

/* exp_table_A[i] = round(16384 * e^(-i / 16)), i < 256 (EdgeML's literal table; equal to the formula). */
const Q15_T exp_table_A[256] = {
    16384, 15391, 14459, 13583, 12760, 11987, 11261, 10578, 9937, 9335, 8770, 8238,
    7739, 7270, 6830, 6416, 6027, 5662, 5319, 4997, 4694, 4410, 4143, 3892,
    3656, 3434, 3226, 3031, 2847, 2675, 2513, 2360, 2217, 2083, 1957, 1838,
    1727, 1622, 1524, 1432, 1345, 1263, 1187, 1115, 1047, 984, 924, 868,
    816, 766, 720, 676, 635, 597, 561, 527, 495, 465, 437, 410,
    385, 362, 340, 319, 300, 282, 265, 249, 234, 220, 206, 194,
    182, 171, 161, 151, 142, 133, 125, 118, 110, 104, 97, 92,
    86, 81, 76, 71, 67, 63, 59, 56, 52, 49, 46, 43,
    41, 38, 36, 34, 32, 30, 28, 26, 25, 23, 22, 20,
    19, 18, 17, 16, 15, 14, 13, 12, 12, 11, 10, 10,
    9, 9, 8, 8, 7, 7, 6, 6, 5, 5, 5, 5,
    4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2,
    2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
};

/* exp_table_B[j] = round(16384 * e^(-j / 2048)), j < 128. */
const Q15_T exp_table_B[128] = {
    16384, 16376, 16368, 16360, 16352, 16344, 16336, 16328, 16320, 16312, 16304, 16296,
    16288, 16280, 16272, 16264, 16256, 16249, 16241, 16233, 16225, 16217, 16209, 16201,
    16193, 16185, 16177, 16169, 16162, 16154, 16146, 16138, 16130, 16122, 16114, 16106,
    16099, 16091, 16083, 16075, 16067, 16059, 16051, 16044, 16036, 16028, 16020, 16012,
    16004, 15997, 15989, 15981, 15973, 15965, 15958, 15950, 15942, 15934, 15927, 15919,
    15911, 15903, 15895, 15888, 15880, 15872, 15864, 15857, 15849, 15841, 15833, 15826,
    15818, 15810, 15803, 15795, 15787, 15779, 15772, 15764, 15756, 15749, 15741, 15733,
    15726, 15718, 15710, 15703, 15695, 15687, 15680, 15672, 15664, 15657, 15649, 15641,
    15634, 15626, 15618, 15611, 15603, 15596, 15588, 15580, 15573, 15565, 15558, 15550,
    15542, 15535, 15527, 15520, 15512, 15504, 15497, 15489, 15482, 15474, 15467, 15459,
    15452, 15444, 15437, 15429, 15421, 15414, 15406, 15399,
};

/* quantized_utils.h: exp_base_16. */
Q15_T exp_base_16(Q15_T inp, Q15_T scale) {
  Q15_T val = (inp == Q15_TMIN) ? (Q15_T)Q15_TMAX : (Q15_T)-inp;
  Q15_T val1 = (Q15_T)(val % 128);
  val = (Q15_T)(val >> 7);
  Q31_T ret = (Q31_T)exp_table_A[val] * (Q31_T)exp_table_B[val1];
  return (Q15_T)(((scale == 1) ? ret : ret / scale) >> 14);
}

/* quantized_utils: q15_v_add. */
void q15_v_add(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
               SCALE_T scvec2, SCALE_T scret, SCALE_T demote) {
  SCALE_T s1 = scvec1 * scret;
  SCALE_T s2 = scvec2 * scret;
  int k1 = pow2_exponent(s1), k2 = pow2_exponent(s2), kd = pow2_exponent(demote);
  if (k1 >= 0 && k2 >= 0 && kd >= 0) {
    for (ITER_T i = 0; i < len; i++) {
      ret[i] = (Q15_T)div_pow2(div_pow2(vec1[i], k1) + div_pow2(vec2[i], k2), kd);
    }
    return;
  }
  for (ITER_T i = 0; i < len; i++) {
    ret[i] = (Q15_T)(((Q31_T)vec1[i] / s1 + (Q31_T)vec2[i] / s2) / demote);
  }
}

/* quantized_utils: q15_v_sub. */
void q15_v_sub(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
               SCALE_T scvec2, SCALE_T scret) {
  SCALE_T s1 = scvec1 * scret;
  SCALE_T s2 = scvec2 * scret;
  for (ITER_T i = 0; i < len; i++) {
    ret[i] = (Q15_T)((Q31_T)vec1[i] / s1 - (Q31_T)vec2[i] / s2);
  }
}

/* quantized_utils: q7_v_sub. */
void q7_v_sub(const Q7_T *vec1, const Q7_T *vec2, ITER_T len, Q7_T *ret, SCALE_T scvec1, SCALE_T scvec2,
              SCALE_T scret) {
  SCALE_T s1 = scvec1 * scret;
  SCALE_T s2 = scvec2 * scret;
  for (ITER_T i = 0; i < len; i++) {
    ret[i] = (Q7_T)((Q31_T)vec1[i] / s1 - (Q31_T)vec2[i] / s2);
  }
}

/* quantized_utils: q15_v_hadamard. */
void q15_v_hadamard(const Q15_T *vec1, const Q15_T *vec2, ITER_T len, Q15_T *ret, SCALE_T scvec1,
                    SCALE_T scvec2) {
  SCALE_T s = scvec1 * scvec2;
  int k = pow2_exponent(s);
  if (k >= 0) {
    for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)div_pow2((Q31_T)vec1[i] * (Q31_T)vec2[i], k);
    return;
  }
  for (ITER_T i = 0; i < len; i++) {
    ret[i] = (Q15_T)(((Q31_T)vec1[i] * (Q31_T)vec2[i]) / s);
  }
}

/* quantized_utils: q7_v_hadamard (EdgeML multiplies the operands as Q15_T, i.e. in int). */
void q7_v_hadamard(const Q7_T *vec1, const Q7_T *vec2, ITER_T len, Q7_T *ret, SCALE_T scvec1,
                   SCALE_T scvec2) {
  SCALE_T s = scvec1 * scvec2;
  for (ITER_T i = 0; i < len; i++) {
    ret[i] = (Q7_T)(((Q31_T)vec1[i] * (Q31_T)vec2[i]) / s);
  }
}

/* Table sigmoid of one Q11 value, Q14 result (the use_tables branch of q15_v_sigmoid). */
static inline Q15_T sigmoid_table(Q15_T w) {
  if (w <= 0) {
    Q31_T e = exp_base_16(w, 1);
    return (Q15_T)((e * 16384) / (e + 16384));
  }
  return (Q15_T)((Q31_T)267943936L / ((Q31_T)16384 + (Q31_T)exp_base_16((Q15_T)-w, 1)));
}

/* quantized_utils: q15_v_sigmoid. */
void q15_v_sigmoid(const Q15_T *vec, ITER_T len, Q15_T *ret, Q15_T div, Q15_T add, Q15_T sigmoid_limit,
                   SCALE_T scale_in, SCALE_T scale_out, ITER_T use_tables) {
  if (use_tables) {
    for (ITER_T i = 0; i < len; i++) ret[i] = sigmoid_table(vec[i]);
  } else {
    SCALE_T scaleout = scale_out - scale_in;
    for (ITER_T i = 0; i < len; i++) {
      Q15_T w = (Q15_T)((Q31_T)vec[i] / div + add);
      Q31_T v = (w <= 0) ? 0 : ((w >= sigmoid_limit) ? sigmoid_limit : w);
      ret[i] = (Q15_T)(v << scaleout);
    }
  }
}

/* Table tanh of one Q11 value (already doubled and saturated), Q14 result. */
static inline Q15_T tanh_table(Q15_T w) {
  if (w <= 0) {
    Q31_T e = exp_base_16(w, 1);
    return (Q15_T)(((e - 16384) * 16384) / (e + 16384));
  }
  Q31_T e = exp_base_16((Q15_T)-w, 1);
  return (Q15_T)(((16384 - e) * 16384) / (e + 16384));
}

/* quantized_utils: q15_v_tanh. */
void q15_v_tanh(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scale_in, SCALE_T scale_out,
                ITER_T use_tables) {
  if (use_tables) {
    for (ITER_T i = 0; i < len; i++) ret[i] = tanh_table(q15_saturate(2 * (Q31_T)vec[i]));
  } else {
    SCALE_T scalein = (SCALE_T)1 << scale_in;
    SCALE_T mul = (SCALE_T)1 << (scale_out - scale_in);
    for (ITER_T i = 0; i < len; i++) {
      Q31_T w = vec[i];
      Q31_T v = (w >= scalein) ? scalein : ((w <= -scalein) ? -scalein : w);
      ret[i] = (Q15_T)(v * mul);
    }
  }
}

/* quantized_utils: q15_v_scalar_add. */
void q15_v_scalar_add(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec, SCALE_T scret) {
  SCALE_T scaledscalar = scalar / (scscalar * scret);
  SCALE_T s = scvec * scret;
  int k = pow2_exponent(s);
  if (k >= 0) {
    for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)(scaledscalar + div_pow2(vec[i], k));
    return;
  }
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)(scaledscalar + (Q31_T)vec[i] / s);
}

/* quantized_utils: q15_v_scalar_sub. */
void q15_v_scalar_sub(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec, SCALE_T scret) {
  SCALE_T scaledscalar = scalar / (scscalar * scret);
  SCALE_T s = scvec * scret;
  int k = pow2_exponent(s);
  if (k >= 0) {
    for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)(scaledscalar - div_pow2(vec[i], k));
    return;
  }
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)(scaledscalar - (Q31_T)vec[i] / s);
}

/* quantized_utils: q15_v_scalar_mul. */
void q15_v_scalar_mul(Q15_T scalar, const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scscalar,
                      SCALE_T scvec) {
  SCALE_T s = scscalar * scvec;
  int k = pow2_exponent(s);
  if (k >= 0) {
    for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)div_pow2((Q31_T)scalar * (Q31_T)vec[i], k);
    return;
  }
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)(((Q31_T)scalar * (Q31_T)vec[i]) / s);
}

/* quantized_utils: q15_v_argmax. */
void q15_v_argmax(const Q15_T *vec, ITER_T len, ITER_T *ret) {
  Q15_T max_value = vec[0];
  ITER_T max_index = 0;
  for (ITER_T i = 1; i < len; i++) {
    if (max_value < vec[i]) {
      max_index = i;
      max_value = vec[i];
    }
  }
  *ret = max_index;
}

/* quantized_utils: q15_v_scale_up. */
void q15_v_scale_up(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scvec) {
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)((Q31_T)vec[i] * scvec);
}

/* quantized_utils: q15_v_scale_down. */
void q15_v_scale_down(const Q15_T *vec, ITER_T len, Q15_T *ret, SCALE_T scvec) {
  int k = pow2_exponent(scvec);
  if (k >= 0) {
    for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)div_pow2(vec[i], k);
    return;
  }
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)((Q31_T)vec[i] / scvec);
}

/*
 * quantized_utils: q15_m_mulvec. The int64 quotient is formed with a 32-bit division whenever the
 * sum fits in int32 (same truncated result, avoids __aeabi_ldivmod on the common path).
 */
void q15_m_mulvec(const Q15_T *mat, const Q15_T *vec, ITER_T nrows, ITER_T ncols, Q15_T *ret, SCALE_T scmat,
                  SCALE_T scvec, SCALE_T H1, SCALE_T H2) {
  (void)H2;
  SCALE_T scale = scmat * scvec * H1;
  int k = pow2_exponent(scale);
  for (ITER_T row = 0; row < nrows; row++) {
    Q63_T sum = 0;
    for (ITER_T col = 0; col < ncols; col++) sum += (Q31_T)(*mat++) * (Q31_T)vec[col];
    if (sum >= INT32_MIN && sum <= INT32_MAX) {
      ret[row] = (Q15_T)(k >= 0 ? div_pow2((Q31_T)sum, k) : (Q31_T)sum / scale);
    } else {
      ret[row] = (Q15_T)(sum / scale);
    }
  }
}

/* quantized_utils: q15xq7_q15_m_mulvec (int32 sum, wrapping). */
void q15xq7_q15_m_mulvec(const Q15_T *mat, const Q7_T *vec, ITER_T nrows, ITER_T ncols, Q15_T *ret,
                         SCALE_T scmat, SCALE_T scvec, SCALE_T H1, SCALE_T H2) {
  (void)H2;
  SCALE_T scale = scmat * scvec * H1;
  int k = pow2_exponent(scale);
  for (ITER_T row = 0; row < nrows; row++) {
    uint32_t sum = 0;
    for (ITER_T col = 0; col < ncols; col++) sum += (uint32_t)((Q31_T)(*mat++) * (Q31_T)vec[col]);
    ret[row] = (Q15_T)(k >= 0 ? div_pow2((Q31_T)sum, k) : (Q31_T)sum / scale);
  }
}

/* quantized_utils: q15_t_add. */
void q15_t_add(const Q15_T *ten1, const Q15_T *ten2, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
               ITER_T nchannels, Q15_T *ret, SCALE_T scten1, SCALE_T scten2, SCALE_T scret) {
  ITER_T len = nbatches * nrows * ncols * nchannels;
  SCALE_T s1 = scten1 * scret;
  SCALE_T s2 = scten2 * scret;
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q15_T)((Q31_T)ten1[i] / s1 + (Q31_T)ten2[i] / s2);
}

/* quantized_utils: q7_t_add. */
void q7_t_add(const Q7_T *ten1, const Q7_T *ten2, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
              ITER_T nchannels, Q7_T *ret, SCALE_T scten1, SCALE_T scten2, SCALE_T scret) {
  ITER_T len = nbatches * nrows * ncols * nchannels;
  SCALE_T s1 = scten1 * scret;
  SCALE_T s2 = scten2 * scret;
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q7_T)((Q31_T)ten1[i] / s1 + (Q31_T)ten2[i] / s2);
}

/* quantized_utils: q15_t_add_vec. */
void q15_t_add_vec(const Q15_T *ten, const Q15_T *vec, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
                   ITER_T nchannels, Q15_T *ret, SCALE_T scten, SCALE_T scvec, SCALE_T scret) {
  ITER_T len = nbatches * nrows * ncols;
  SCALE_T st = scten * scret;
  SCALE_T sv = scvec * scret;
  for (ITER_T i = 0; i < len; i++) {
    for (ITER_T c = 0; c < nchannels; c++) {
      *ret++ = (Q15_T)((Q31_T)(*ten++) / st + (Q31_T)vec[c] / sv);
    }
  }
}

/* quantized_utils: q7xq15_q7_t_add_vec. */
void q7xq15_q7_t_add_vec(const Q7_T *ten, const Q15_T *vec, ITER_T nbatches, ITER_T nrows, ITER_T ncols,
                         ITER_T nchannels, Q7_T *ret, SCALE_T scten, SCALE_T scvec, SCALE_T scret) {
  ITER_T len = nbatches * nrows * ncols;
  SCALE_T st = scten * scret;
  SCALE_T sv = scvec * scret;
  for (ITER_T i = 0; i < len; i++) {
    for (ITER_T c = 0; c < nchannels; c++) {
      *ret++ = (Q7_T)((Q31_T)(*ten++) / st + (Q31_T)vec[c] / sv);
    }
  }
}

/* quantized_utils: q7_t_relu. */
void q7_t_relu(const Q7_T *ten, ITER_T nbatches, ITER_T nrows, ITER_T ncols, ITER_T nchannels, Q7_T *ret,
               Q7_T limit, Q7_T div) {
  ITER_T len = nbatches * nrows * ncols * nchannels;
  for (ITER_T i = 0; i < len; i++) ret[i] = (Q7_T)((Q31_T)q7_relu(ten[i], limit) / div);
}
