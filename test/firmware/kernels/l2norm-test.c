// Kernel test for firmware/kernels/l2norm.c. Input: pixels, C, scale_in, scale_out, data[pixels*C]
// (int16). Output: the normalised data (int16), then the inverse norm of every pixel (int16); the
// data is normalised in place in a copy, the inverse norms come from m4_l2norm_pixel_q15.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv-io.h"
#include "l2norm.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[40 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[40 * 1024];
static int16_t copy[16 * 1024];

int main(void) {
  conv_io r = {m4sim_input};
  uint32_t pixels = (uint32_t)io_i32(&r), C = (uint32_t)io_i32(&r);
  int32_t scale_in = io_i32(&r), scale_out = io_i32(&r);
  const int16_t *data = io_i16(&r, pixels * C);
  if (pixels * C > sizeof copy / 2 || (pixels * C + pixels) * 2 > sizeof m4sim_output) exit(2);
  int16_t *out = (int16_t *)(void *)m4sim_output;
  memcpy(copy, data, pixels * C * 2);
  m4_l2norm_q15(copy, pixels, C, copy, scale_in, scale_out); /* in place */
  memcpy(out, copy, pixels * C * 2);
  for (uint32_t i = 0; i < pixels; i++) {
    out[pixels * C + i] = m4_l2norm_pixel_q15(data + i * C, C, copy, scale_in, scale_out);
  }
  return 0;
}
