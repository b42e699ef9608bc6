/*
 * Quantized FastGRNN (dense W and U), EdgeML DIV semantics: mirrors q15_fastgrnn and
 * q7xq15_q15_fastgrnn of c_reference/src/quantized_fastgrnn.c (our own code). TS twin:
 * src/reference/fastgrnn.ts.
 *
 * One step, with h the hidden state (Q15) and x the input (Q15 or Q7), every op with its own scales:
 *   pre  = add(mulvec(W, x), mulvec(U, h))
 *   z    = sigmoid(add(pre, Bg))           h~ = tanh(add(pre, Bh))
 *   h'   = add(hadamard(z, h), hadamard(scalar_add(nu, scalar_mul(zeta, scalar_sub(qOne, z))), h~))
 */
#ifndef M4SIM_FASTGRNN_H
#define M4SIM_FASTGRNN_H

#include "quantized.h"

#define ERR_PRECOMP_NOT_INIT -1
#define ERR_NORMFEATURES_NOT_INIT -4

/* Q15_FastGRNN_Params: W is hiddenDims x inputDims, U hiddenDims x hiddenDims, both row-major. */
typedef struct Q15_FastGRNN_Params {
  const Q15_T *mean;   /* inputDims * steps, only with normalize (may be NULL otherwise) */
  const Q15_T *stdDev; /* inverse standard deviations, as mean */
  const Q15_T *W;
  const Q15_T *U;
  const Q15_T *Bg;
  const Q15_T *Bh;
  Q15_T sigmoid_zeta;
  Q15_T sigmoid_nu;
} Q15_FastGRNN_Params;

/* Q7xQ15_FastGRNN_Params: as above with Q7 normalisation vectors (the input is Q7). */
typedef struct Q7xQ15_FastGRNN_Params {
  const Q7_T *mean;
  const Q7_T *stdDev;
  const Q15_T *W;
  const Q15_T *U;
  const Q15_T *Bg;
  const Q15_T *Bh;
  Q15_T sigmoid_zeta;
  Q15_T sigmoid_nu;
} Q7xQ15_FastGRNN_Params;

/*
 * Q15_FastGRNN_Scales, field order as EdgeML. Every SCALE_T is a power-of-two divisor. The names
 * are those of the SeeDot headers our model files come from: EdgeML later renamed W, U, Bg, Bh,
 * H1W, H1U to w, u, bg, bh, mVWOut, mVUOut (same values); H2W and H2U are unused.
 */
typedef struct Q15_FastGRNN_Scales {
  SCALE_T input;
  SCALE_T mean;
  SCALE_T meanSub;
  SCALE_T stdDev;
  SCALE_T normFeaturesHDStdDev;
  SCALE_T W;
  SCALE_T normFeaturesMVW;
  SCALE_T H1W;
  SCALE_T H2W;
  SCALE_T U;
  SCALE_T hiddenStateMVU;
  SCALE_T H1U;
  SCALE_T H2U;
  SCALE_T mV1AddMV2;
  SCALE_T mV2AddMV1;
  SCALE_T mV1AddMV2Out;
  SCALE_T mV1AddMV2Demote;
  SCALE_T pC1AddBg;
  SCALE_T Bg;
  SCALE_T pC1AddBgOut;
  SCALE_T pC1AddBgDemote;
  SCALE_T sigmoidScaleIn;
  SCALE_T sigmoidScaleOut;
  SCALE_T pC1AddBh;
  SCALE_T Bh;
  SCALE_T pC1AddBhOut;
  SCALE_T pC1AddBhDemote;
  SCALE_T tanhScaleIn;
  SCALE_T tanhScaleOut;
  SCALE_T gateHDHiddenState;
  SCALE_T hiddenStateHDGate;
  SCALE_T qOneScale;
  SCALE_T qOneSubGate;
  SCALE_T qOneSubGateOut;
  SCALE_T sigmoidZeta;
  SCALE_T sigmoidZetaMulQOneSubGate;
  SCALE_T sigmoidNu;
  SCALE_T sigmoidNuAddQOneSubGate;
  SCALE_T sigmoidNuAddQOneSubGateOut;
  SCALE_T sigmoidNuAddQOneSubGateHDUpdate;
  SCALE_T updateHDSigmoidNuAddQOneSubGate;
  SCALE_T pC3AddPC1;
  SCALE_T pC1AddPC3;
  SCALE_T hiddenStateOut;
  SCALE_T hiddenStateDemote;
  Q15_T div;
  Q15_T add;
  Q15_T sigmoidLimit;
  Q15_T qOne;
  ITER_T useTableSigmoid;
  ITER_T useTableTanH;
} Q15_FastGRNN_Scales;

/* Scratch (caller-owned): preComp1..3 hiddenDims Q15 each, normFeatures inputDims. */
typedef struct Q15_FastGRNN_Buffers {
  Q15_T *preComp1;
  Q15_T *preComp2;
  Q15_T *preComp3;
  Q15_T *normFeatures;
} Q15_FastGRNN_Buffers;

typedef struct Q7xQ15_FastGRNN_Buffers {
  Q15_T *preComp1;
  Q15_T *preComp2;
  Q15_T *preComp3;
  Q7_T *normFeatures;
} Q7xQ15_FastGRNN_Buffers;

/*
 * `steps` FastGRNN steps from hiddenState (updated in place). input holds steps vectors of inputDims,
 * consumed last-to-first when backward != 0. params: Q15_FastGRNN_Params, buffers:
 * Q15_FastGRNN_Buffers, scales: Q15_FastGRNN_Scales. Returns 0, or ERR_* when a buffer is NULL.
 * Stack: a few words (no arrays).
 */
int q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q15_T *const input, ITER_T inputDims,
                 ITER_T steps, const void *params, void *buffers, const void *scales, int backward,
                 int normalize);

/* As q15_fastgrnn with a Q7 input: params Q7xQ15_FastGRNN_Params, buffers Q7xQ15_FastGRNN_Buffers. */
int q7xq15_q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q7_T *const input,
                        ITER_T inputDims, ITER_T steps, const void *params, void *buffers,
                        const void *scales, int backward, int normalize);

#endif
