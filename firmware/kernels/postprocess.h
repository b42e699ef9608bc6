/*
 * Detection post-processing in integer arithmetic: priors, box decoding, face score, threshold,
 * greedy NMS. Bit-exact twin of src/reference/postprocess.ts (same algorithm, same rounding).
 *
 * Inputs (int16, heads concatenated in head -> row -> column order, one square prior per cell):
 *   conf: 2 values per prior, [background, face] logits; real = q / 2^conf_shift of its head.
 *   loc:  4 values per prior, [dx, dy, dw, dh];           real = q / 2^loc_shift of its head.
 * (For the RNNPool M4 model: conf = out, loc = out + 2 * 3000.)
 *
 * Prior of head h, cell (row i, column j): centre ((j + 0.5) * step, (i + 0.5) * step) pixels, side
 * `anchor` pixels (normalised by the image size this is cx = (j+0.5)*step/W, w = anchor/W, ...).
 * Decode with variances (0.1, 0.2), in pixels:
 *   cx' = cx + dx * 0.1 * anchor,  w' = anchor * e^(0.2 * dw)   (y, h alike)
 * Fixed point (every step identical in C and TS):
 *   - coordinates are Q4 pixels (1/16 px); cx'_q4 = (2j+1)*step*8 + rdiv(q_dx * anchor * 8, 5 * 2^loc_shift),
 *     rdiv = round half up (floor((2n + d) / 2d));
 *   - half side hw_q4 = round(anchor * 8 * 2^u), u = round(q_dw * 0.2 * log2(e) * 2^16 / 2^loc_shift)
 *     clamped to [-32, 8] * 2^16 (so a box is at most 256x its anchor); 2^u from two 256-entry Q24
 *     tables (2^(i/256) and 2^(i/65536)) and a shift;
 *   - x1 = cx' - hw, x2 = cx' + hw, then clamped to int16 ([-2048, 2048) px), or to [0, 16*W] x
 *     [0, 16*H] when `clip` is set.
 * Face score = softmax of the 2 logits = sigmoid(face - background), Q15 in [0, 32768]:
 *   d = face - bg; E = round(2^30 * 2^(-|d| * log2(e) / 2^conf_shift)) (same 2^u routine, u rounded
 *   to Q16); s = round(2^45 / (2^30 + E)); the score is s for d >= 0 and 32768 - s for d < 0.
 * A prior is a candidate when score > score_threshold (Q15). Candidates are ordered by score
 * descending, ties by prior index ascending. Greedy NMS: a candidate is kept unless some already
 * kept box has IoU > iou_num / iou_den with it (tested as inter * iou_den > iou_num * union on exact
 * integer Q8 areas); at most max_boxes are kept.
 *
 * Limits (checked, pp_detect returns PP_EINVAL otherwise): 1..PP_MAX_HEADS heads; rows, cols, step,
 * anchor >= 1; anchor <= 4096; cols * step and rows * step <= 65535; shifts <= 15; total priors
 * <= 65535; 1 <= iou_den <= 1024; iou_num <= 1024; with clip, image sides <= 2047.
 */
#ifndef M4SIM_POSTPROCESS_H
#define M4SIM_POSTPROCESS_H

#include <stdint.h>

#define PP_MAX_HEADS 16
#define PP_EINVAL (-1)

typedef struct {
  uint16_t rows, cols;  /* feature-map size */
  uint16_t step;        /* pixels between cell centres */
  uint16_t anchor;      /* prior side in pixels */
  uint8_t conf_shift;   /* conf real = q / 2^conf_shift */
  uint8_t loc_shift;    /* loc real = q / 2^loc_shift */
} pp_head;

typedef struct {
  const pp_head *heads;
  uint16_t num_heads;
  uint16_t image_width, image_height; /* pixels; used by clip */
  uint16_t score_threshold;           /* Q15: keep score > threshold */
  uint16_t max_boxes;                 /* at most this many boxes kept */
  uint16_t iou_num, iou_den;          /* suppress when IoU > iou_num / iou_den (3 / 10) */
  uint8_t clip;                       /* clip boxes to the image before NMS */
} pp_config;

/* One detection: corners in Q4 pixels (x / 16 px), score Q15 (0..32768), prior index. 12 bytes. */
typedef struct {
  int16_t x1, y1, x2, y2;
  uint16_t score;
  uint16_t prior;
} pp_box;

/* Scratch bytes pp_detect needs: 4 per prior (12,000 for the M4 model's 3000 priors). */
#define PP_SCRATCH_BYTES(num_priors) ((uint32_t)(num_priors) * 4u)

/* Number of priors of the heads (sum of rows * cols). */
uint32_t pp_num_priors(const pp_head *heads, uint16_t num_heads);

/* Face score, Q15 in [0, 32768], of the logit difference d = face - background (real d / 2^shift). */
uint16_t pp_score_q15(int32_t d, unsigned shift);

/* Decodes prior (row, col) of `head` with its 4 loc values into box (score and prior untouched). */
void pp_decode(const pp_config *cfg, const pp_head *head, uint32_t row, uint32_t col, const int16_t loc[4],
               pp_box *box);

/*
 * Runs the whole post-processing. `scratch` holds pp_num_priors() uint32 words, `boxes` holds
 * cfg->max_boxes entries (12 bytes each). Returns the number of boxes written (best first), or
 * PP_EINVAL. No allocation; stack use is a few dozen bytes.
 */
int32_t pp_detect(const pp_config *cfg, const int16_t *conf, const int16_t *loc, uint32_t *scratch,
                  pp_box *boxes);

#endif
