/*
 * The heads' outputs gathered into the ABI order (m4sim_abi.h: conf of every head, then loc) at the
 * outputs layer: a pipeline whose heads write their outputs where each is made, rather than into the
 * whole output vector kept from the first head on (face_m4.c, face_qvga.c, face_fast.c), copies each
 * piece to its slot with the head's output scale applied on the way.
 */
#ifndef M4SIM_GATHER_H_
#define M4SIM_GATHER_H_

#include <stdint.h>

/*
 * Bytes of one head's outputs where the head writes them (D: the head's defines, detection<n>.h):
 * CELLS x 2 conf (a 4-channel conf keeps the max of its 3 background logits, heads.h), then CELLS x
 * D##LW_COUT loc, int16.
 */
#define GATHER_HEAD_OUT_BYTES(CELLS, D) ((CELLS) * ((D##CW_COUT == 4 ? 2 : D##CW_COUT) + D##LW_COUT) * 2)

/* n values to dst, each divided by scale (C `/`, as EdgeML's final assembly) unless it is 1. */
void gather_scaled(int16_t *dst, const int16_t *src, uint32_t n, int32_t scale);

#endif
