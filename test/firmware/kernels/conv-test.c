// Kernel test for firmware/kernels/conv.c. Input: op (0 q7xq15_q7, 1 q7xq15_q15, 2 q15, 3 the fused
// first layer), the 19 m4_conv_params fields in declaration order, the input tensor (int8 for ops
// 0, 1, 3; int16 for op 2), the filter (int16); op 3 then: bias[G*COut], bias_scten, bias_scvec,
// bias_scret, scale[G*COut], scale_scinput, scale_scoutput, scale_demote, limit, div.
// Output: the output tensor (int8 or int16).
#include <stdint.h>
#include <stdlib.h>

#include "conv-io.h"
#include "conv.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[96 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[48 * 1024];

int main(void) {
  conv_io r = {m4sim_input};
  int32_t op = io_i32(&r);
  m4_conv_params p;
  p.H = (uint32_t)io_i32(&r);
  p.W = (uint32_t)io_i32(&r);
  p.CIn = (uint32_t)io_i32(&r);
  p.HF = (uint32_t)io_i32(&r);
  p.WF = (uint32_t)io_i32(&r);
  p.CF = (uint32_t)io_i32(&r);
  p.COut = (uint32_t)io_i32(&r);
  p.G = (uint32_t)io_i32(&r);
  p.HPadU = io_i32(&r);
  p.HPadD = io_i32(&r);
  p.WPadL = io_i32(&r);
  p.WPadR = io_i32(&r);
  p.HStride = (uint32_t)io_i32(&r);
  p.WStride = (uint32_t)io_i32(&r);
  p.HDilation = (uint32_t)io_i32(&r);
  p.WDilation = (uint32_t)io_i32(&r);
  p.scinput = io_i32(&r);
  p.scoutput = io_i32(&r);
  p.demote = io_i32(&r);
  uint32_t in_len = p.H * p.W * p.CIn;
  uint32_t f_len = p.G * p.HF * p.WF * p.CF * p.COut;
  uint32_t out_len = m4_conv_hout(&p) * m4_conv_wout(&p) * p.G * p.COut;
  if (out_len * 2 > sizeof m4sim_output) exit(2);
  switch (op) {
    case 0: {
      const int8_t *in = io_i8(&r, in_len);
      m4_conv_q7xq15_q7(in, io_i16(&r, f_len), (int8_t *)m4sim_output, &p);
      break;
    }
    case 1: {
      const int8_t *in = io_i8(&r, in_len);
      m4_conv_q7xq15_q15(in, io_i16(&r, f_len), (int16_t *)(void *)m4sim_output, &p);
      break;
    }
    case 2: {
      const int16_t *in = io_i16(&r, in_len);
      m4_conv_q15(in, io_i16(&r, f_len), (int16_t *)(void *)m4sim_output, &p);
      break;
    }
    case 3: {
      m4_conv2d_cbr_params c;
      c.conv = p;
      const int8_t *in = io_i8(&r, in_len);
      c.filter = io_i16(&r, f_len);
      c.bias = io_i16(&r, p.G * p.COut);
      c.bias_scten = io_i32(&r);
      c.bias_scvec = io_i32(&r);
      c.bias_scret = io_i32(&r);
      c.scale = io_i16(&r, p.G * p.COut);
      c.scale_scinput = io_i32(&r);
      c.scale_scoutput = io_i32(&r);
      c.scale_demote = io_i32(&r);
      c.limit = (int8_t)io_i32(&r);
      c.div = (int8_t)io_i32(&r);
      m4_conv2d_cbr(in, (int8_t *)m4sim_output, &c);
      break;
    }
    default:
      exit(3);
  }
  return 0;
}
