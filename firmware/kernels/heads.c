/* Detection heads: see heads.h. */
#include "heads.h"

#include "conv.h"
#include "l2norm.h"

size_t m4_head_ring_len(const m4_head_params *p) { return (size_t)p->HF * p->W * p->C; }

static int prepared(const m4_head_params *p) { return p->l2norm || p->norm_w != NULL; }

static void prepare_row(const int16_t *src, int16_t *dst, const m4_head_params *p) {
  int32_t nscale = m4_mul32(m4_mul32(p->norm_scinput, p->norm_scoutput), p->norm_demote);
  for (uint32_t j = 0; j < p->W; j++) {
    const int16_t *x = src + j * p->C;
    int16_t *y = dst + j * p->C;
    if (p->l2norm) {
      m4_l2norm_pixel_q15(x, p->C, y, p->l2_scale_in, p->l2_scale_out);
      x = y;
    }
    if (p->norm_w != NULL) {
      for (uint32_t c = 0; c < p->C; c++) {
        y[c] = (int16_t)m4_div64((int64_t)((int32_t)x[c] * (int32_t)p->norm_w[c]), nscale);
      }
    } else if (x != y) {
      for (uint32_t c = 0; c < p->C; c++) y[c] = x[c];
    }
  }
}

/* Row r of the map the convolutions read. */
static const int16_t *row_of(const int16_t *in, const int16_t *ring, int32_t r, const m4_head_params *p) {
  if (prepared(p)) return ring + ((uint32_t)r % p->HF) * p->W * p->C;
  return in + (uint32_t)r * p->W * p->C;
}

/* conv + bias for output channel o at (h, w). */
static int16_t head_conv(const int16_t *in, const int16_t *ring, int32_t h, int32_t w, uint32_t o,
                         const m4_head_conv *hc, const m4_head_params *p) {
  const int32_t fl_h = (int32_t)((p->HF - 1) >> 1), fr_h = (int32_t)(p->HF >> 1);
  const int32_t fl_w = (int32_t)((p->WF - 1) >> 1), fr_w = (int32_t)(p->WF >> 1);
  const uint32_t C = p->C, CO = hc->cout;
  int64_t acc = 0;
  for (int32_t hf = -fl_h; hf <= fr_h; hf++) {
    int32_t hi = h + hf;
    if (hi < 0 || hi >= (int32_t)p->H) continue;
    const int16_t *row = row_of(in, ring, hi, p);
    for (int32_t wf = -fl_w; wf <= fr_w; wf++) {
      int32_t wi = w + wf;
      if (wi < 0 || wi >= (int32_t)p->W) continue;
      const int16_t *x = row + (uint32_t)wi * C;
      const int16_t *f = hc->w + (((uint32_t)(hf + fl_h) * p->WF + (uint32_t)(wf + fl_w)) * C) * CO + o;
      for (uint32_t c = 0; c < C; c++, f += CO) acc += (int32_t)x[c] * (int32_t)*f;
    }
  }
  int32_t scale = m4_mul32(m4_mul32(hc->scinput, hc->scoutput), hc->demote);
  int16_t v = (int16_t)m4_div64(acc, scale);
  return (int16_t)(m4_div32(v, m4_mul32(hc->scten, hc->scret)) + m4_div32(hc->b[o], m4_mul32(hc->scvec, hc->scret)));
}

void m4_detection_head(const int16_t *in, int16_t *conf, int16_t *loc, int16_t *ring, const m4_head_params *p) {
  const int32_t fr_h = (int32_t)(p->HF >> 1);
  int32_t next_row = 0;
  int16_t raw[4];
  for (int32_t h = 0; h < (int32_t)p->H; h++) {
    if (prepared(p)) {
      int32_t need = h + fr_h;
      if (need > (int32_t)p->H - 1) need = (int32_t)p->H - 1;
      for (; next_row <= need; next_row++) {
        prepare_row(in + (uint32_t)next_row * p->W * p->C, ring + ((uint32_t)next_row % p->HF) * p->W * p->C, p);
      }
    }
    for (int32_t w = 0; w < (int32_t)p->W; w++) {
      if (p->conf.cout == 4) {
        for (uint32_t o = 0; o < 4; o++) raw[o] = head_conv(in, ring, h, w, o, &p->conf, p);
        int16_t best = raw[0];
        if (best < raw[1]) best = raw[1];
        if (best < raw[2]) best = raw[2];
        *conf++ = best;
        *conf++ = raw[3];
      } else {
        for (uint32_t o = 0; o < p->conf.cout; o++) *conf++ = head_conv(in, ring, h, w, o, &p->conf, p);
      }
      for (uint32_t o = 0; o < p->loc.cout; o++) *loc++ = head_conv(in, ring, h, w, o, &p->loc, p);
    }
  }
}
