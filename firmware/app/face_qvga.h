#ifndef FACE_QVGA_H_
#define FACE_QVGA_H_

#include <stdint.h>

#include "m4sim_abi.h"

/* The arena the memory plan in face_qvga.c lays out (its first 76,800 bytes hold the input frame). */
#define FACE_QVGA_ARENA_BYTES 184576u
#define FACE_QVGA_MAX_BOXES 750u

int face_qvga_run(uint8_t *arena, uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes,
                  m4sim_output_t *out);

#endif
