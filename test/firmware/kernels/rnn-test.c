// Kernel-test firmware for quantized.c, fastgrnn.c and rnnpool.c (test/kernels-rnn.test.ts).
//
// m4sim_input holds a stream of commands, each a little-endian int32 op code followed by int32
// arguments and Q15 / Q7 arrays (every item padded to 4 bytes); op 0 ends the stream. Each command
// appends its result (padded to 4 bytes) to m4sim_output. The layouts are those written by the
// test's CommandWriter.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fastgrnn.h"
#include "quantized.h"
#include "rnnpool.h"

__attribute__((section(".noinit"), aligned(4))) uint8_t m4sim_input[48 * 1024];
__attribute__((aligned(4))) uint8_t m4sim_output[128 * 1024];

static const uint8_t *in;
static uint8_t *out;

static ITER_T pad4(ITER_T n) { return (n + 3u) & ~3u; }

static int32_t rd(void) {
  int32_t v;
  memcpy(&v, in, 4);
  in += 4;
  return v;
}
static const Q15_T *rd_q15(ITER_T n) {
  const Q15_T *p = (const Q15_T *)in;
  in += pad4(2 * n);
  return p;
}
static const Q7_T *rd_q7(ITER_T n) {
  const Q7_T *p = (const Q7_T *)in;
  in += pad4(n);
  return p;
}
static Q15_T *wr_q15(ITER_T n) {
  Q15_T *p = (Q15_T *)out;
  out += pad4(2 * n);
  return p;
}
static Q7_T *wr_q7(ITER_T n) {
  Q7_T *p = (Q7_T *)out;
  out += pad4(n);
  return p;
}

static void rd_scales(Q15_FastGRNN_Scales *s) {
  s->input = rd();
  s->mean = rd();
  s->meanSub = rd();
  s->stdDev = rd();
  s->normFeaturesHDStdDev = rd();
  s->W = rd();
  s->normFeaturesMVW = rd();
  s->H1W = rd();
  s->H2W = rd();
  s->U = rd();
  s->hiddenStateMVU = rd();
  s->H1U = rd();
  s->H2U = rd();
  s->mV1AddMV2 = rd();
  s->mV2AddMV1 = rd();
  s->mV1AddMV2Out = rd();
  s->mV1AddMV2Demote = rd();
  s->pC1AddBg = rd();
  s->Bg = rd();
  s->pC1AddBgOut = rd();
  s->pC1AddBgDemote = rd();
  s->sigmoidScaleIn = rd();
  s->sigmoidScaleOut = rd();
  s->pC1AddBh = rd();
  s->Bh = rd();
  s->pC1AddBhOut = rd();
  s->pC1AddBhDemote = rd();
  s->tanhScaleIn = rd();
  s->tanhScaleOut = rd();
  s->gateHDHiddenState = rd();
  s->hiddenStateHDGate = rd();
  s->qOneScale = rd();
  s->qOneSubGate = rd();
  s->qOneSubGateOut = rd();
  s->sigmoidZeta = rd();
  s->sigmoidZetaMulQOneSubGate = rd();
  s->sigmoidNu = rd();
  s->sigmoidNuAddQOneSubGate = rd();
  s->sigmoidNuAddQOneSubGateOut = rd();
  s->sigmoidNuAddQOneSubGateHDUpdate = rd();
  s->updateHDSigmoidNuAddQOneSubGate = rd();
  s->pC3AddPC1 = rd();
  s->pC1AddPC3 = rd();
  s->hiddenStateOut = rd();
  s->hiddenStateDemote = rd();
  s->div = (Q15_T)rd();
  s->add = (Q15_T)rd();
  s->sigmoidLimit = (Q15_T)rd();
  s->qOne = (Q15_T)rd();
  s->useTableSigmoid = (ITER_T)rd();
  s->useTableTanH = (ITER_T)rd();
}

// FastGRNN parameters: zeta, nu, hasNorm, W, U, Bg, Bh, then (if hasNorm) mean and stdDev of
// normLen values each, Q7 when q7norm.
typedef struct {
  Q15_FastGRNN_Params q15;
  Q7xQ15_FastGRNN_Params q7;
} AnyParams;

static void rd_params(AnyParams *p, ITER_T hidden, ITER_T inputDims, ITER_T normLen, int q7norm) {
  Q15_T zeta = (Q15_T)rd();
  Q15_T nu = (Q15_T)rd();
  int32_t hasNorm = rd();
  const Q15_T *W = rd_q15(hidden * inputDims);
  const Q15_T *U = rd_q15(hidden * hidden);
  const Q15_T *Bg = rd_q15(hidden);
  const Q15_T *Bh = rd_q15(hidden);
  p->q15 = (Q15_FastGRNN_Params){0, 0, W, U, Bg, Bh, zeta, nu};
  p->q7 = (Q7xQ15_FastGRNN_Params){0, 0, W, U, Bg, Bh, zeta, nu};
  if (hasNorm) {
    if (q7norm) {
      p->q7.mean = rd_q7(normLen);
      p->q7.stdDev = rd_q7(normLen);
    } else {
      p->q15.mean = rd_q15(normLen);
      p->q15.stdDev = rd_q15(normLen);
    }
  }
}

#define MAXH 64
static Q15_T pc11[MAXH], pc12[MAXH], pc13[MAXH], nf1[MAXH];
static Q7_T nf1q7[MAXH];
static Q15_T pc21[MAXH], pc22[MAXH], pc23[MAXH], nf2[MAXH];
static Q15_T pool_buffer[MAXH * 16];

int main(void) {
  in = m4sim_input;
  out = m4sim_output;
  for (;;) {
    int32_t op = rd();
    if (op == 0) break;
    switch (op) {
      case 1: {  // q15_v_add
        ITER_T n = (ITER_T)rd();
        SCALE_T s1 = rd(), s2 = rd(), sr = rd(), dm = rd();
        const Q15_T *a = rd_q15(n), *b = rd_q15(n);
        q15_v_add(a, b, n, wr_q15(n), s1, s2, sr, dm);
        break;
      }
      case 2: {  // q15_v_sub
        ITER_T n = (ITER_T)rd();
        SCALE_T s1 = rd(), s2 = rd(), sr = rd();
        const Q15_T *a = rd_q15(n), *b = rd_q15(n);
        q15_v_sub(a, b, n, wr_q15(n), s1, s2, sr);
        break;
      }
      case 3: {  // q15_v_hadamard
        ITER_T n = (ITER_T)rd();
        SCALE_T s1 = rd(), s2 = rd();
        const Q15_T *a = rd_q15(n), *b = rd_q15(n);
        q15_v_hadamard(a, b, n, wr_q15(n), s1, s2);
        break;
      }
      case 4: {  // q15_v_sigmoid
        ITER_T n = (ITER_T)rd();
        Q15_T div = (Q15_T)rd(), add = (Q15_T)rd(), limit = (Q15_T)rd();
        SCALE_T sin = rd(), sout = rd();
        ITER_T use = (ITER_T)rd();
        const Q15_T *a = rd_q15(n);
        q15_v_sigmoid(a, n, wr_q15(n), div, add, limit, sin, sout, use);
        break;
      }
      case 5: {  // q15_v_tanh
        ITER_T n = (ITER_T)rd();
        SCALE_T sin = rd(), sout = rd();
        ITER_T use = (ITER_T)rd();
        const Q15_T *a = rd_q15(n);
        q15_v_tanh(a, n, wr_q15(n), sin, sout, use);
        break;
      }
      case 6:    // q15_v_scalar_add
      case 7: {  // q15_v_scalar_sub
        ITER_T n = (ITER_T)rd();
        Q15_T scalar = (Q15_T)rd();
        SCALE_T ss = rd(), sv = rd(), sr = rd();
        const Q15_T *a = rd_q15(n);
        if (op == 6) {
          q15_v_scalar_add(scalar, a, n, wr_q15(n), ss, sv, sr);
        } else {
          q15_v_scalar_sub(scalar, a, n, wr_q15(n), ss, sv, sr);
        }
        break;
      }
      case 8: {  // q15_v_scalar_mul
        ITER_T n = (ITER_T)rd();
        Q15_T scalar = (Q15_T)rd();
        SCALE_T ss = rd(), sv = rd();
        const Q15_T *a = rd_q15(n);
        q15_v_scalar_mul(scalar, a, n, wr_q15(n), ss, sv);
        break;
      }
      case 9:     // q15_v_scale_up
      case 10: {  // q15_v_scale_down
        ITER_T n = (ITER_T)rd();
        SCALE_T s = rd();
        const Q15_T *a = rd_q15(n);
        if (op == 9) {
          q15_v_scale_up(a, n, wr_q15(n), s);
        } else {
          q15_v_scale_down(a, n, wr_q15(n), s);
        }
        break;
      }
      case 11:    // q15_m_mulvec
      case 12: {  // q15xq7_q15_m_mulvec
        ITER_T rows = (ITER_T)rd(), cols = (ITER_T)rd();
        SCALE_T sm = rd(), sv = rd(), h1 = rd(), h2 = rd();
        const Q15_T *mat = rd_q15(rows * cols);
        if (op == 11) {
          const Q15_T *vec = rd_q15(cols);
          q15_m_mulvec(mat, vec, rows, cols, wr_q15(rows), sm, sv, h1, h2);
        } else {
          const Q7_T *vec = rd_q7(cols);
          q15xq7_q15_m_mulvec(mat, vec, rows, cols, wr_q15(rows), sm, sv, h1, h2);
        }
        break;
      }
      case 13:    // exp_base_16 over start .. start + count - 1
      case 14:    // table sigmoid over a range
      case 15: {  // table tanh over a range
        int32_t start = rd(), count = rd();
        Q15_T scale = (Q15_T)rd();
        Q15_T *r = wr_q15((ITER_T)count);
        for (int32_t i = 0; i < count; i++) {
          Q15_T x = (Q15_T)(start + i);
          if (op == 13) {
            r[i] = exp_base_16(x, scale);
          } else if (op == 14) {
            q15_v_sigmoid(&x, 1, &r[i], 0, 0, 0, 0, 0, 1);
          } else {
            q15_v_tanh(&x, 1, &r[i], 0, 0, 1);
          }
        }
        break;
      }
      case 16:    // q7_v_sub
      case 17: {  // q7_v_hadamard
        ITER_T n = (ITER_T)rd();
        SCALE_T s1 = rd(), s2 = rd(), sr = rd();
        const Q7_T *a = rd_q7(n), *b = rd_q7(n);
        if (op == 16) {
          q7_v_sub(a, b, n, wr_q7(n), s1, s2, sr);
        } else {
          q7_v_hadamard(a, b, n, wr_q7(n), s1, s2);
        }
        break;
      }
      case 18:    // q15_t_add
      case 19:    // q7_t_add
      case 20:    // q15_t_add_vec
      case 21: {  // q7xq15_q7_t_add_vec
        ITER_T nb = (ITER_T)rd(), nr = (ITER_T)rd(), nc = (ITER_T)rd(), ch = (ITER_T)rd();
        SCALE_T s1 = rd(), s2 = rd(), sr = rd();
        ITER_T len = nb * nr * nc * ch;
        if (op == 18) {
          const Q15_T *a = rd_q15(len), *b = rd_q15(len);
          q15_t_add(a, b, nb, nr, nc, ch, wr_q15(len), s1, s2, sr);
        } else if (op == 19) {
          const Q7_T *a = rd_q7(len), *b = rd_q7(len);
          q7_t_add(a, b, nb, nr, nc, ch, wr_q7(len), s1, s2, sr);
        } else if (op == 20) {
          const Q15_T *a = rd_q15(len), *v = rd_q15(ch);
          q15_t_add_vec(a, v, nb, nr, nc, ch, wr_q15(len), s1, s2, sr);
        } else {
          const Q7_T *a = rd_q7(len);
          const Q15_T *v = rd_q15(ch);
          q7xq15_q7_t_add_vec(a, v, nb, nr, nc, ch, wr_q7(len), s1, s2, sr);
        }
        break;
      }
      case 22: {  // q7_t_relu
        ITER_T nb = (ITER_T)rd(), nr = (ITER_T)rd(), nc = (ITER_T)rd(), ch = (ITER_T)rd();
        Q7_T limit = (Q7_T)rd(), div = (Q7_T)rd();
        ITER_T len = nb * nr * nc * ch;
        const Q7_T *a = rd_q7(len);
        q7_t_relu(a, nb, nr, nc, ch, wr_q7(len), limit, div);
        break;
      }
      case 23: {  // q15_v_argmax
        ITER_T n = (ITER_T)rd();
        const Q15_T *a = rd_q15(n);
        ITER_T idx;
        q15_v_argmax(a, n, &idx);
        memcpy(out, &idx, 4);
        out += 4;
        break;
      }
      case 24:    // q15_fastgrnn
      case 25: {  // q7xq15_q15_fastgrnn
        ITER_T hidden = (ITER_T)rd(), inputDims = (ITER_T)rd(), steps = (ITER_T)rd();
        int backward = rd(), normalize = rd();
        AnyParams p;
        rd_params(&p, hidden, inputDims, steps * inputDims, op == 25);
        Q15_FastGRNN_Scales s;
        rd_scales(&s);
        const Q15_T *h0 = rd_q15(hidden);
        Q15_T *h = wr_q15(hidden);
        memcpy(h, h0, 2 * hidden);
        int rc;
        if (op == 24) {
          Q15_FastGRNN_Buffers b = {pc11, pc12, pc13, nf1};
          rc = q15_fastgrnn(h, hidden, rd_q15(steps * inputDims), inputDims, steps, &p.q15, &b, &s, backward,
                            normalize);
        } else {
          Q7xQ15_FastGRNN_Buffers b = {pc11, pc12, pc13, nf1q7};
          rc = q7xq15_q15_fastgrnn(h, hidden, rd_q7(steps * inputDims), inputDims, steps, &p.q7, &b, &s,
                                   backward, normalize);
        }
        if (rc != 0) exit(3);
        break;
      }
      case 26:    // q7xq15_q15_rnnpool_block
      case 27: {  // q15_rnnpool_block
        ITER_T inputDims = (ITER_T)rd(), patchDim = (ITER_T)rd(), stride = (ITER_T)rd();
        ITER_T h1 = (ITER_T)rd(), h2 = (ITER_T)rd();
        SCALE_T shR1 = rd(), shL1 = rd(), shR2 = rd(), shL2 = rd();
        AnyParams p1, p2;
        Q15_FastGRNN_Scales s1, s2;
        rd_params(&p1, h1, inputDims, 0, 0);
        rd_scales(&s1);
        rd_params(&p2, h2, h1, 0, 0);
        rd_scales(&s2);
        ITER_T patchLen = (ITER_T)rd();
        Q15_FastGRNN_Buffers b2 = {pc21, pc22, pc23, nf2};
        Q15_T *o = wr_q15(4 * h2);
        if (op == 26) {
          Q7xQ15_FastGRNN_Buffers b1 = {pc11, pc12, pc13, nf1q7};
          q7xq15_q15_rnnpool_block(rd_q7(patchLen), inputDims, patchDim, stride, q7xq15_q15_fastgrnn, h1, &p1.q7,
                                   &b1, &s1, q15_fastgrnn, h2, &p2.q15, &b2, &s2, o, pool_buffer, shR1, shL1,
                                   shR2, shL2);
        } else {
          Q15_FastGRNN_Buffers b1 = {pc11, pc12, pc13, nf1};
          q15_rnnpool_block(rd_q15(patchLen), inputDims, patchDim, stride, q15_fastgrnn, h1, &p1.q15, &b1, &s1,
                            q15_fastgrnn, h2, &p2.q15, &b2, &s2, o, pool_buffer, shR1, shL1, shR2, shL2);
        }
        break;
      }
      case 28: {  // q7xq15_q15_rnnpool_block_shared over a grid of patches, visited as rnnpool.h says
        ITER_T inputDims = (ITER_T)rd(), patchDim = (ITER_T)rd(), stride = (ITER_T)rd();
        ITER_T h1 = (ITER_T)rd(), h2 = (ITER_T)rd();
        SCALE_T shR1 = rd(), shL1 = rd(), shR2 = rd(), shL2 = rd();
        AnyParams p1, p2;
        Q15_FastGRNN_Scales s1, s2;
        rd_params(&p1, h1, inputDims, 0, 0);
        rd_scales(&s1);
        rd_params(&p2, h2, h1, 0, 0);
        rd_scales(&s2);
        ITER_T rows = (ITER_T)rd(), cols = (ITER_T)rd(), step = (ITER_T)rd(), imageLen = (ITER_T)rd();
        const Q7_T *image = rd_q7(imageLen);
        Q15_FastGRNN_Buffers b2 = {pc21, pc22, pc23, nf2};
        Q7xQ15_FastGRNN_Buffers b1 = {pc11, pc12, pc13, nf1q7};
        Q15_T *o = wr_q15(rows * cols * 4 * h2);
        static RNNPool_ShareCache cache;
        memset(&cache, 0x5a, sizeof cache); /* garbage: the kernel must not need an initialised cache */
        for (ITER_T band = 0; band < rows; band += RNNPOOL_BAND_ROWS)
          for (ITER_T c = 0; c < cols; c++)
            for (ITER_T b = 0; b < RNNPOOL_BAND_ROWS && band + b < rows; b++) {
              ITER_T r = band + b;
              q7xq15_q15_rnnpool_block_shared(image + (r * step * stride + c * step) * inputDims, inputDims,
                                              patchDim, stride, q7xq15_q15_fastgrnn, h1, &p1.q7, &b1, &s1,
                                              q15_fastgrnn, h2, &p2.q15, &b2, &s2, o + (r * cols + c) * 4 * h2,
                                              pool_buffer, shR1, shL1, shR2, shL2, &cache, step, b, c);
            }
        break;
      }
      default:
        exit(2);
    }
  }
  return 0;
}
