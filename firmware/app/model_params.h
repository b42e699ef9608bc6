/*
 * Filling kernel parameter structs from the generated model headers (EdgeML names: L<n>_H, L<n>_F1,
 * L<n>_ShRU1 …), shared by the detector pipelines; and the boxes stage every pipeline ends with.
 */
#ifndef M4SIM_MODEL_PARAMS_H_
#define M4SIM_MODEL_PARAMS_H_

#include <stdint.h>
#include <string.h>

#include "mbconv.h"
#include "postprocess.h"

/* MBConv block L (e.g. L2) with Q15 weights into the m4_mbconv_params `p`. */
#define M4SIM_MBCONV_PARAMS(p, L)                                                                             \
  do {                                                                                                        \
    memset(&(p), 0, sizeof(p));                                                                               \
    p.H = L##_H, p.W = L##_W, p.CIn = L##_CIN, p.CTemp = L##_CTEMP, p.COut = L##_COUT, p.HF = L##_HF;         \
    p.WF = L##_WF, p.HPadU = L##_HPADL, p.HPadD = L##_HPADR, p.WPadL = L##_WPADL, p.WPadR = L##_WPADR;        \
    p.HStride = L##_HSTRIDE, p.WStride = L##_WSTRIDE;                                                         \
    p.F1 = L##_F1, p.W1 = L##_W1, p.B1 = L##_B1, p.F2 = L##_F2, p.W2 = L##_W2, p.B2 = L##_B2;                 \
    p.F3 = L##_F3, p.W3 = L##_W3, p.B3 = L##_B3;                                                              \
    p.limit1 = L##_Limit1, p.limit2 = L##_Limit2;                                                             \
    p.shrU1 = L##_ShRU1, p.shrX1 = L##_ShRX1, p.shrU2 = L##_ShRU2, p.shrX2 = L##_ShRX2;                       \
    p.shrU3 = L##_ShRU3, p.shrW3 = L##_ShRW3;                                                                 \
    p.shlU1 = L##_ShLU1, p.shlX1 = L##_ShLX1, p.shlU2 = L##_ShLU2, p.shlX2 = L##_ShLX2;                       \
    p.shlU3 = L##_ShLU3, p.shlW3 = L##_ShLW3;                                                                 \
  } while (0)

/*
 * Priors, decode, score threshold, greedy NMS (IoU > 0.3) over the model's heads (model.h geometry and
 * output shifts) on the raw outputs (all conf, then all loc from M4SIM_HEAD1_LOC_OFFSET). `scratch`
 * holds PP_SCRATCH_BYTES(priors); `boxes` at least min(max_boxes, cap) entries. Returns the box count.
 */
uint32_t m4sim_detect_boxes(const int16_t *outputs, uint32_t *scratch, pp_box *boxes, uint32_t threshold_q15,
                            uint32_t max_boxes, uint32_t cap);

#endif
