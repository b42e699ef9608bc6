/*
 * The first two stages of the RNNPool face pipelines with 8x8 patches (front_end.h) for a pipeline
 * that streams its frame and writes RNNPool's output over the conv output (face_m4.c). Same values
 * as rnnpool_face_conv and rnnpool_face_pool_8x8, bit for bit.
 */
#ifndef M4SIM_FRONT_END_STREAM_H_
#define M4SIM_FRONT_END_STREAM_H_

#include <stdint.h>

#include "quantized.h"
#include "rnnpool.h"

/*
 * Stage 1 one output row at a time: `window` holds the CBR1F_HF image rows the row reads (CBR1F_W
 * bytes each, a row of zeros where the row would be padding), conv_row gets its CONV2D_WOUT x
 * CONV2D_COUT int8 values.
 */
void rnnpool_face_conv_row(const int8_t *window, int8_t *conv_row);

/*
 * Stage 2 with the 30x40x64 output over the 120x160x4 conv output, a band of RNNPOOL_BAND_ROWS patch
 * rows at a time (rnnpool_face_pool_band, front_end.h): patch rows px .. px+k-1 (reading conv rows
 * 4px .. 4(px+k-1)+7) are gathered in `rows` (k x 2,560 bytes) and then written over conv rows 4px ..
 * 4(px+k)-1, which no later band reads (it starts at 4(px+k)). A patch's 64 values cannot go straight
 * to the output: they would land on conv row 4px at column 16py, ahead of columns 4py+4 .. that the
 * rest of the band still reads. scratch: rnnpool_face_pool_scratch_values() Q15 (front_end.h).
 */
void rnnpool_face_pool_8x8_inplace(int8_t *conv_out, int8_t *rows, Q15_T *scratch, RNNPool_ShareCache *cache);

#endif
