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


/*
 * Fast path (internal; used by q15_fastgrnn / q7xq15_q15_fastgrnn and by rnnpool.c). When every
 * divisor of a step is a positive power of two, the hidden size is at most FASTGRNN_PLAN_MAX_HIDDEN
 * and both activations use the tables, a step is computed in one pass over the hidden dimension
 * (U h row by row with SMLALD, then the whole element-wise chain of the update in registers), with
 * every `/ 2^k` done as a shift with sign correction and every constant operand (Bg, Bh, the scaled
 * qOne and nu) pre-divided once per plan. Results are bit-identical to the op-by-op code, which
 * remains the path for every other case.
 */
#define FASTGRNN_PLAN_MAX_HIDDEN 32

/* x / 2^k truncated toward zero is (x + (x < 0 ? m : 0)) >> k with m = 2^k - 1. */
typedef struct FastGRNN_Div {
  int32_t k;
  int32_t m;
} FastGRNN_Div;

/* The divisors of one step after W x: U h, then the element-wise chain in order. */
typedef struct FastGRNN_Shifts {
  FastGRNN_Div u;                 /* mulvec(U, h) */
  FastGRNN_Div a1, a2, ad;        /* pre = add(Wx, Uh) */
  FastGRNN_Div g1, gd;            /* add(pre, Bg) (Bg pre-divided into bg[]) */
  FastGRNN_Div h1, hd;            /* add(pre, Bh) */
  FastGRNN_Div zh;                /* hadamard(z, h) */
  FastGRNN_Div qsub, qzeta, qnu;  /* scalar_sub, scalar_mul, scalar_add */
  FastGRNN_Div upd;               /* hadamard(q, h~) */
  FastGRNN_Div o1, o2, od;        /* add(z h, q h~) */
} FastGRNN_Shifts;

typedef struct FastGRNN_Plan {
  const Q15_T *W;
  const Q15_T *U;
  ITER_T hidden;
  ITER_T inputDims;
  FastGRNN_Div w;                 /* mulvec(W, x) */
  FastGRNN_Shifts d;
  int variant;                    /* 1 / 2: d equals the RNNPool-Face RNN1 / RNN2 shifts (compiled in) */
  Q31_T qOne;                     /* qOne / (qOneScale qOneSubGateOut), C division */
  Q31_T zeta;
  Q31_T nu;                       /* nu / (sigmoidNu sigmoidNuAddQOneSubGateOut), C division */
  Q15_T bg[FASTGRNN_PLAN_MAX_HIDDEN]; /* Bg / (Bg pC1AddBgOut) */
  Q15_T bh[FASTGRNN_PLAN_MAX_HIDDEN];
} FastGRNN_Plan;

/* fastgrnn_recip_q44[e] = ceil(2^44 / (e + 16384)), e <= 16384: the fast path's division (fastgrnn.c). */
extern const uint32_t fastgrnn_recip_q44[16385];

/* Fills plan for W (hidden x inputDims), U, Bg, Bh, zeta, nu and scales; returns 0 when the fast path does not apply. */
int fastgrnn_plan_init(FastGRNN_Plan *plan, ITER_T hidden, ITER_T inputDims, const Q15_T *W, const Q15_T *U,
                       const Q15_T *Bg, const Q15_T *Bh, Q15_T zeta, Q15_T nu, const Q15_FastGRNN_Scales *s);
/* wx = q15xq7_q15_m_mulvec(W, x) / q15_m_mulvec(W, x) with the plan's scales (wx has `hidden` entries). */
void fastgrnn_plan_wx_q7(const FastGRNN_Plan *plan, const Q7_T *x, Q15_T *wx);
void fastgrnn_plan_wx_q15(const FastGRNN_Plan *plan, const Q15_T *x, Q15_T *wx);
/*
 * One step given wx = mulvec(W, x): h <- FastGRNN update of h. h_zero != 0 promises that h is all
 * zero (then U h = 0 exactly and is not computed). h must be 2-byte aligned (any int16 array).
 */
void fastgrnn_plan_step(const FastGRNN_Plan *plan, Q15_T *h, const Q15_T *wx, int h_zero);

#endif
