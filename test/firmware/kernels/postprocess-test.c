// Kernel test for postprocess.c. Input (little-endian 16-bit words): num_heads, image_width,
// image_height, score_threshold, max_boxes, iou_num, iou_den, clip; then per head rows, cols, step,
// anchor, conf_shift, loc_shift; then conf (2 per prior) and loc (4 per prior) as int16.
// Output: int32 pp_detect result, then that many pp_box (12 bytes each).
#include <stdint.h>
#include <stdlib.h>

#include "postprocess.h"

#define MAX_PRIORS 3000
#define HEADER_WORDS 8

__attribute__((section(".noinit"))) int16_t m4sim_input[HEADER_WORDS + 6 * PP_MAX_HEADS + 6 * MAX_PRIORS];
int32_t m4sim_output[1 + 3 * MAX_PRIORS];

static uint32_t scratch[MAX_PRIORS];
static pp_head heads[PP_MAX_HEADS];

int main(void) {
  const uint16_t *w = (const uint16_t *)m4sim_input;
  pp_config cfg = {
      .heads = heads,
      .num_heads = w[0],
      .image_width = w[1],
      .image_height = w[2],
      .score_threshold = w[3],
      .max_boxes = w[4],
      .iou_num = w[5],
      .iou_den = w[6],
      .clip = (uint8_t)w[7],
  };
  if (cfg.num_heads > PP_MAX_HEADS) exit(2);
  const uint16_t *hw = w + HEADER_WORDS;
  for (uint16_t h = 0; h < cfg.num_heads; h++, hw += 6) {
    heads[h] = (pp_head){hw[0], hw[1], hw[2], hw[3], (uint8_t)hw[4], (uint8_t)hw[5]};
  }
  uint32_t n = pp_num_priors(heads, cfg.num_heads);
  if (n > MAX_PRIORS || cfg.max_boxes > MAX_PRIORS) exit(3);
  const int16_t *conf = (const int16_t *)hw;
  const int16_t *loc = conf + 2 * n;
  m4sim_output[0] = pp_detect(&cfg, conf, loc, scratch, (pp_box *)&m4sim_output[1]);
  return 0;
}
