#ifndef FACE_M4_H_
#define FACE_M4_H_

#include <stdint.h>

#include "m4sim_abi.h"

/* Runs the pipeline over `arena` (M4SIM_ARENA_BYTES, m4sim_layers.h), reading the frame from the camera
 * (camera.h). 0 when done, M4SIM_EXIT_CAMERA when the camera refused a request, -1 on a bad plan. */
int face_m4_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                m4sim_output_t *out);

#endif
