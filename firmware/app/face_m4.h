#ifndef FACE_M4_H_
#define FACE_M4_H_

#include <stdint.h>

#include "m4sim_abi.h"

/* Runs the pipeline over `arena` (M4SIM_ARENA_BYTES, m4sim_layers.h; its first 76,800 bytes hold the
 * input frame). */
int face_m4_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                m4sim_output_t *out);

#endif
