/*
 * A detection head of EdgeML's face pipeline (quantized_face_detection_sparse.c), per pixel of an
 * HxWxC Q15 feature map, DIV arithmetic:
 *   1. optional L2 norm (m4_l2norm_pixel_q15 with l2_scale_in, l2_scale_out)
 *   2. optional per-channel weight (EdgeML: q15_convolution with G = C, 1x1, CF = COut = 1):
 *        y_c = (x_c * norm_w[c]) / (norm_scinput * norm_scoutput * norm_demote)     → int16
 *   3. conf and loc: q15_convolution HFxWF, stride 1, 'same' zero padding ((HF-1)/2, (WF-1)/2),
 *      F[1][HF][WF][C][cout], int64 sums / (scinput*scoutput*demote) → int16, then the bias
 *      (q15_t_add_vec): v / (scten*scret) + b[o] / (scvec*scret) → int16
 *   4. conf with cout == 4 (H1: 3 background logits + face): out = [max(v0, v1, v2), v3], the
 *      first maximum winning ties (q15_v_argmax); any other cout is written as is.
 * Outputs: conf[H][W][cout == 4 ? 2 : cout], loc[H][W][loc.cout] (int16).
 *
 * Streaming: steps 1–2 are per pixel, so only HF rows of the prepared map are kept, in a ring:
 *   ring: m4_head_ring_len(p) int16 = HF * W * C when l2norm or norm_w is set (H1: 3*40*32*2 B =
 *         7,680 B instead of the 76,800 B of a whole normalised map); NULL allowed otherwise (the
 *         convolutions read `in` directly).
 */
#ifndef M4_KERNELS_HEADS_H
#define M4_KERNELS_HEADS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const int16_t *w; /* F[1][HF][WF][C][cout] */
  uint32_t cout;
  int32_t scinput, scoutput, demote;
  const int16_t *b; /* [cout] */
  int32_t scten, scvec, scret;
} m4_head_conv;

typedef struct {
  uint32_t H, W, C;
  uint32_t HF, WF; /* odd */
  int32_t l2norm;  /* nonzero: L2-normalise each pixel first */
  int32_t l2_scale_in, l2_scale_out;
  const int16_t *norm_w; /* [C] or NULL */
  int32_t norm_scinput, norm_scoutput, norm_demote;
  m4_head_conv conf, loc;
} m4_head_params;

size_t m4_head_ring_len(const m4_head_params *p);
void m4_detection_head(const int16_t *in, int16_t *conf, int16_t *loc, int16_t *ring, const m4_head_params *p);

#endif
