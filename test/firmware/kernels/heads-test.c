// Kernel test for firmware/kernels/heads.c. Input: H, W, C, HF, WF, l2norm, l2_scale_in,
// l2_scale_out, has_norm_w, norm_scinput, norm_scoutput, norm_demote; then for conf and loc: cout,
// scinput, scoutput, demote, scten, scvec, scret; arrays norm_w[C] (if has_norm_w), conf w, conf b,
// loc w, loc b; the input map (int16). Output: conf then loc (int16).
#include <stdint.h>
#include <stdlib.h>

#include "conv-io.h"
#include "heads.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[96 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[16 * 1024];
static int16_t ring[12 * 1024];

static void read_conv(conv_io *r, m4_head_conv *c) {
  c->cout = (uint32_t)io_i32(r);
  c->scinput = io_i32(r);
  c->scoutput = io_i32(r);
  c->demote = io_i32(r);
  c->scten = io_i32(r);
  c->scvec = io_i32(r);
  c->scret = io_i32(r);
}

int main(void) {
  conv_io r = {m4sim_input};
  m4_head_params p;
  p.H = (uint32_t)io_i32(&r);
  p.W = (uint32_t)io_i32(&r);
  p.C = (uint32_t)io_i32(&r);
  p.HF = (uint32_t)io_i32(&r);
  p.WF = (uint32_t)io_i32(&r);
  p.l2norm = io_i32(&r);
  p.l2_scale_in = io_i32(&r);
  p.l2_scale_out = io_i32(&r);
  int32_t has_norm_w = io_i32(&r);
  p.norm_scinput = io_i32(&r);
  p.norm_scoutput = io_i32(&r);
  p.norm_demote = io_i32(&r);
  read_conv(&r, &p.conf);
  read_conv(&r, &p.loc);
  p.norm_w = has_norm_w ? io_i16(&r, p.C) : NULL;
  p.conf.w = io_i16(&r, p.HF * p.WF * p.C * p.conf.cout);
  p.conf.b = io_i16(&r, p.conf.cout);
  p.loc.w = io_i16(&r, p.HF * p.WF * p.C * p.loc.cout);
  p.loc.b = io_i16(&r, p.loc.cout);
  const int16_t *in = io_i16(&r, p.H * p.W * p.C);
  uint32_t conf_ch = p.conf.cout == 4 ? 2 : p.conf.cout;
  uint32_t conf_len = p.H * p.W * conf_ch, loc_len = p.H * p.W * p.loc.cout;
  if (m4_head_ring_len(&p) > sizeof ring / 2 || (conf_len + loc_len) * 2 > sizeof m4sim_output) exit(2);
  int16_t *out = (int16_t *)(void *)m4sim_output;
  int use_ring = p.l2norm || p.norm_w != NULL;
  m4_detection_head(in, out, out + conf_len, use_ring ? ring : NULL, &p);
  return 0;
}
