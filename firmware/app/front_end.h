/*
 * Stage 2 shared by the RNNPool face pipelines with 8x8 patches (face_m4.c, face_qvga.c), with every
 * parameter from the model's rnn1.h and rnn2.h, and the fused conv's parameters every pipeline's
 * stage 1 uses (front_end_stream.h).
 */
#ifndef M4SIM_FRONT_END_H_
#define M4SIM_FRONT_END_H_

#include <stdint.h>

#include "quantized.h"
#include "rnnpool.h"

/*
 * The fused conv's parameters (m4_conv2d_cbr_params, conv.h) for an image of ROWS rows with top and
 * bottom padding PAD_U and PAD_D, everything else from the model's conv2D.h (include model.h first).
 */
#define RNNPOOL_FACE_CBR_PARAMS(ROWS, PAD_U, PAD_D)                                                         \
  {                                                                                                          \
    .conv = {.H = ROWS, .W = CBR1F_W, .CIn = CBR1F_CIN, .HF = CBR1F_HF, .WF = CBR1F_WF, .CF = CBR1F_CF,     \
             .COut = CONV2D_COUT, .G = CBR1F_G, .HPadU = PAD_U, .HPadD = PAD_D, .WPadL = CBR1F_WPADL,       \
             .WPadR = CBR1F_WPADR, .HStride = CBR1F_HSTRIDE, .WStride = CBR1F_WSTRIDE,                      \
             .HDilation = CBR1F_HDILATION, .WDilation = CBR1F_WDILATION, .scinput = CBR1F_Scinput,          \
             .scoutput = CBR1F_Scoutput, .demote = CBR1F_Demote},                                           \
    .filter = CBR1F, .bias = CBR1B, .bias_scten = CBR1B_Scten, .bias_scvec = CBR1B_Scvec,                  \
    .bias_scret = CBR1B_Scret, .scale = CBR1W, .scale_scinput = CBR1W_Scinput,                             \
    .scale_scoutput = CBR1W_Scoutput, .scale_demote = CBR1W_Demote, .limit = CONV2D_Limit,                 \
    .div = CONV2D_Div,                                                                                       \
  }

/* Scratch `rnnpool_face_pool_8x8_inplace` needs: the patch output and RNNPool's buffer, in Q15 values. */
uint32_t rnnpool_face_pool_scratch_values(void);

/*
 * Stage 2 for patch rows [first, first + RNNPOOL_BAND_ROWS) (fewer at the bottom; returns how many):
 * RNNPool on 8x8 patches at stride 4 over the 120x160x4 conv output, each Q15 value stored as Q7
 * (wrapping, as EdgeML's (Q7_T) cast), into `rows` (40x64 int8 each, column 39 := column 38), the
 * band's patches sharing their common sweeps through `cache` (rnnpool.h).
 */
uint32_t rnnpool_face_pool_band(const int8_t *conv_out, uint32_t first, int8_t *rows, Q15_T *scratch,
                                RNNPool_ShareCache *cache);

/*
 * Stage 2 whole: 29x39x64, then row 29 := row 28 and column 39 := column 38 -> 30x40x64, written over
 * the conv output a band at a time: patch rows px .. px+k-1 (reading conv rows 4px .. 4(px+k-1)+7)
 * are gathered in `rows` (RNNPOOL_BAND_ROWS x 2,560 bytes) and then written over conv rows 4px ..
 * 4(px+k)-1, which no later band reads (it starts at 4(px+k)). A patch's 64 values cannot go straight
 * to the output: they would land on conv row 4px at column 16py, ahead of columns 4py+4 .. that the
 * rest of the band still reads. scratch: rnnpool_face_pool_scratch_values() Q15.
 */
void rnnpool_face_pool_8x8_inplace(int8_t *conv_out, int8_t *rows, Q15_T *scratch, RNNPool_ShareCache *cache);

#endif
