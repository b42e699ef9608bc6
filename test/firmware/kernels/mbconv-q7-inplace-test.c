// Kernel test for the in-place residual blocks of firmware/kernels/mbconv_q7.c. Input: op (0
// m4_mbconv7_q15xq7_q15_residual_inplace, 2 m4_mbconv7_q7_residual_inplace), scten1, scten2, scret; H,
// W, CIn, CTemp, COut, HF, WF, HPadU, HPadD, WPadL, WPadR, HStride, WStride; limit1, limit2; shrU1,
// shrX1, shrU2, shrX2, shrU3, shrW3, shlU1, shlX1, shlU2, shlX2, shlU3, shlW3; arrays F1, W1, B1, F2,
// W2, B2, F3, W3, B3 (F/W int8, B int16 for op 0, int8 for op 2); the input tensor (H*W*CIn, int16 for
// op 0, int8 for op 2). Output: the kernel's return code (int32), then the tensor after the call (the
// residual sums in place, or the untouched input when the kernel refused). The scratch after ring, dw
// and row is filled with a canary that must survive (exit 6 otherwise).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv-io.h"
#include "mbconv_q7.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[112 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[4 + 64 * 1024];
static int16_t scratch[16 * 1024]; /* ring, dw, row, then canary (int16 for op 0, int8 for op 2) */

int main(void) {
  conv_io r = {m4sim_input};
  int32_t op = io_i32(&r);
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
  const uint32_t size = q7 ? 1u : 2u;
  uint32_t len = p.H * p.W * p.CIn;
  size_t ring_len = m4_mbconv7_ring_len(&p);
  size_t used = (ring_len + p.CTemp + p.COut) * size; /* bytes */
  const size_t total = sizeof scratch;
  uint8_t *bytes = (uint8_t *)scratch;
  if (used > total) exit(2);
  if (4 + len * size > sizeof m4sim_output) exit(3);
  uint8_t *tensor = m4sim_output + 4;
  memcpy(tensor, q7 ? (const void *)io_i8(&r, len) : (const void *)io_i16(&r, len), len * size);
  for (size_t i = used; i < total; i++) bytes[i] = 0x5a;
  int32_t rc;
  if (q7) {
    int8_t *ring = (int8_t *)bytes, *dw = ring + ring_len, *row = dw + p.CTemp;
    rc = m4_mbconv7_q7_residual_inplace((int8_t *)tensor, ring, dw, row, &p, scten1, scten2, scret);
  } else {
    int16_t *ring = scratch, *dw = ring + ring_len, *row = dw + p.CTemp;
    rc = m4_mbconv7_q15xq7_q15_residual_inplace((int16_t *)(void *)tensor, ring, dw, row, &p, scten1, scten2,
                                                scret);
  }
  memcpy(m4sim_output, &rc, 4);
  for (size_t i = used; i < total; i++)
    if (bytes[i] != 0x5a) exit(6);
  return 0;
}
