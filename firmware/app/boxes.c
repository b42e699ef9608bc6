#include "model.h"
#include "model_params.h"

#define HEAD(n)                                                                                            \
  {M4SIM_HEAD##n##_ROWS, M4SIM_HEAD##n##_COLS, M4SIM_HEAD##n##_STEP, M4SIM_HEAD##n##_ANCHOR,               \
   M4SIM_HEAD##n##_CONF_SHIFT, M4SIM_HEAD##n##_LOC_SHIFT}

static const pp_head heads[M4SIM_MODEL_HEADS] = {
    HEAD(1), HEAD(2), HEAD(3),
#if M4SIM_MODEL_HEADS > 3
    HEAD(4),
#endif
};
_Static_assert(M4SIM_MODEL_HEADS == 3 || M4SIM_MODEL_HEADS == 4, "3 or 4 detection heads");

uint32_t m4sim_detect_boxes(const int16_t *outputs, uint32_t *scratch, pp_box *boxes, uint32_t threshold_q15,
                            uint32_t max_boxes, uint32_t cap) {
  if (max_boxes > cap) max_boxes = cap;
  const pp_config cfg = {
      .heads = heads,
      .num_heads = M4SIM_MODEL_HEADS,
      .image_width = M4SIM_MODEL_INPUT_WIDTH,
      .image_height = M4SIM_MODEL_INPUT_HEIGHT,
      .score_threshold = (uint16_t)threshold_q15,
      .max_boxes = (uint16_t)max_boxes,
      .iou_num = 3,
      .iou_den = 10,
      .clip = 0,
  };
  int32_t n = pp_detect(&cfg, outputs, outputs + M4SIM_HEAD1_LOC_OFFSET, scratch, boxes);
  return n < 0 ? 0 : (uint32_t)n;
}
