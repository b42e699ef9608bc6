// Kernel test for firmware/kernels/mbconv_q7.c. Input: op (0 m4_mbconv7_q15xq7_q15, 1
// m4_mbconv7_q15xq7_q7, 2 m4_mbconv7_q7), residual (0/1) with scten1, scten2, scret; H, W, CIn, CTemp,
// COut, HF, WF, HPadU, HPadD, WPadL, WPadR, HStride, WStride; limit1, limit2; shrU1, shrX1, shrU2,
// shrX2, shrU3, shrW3, shlU1, shlX1, shlU2, shlX2, shlU3, shlW3; arrays F1, W1, B1, F2, W2, B2, F3,
// W3, B3 (F/W int8, B int16 for ops 0/1, int8 for op 2); the input tensor (int16 for ops 0/1, int8
// for op 2). Output: the block output, then, with residual, input + output (m4_residual_add_q15 for
// op 0, m4_mbconv7_residual_add_q7 for op 2).
#include <stdint.h>
#include <stdlib.h>

#include "conv-io.h"
#include "mbconv.h"
#include "mbconv_q7.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[112 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[32 * 1024];
static int16_t scratch[20 * 1024]; /* ring, then dw */

int main(void) {
  conv_io r = {m4sim_input};
  int32_t op = io_i32(&r);
  int32_t residual = io_i32(&r);
  int32_t scten1 = io_i32(&r), scten2 = io_i32(&r), scret = io_i32(&r);
  m4_mbconv7_params p = {0};
  p.H = (uint32_t)io_i32(&r);
  p.W = (uint32_t)io_i32(&r);
  p.CIn = (uint32_t)io_i32(&r);
  p.CTemp = (uint32_t)io_i32(&r);
  p.COut = (uint32_t)io_i32(&r);
  p.HF = (uint32_t)io_i32(&r);
  p.WF = (uint32_t)io_i32(&r);
  p.HPadU = io_i32(&r);
  p.HPadD = io_i32(&r);
  p.WPadL = io_i32(&r);
  p.WPadR = io_i32(&r);
  p.HStride = (uint32_t)io_i32(&r);
  p.WStride = (uint32_t)io_i32(&r);
  p.limit1 = io_i32(&r);
  p.limit2 = io_i32(&r);
  p.shrU1 = io_i32(&r);
  p.shrX1 = io_i32(&r);
  p.shrU2 = io_i32(&r);
  p.shrX2 = io_i32(&r);
  p.shrU3 = io_i32(&r);
  p.shrW3 = io_i32(&r);
  p.shlU1 = io_i32(&r);
  p.shlX1 = io_i32(&r);
  p.shlU2 = io_i32(&r);
  p.shlX2 = io_i32(&r);
  p.shlU3 = io_i32(&r);
  p.shlW3 = io_i32(&r);
  int q7 = op == 2;
  p.F1 = io_i8(&r, p.CIn * p.CTemp);
  p.W1 = io_i8(&r, p.CTemp);
  if (q7) p.B1q7 = io_i8(&r, p.CTemp); else p.B1 = io_i16(&r, p.CTemp);
  p.F2 = io_i8(&r, p.CTemp * p.HF * p.WF);
  p.W2 = io_i8(&r, p.CTemp);
  if (q7) p.B2q7 = io_i8(&r, p.CTemp); else p.B2 = io_i16(&r, p.CTemp);
  p.F3 = io_i8(&r, p.CTemp * p.COut);
  p.W3 = io_i8(&r, p.COut);
  if (q7) p.B3q7 = io_i8(&r, p.COut); else p.B3 = io_i16(&r, p.COut);
  uint32_t in_len = p.H * p.W * p.CIn;
  uint32_t out_len = m4_mbconv7_hout(&p) * m4_mbconv7_wout(&p) * p.COut;
  size_t ring_len = m4_mbconv7_ring_len(&p);
  if (ring_len + p.CTemp > sizeof scratch / sizeof scratch[0]) exit(2);
  if (out_len * 2 * (residual ? 2 : 1) > sizeof m4sim_output) exit(3);
  if (residual && in_len != out_len) exit(4);
  if (op == 0) {
    const int16_t *in = io_i16(&r, in_len);
    int16_t *out = (int16_t *)(void *)m4sim_output;
    m4_mbconv7_q15xq7_q15(in, out, scratch, scratch + ring_len, &p);
    if (residual) m4_residual_add_q15(in, out, out_len, out + out_len, scten1, scten2, scret);
  } else if (op == 1) {
    m4_mbconv7_q15xq7_q7(io_i16(&r, in_len), (int8_t *)m4sim_output, scratch, scratch + ring_len, &p);
  } else {
    const int8_t *in = io_i8(&r, in_len);
    int8_t *out = (int8_t *)m4sim_output;
    int8_t *ring = (int8_t *)scratch;
    m4_mbconv7_q7(in, out, ring, ring + ring_len, &p);
    if (residual) m4_mbconv7_residual_add_q7(in, out, out_len, out + out_len, scten1, scten2, scret);
  }
  return 0;
}
