/*
 * The first two stages shared by the RNNPool face pipelines with 8x8 patches (face_m4.c, face_qvga.c),
 * with every parameter from the model's conv2D.h, rnn1.h and rnn2.h.
 */
#ifndef M4SIM_FRONT_END_H_
#define M4SIM_FRONT_END_H_

#include <stdint.h>

#include "quantized.h"

/* Stage 1: conv 3x3 + bias + per-channel scale + ReLU6 (fused), 240x320x1 -> 120x160x4 int8. */
void rnnpool_face_conv(const int8_t *image, int8_t *conv_out);

/* Scratch `rnnpool_face_pool_8x8` needs: the patch output and RNNPool's buffer, in Q15 values. */
uint32_t rnnpool_face_pool_scratch_values(void);

/*
 * Stage 2: RNNPool on 8x8 patches at stride 4 over the conv output -> 29x39x64, each Q15 value stored
 * as Q7 (wrapping, as EdgeML's (Q7_T) cast), then row 29 := row 28 and column 39 := column 38 -> 30x40x64.
 */
void rnnpool_face_pool_8x8(const int8_t *conv_out, int8_t *pooled, Q15_T *scratch);

#endif
