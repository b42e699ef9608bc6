#ifndef FACE_FAST_H_
#define FACE_FAST_H_

#include <stdint.h>

#include "m4sim_abi.h"

/* The arena the memory plan in face_fast.c lays out (its first 76,800 bytes hold the input frame). */
#define FACE_FAST_ARENA_BYTES 153600u
#define FACE_FAST_MAX_BOXES 750u

int face_fast_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                  m4sim_output_t *out);

#endif
