/*
 * Stage 1 of every RNNPool face pipeline (face_m4.c, face_qvga.c, face_fast.c): the fused conv 3x3
 * stride 2 over the camera frame, which is never in RAM whole: the image rows each output row reads
 * are asked for from the camera (camera.h) into a 3-row window. Same values as m4_conv2d_cbr over
 * the whole frame, bit for bit.
 */
#ifndef M4SIM_FRONT_END_STREAM_H_
#define M4SIM_FRONT_END_STREAM_H_

#include <stdint.h>

/* Bytes of the row window rnnpool_face_conv_streamed needs: 3 image rows of 320. */
#define RNNPOOL_FACE_WINDOW_BYTES (3u * 320u)

/*
 * One output row: `window` holds the CBR1F_HF image rows the row reads (CBR1F_W bytes each, a row of
 * zeros where the row would be padding), conv_row gets its CONV2D_WOUT x CONV2D_COUT int8 values.
 */
void rnnpool_face_conv_row(const int8_t *window, int8_t *conv_row);

/*
 * The whole stage, the image rows from the camera: output row c reads image rows 2c-1 .. 2c+1, kept
 * in `window` (RNNPOOL_FACE_WINDOW_BYTES); row 2c+1 moves down to the window's top for the next row,
 * so each image row is asked for once. The padding row above the image is zeros. 0, or -1 when the
 * camera refuses a request (the stage stops there).
 */
int rnnpool_face_conv_streamed(int8_t *window, int8_t *conv_out);

#endif
