/*
 * Quantized FastGRNN (dense), EdgeML DIV semantics: see fastgrnn.h. Mirrors q15_fastgrnn and
 * q7xq15_q15_fastgrnn of EdgeML's quantized_fastgrnn.c (non-SPARSE build).
 */
#include "fastgrnn.h"

/*
 * The part of a step after the two matrix-vector products (preComp1 = W x, preComp2 = U h), common
 * to both input types.
 */
static void fastgrnn_update(Q15_T *hiddenState, ITER_T hiddenDims, const Q15_T *Bg, const Q15_T *Bh,
                            Q15_T zeta, Q15_T nu, Q15_T *preComp1, Q15_T *preComp2, Q15_T *preComp3,
                            const Q15_FastGRNN_Scales *s) {
  q15_v_add(preComp1, preComp2, hiddenDims, preComp1, s->mV1AddMV2, s->mV2AddMV1, s->mV1AddMV2Out,
            s->mV1AddMV2Demote);

  /* Gate z and update h~. */
  q15_v_add(preComp1, Bg, hiddenDims, preComp2, s->pC1AddBg, s->Bg, s->pC1AddBgOut, s->pC1AddBgDemote);
  q15_v_sigmoid(preComp2, hiddenDims, preComp2, s->div, s->add, s->sigmoidLimit, s->sigmoidScaleIn,
                s->sigmoidScaleOut, s->useTableSigmoid);
  q15_v_add(preComp1, Bh, hiddenDims, preComp1, s->pC1AddBh, s->Bh, s->pC1AddBhOut, s->pC1AddBhDemote);
  q15_v_tanh(preComp1, hiddenDims, preComp1, s->tanhScaleIn, s->tanhScaleOut, s->useTableTanH);

  /* h' = z h + (zeta (1 - z) + nu) h~. */
  q15_v_hadamard(preComp2, hiddenState, hiddenDims, preComp3, s->gateHDHiddenState, s->hiddenStateHDGate);
  q15_v_scalar_sub(s->qOne, preComp2, hiddenDims, preComp2, s->qOneScale, s->qOneSubGate,
                   s->qOneSubGateOut);
  q15_v_scalar_mul(zeta, preComp2, hiddenDims, preComp2, s->sigmoidZeta, s->sigmoidZetaMulQOneSubGate);
  q15_v_scalar_add(nu, preComp2, hiddenDims, preComp2, s->sigmoidNu, s->sigmoidNuAddQOneSubGate,
                   s->sigmoidNuAddQOneSubGateOut);
  q15_v_hadamard(preComp2, preComp1, hiddenDims, preComp1, s->sigmoidNuAddQOneSubGateHDUpdate,
                 s->updateHDSigmoidNuAddQOneSubGate);
  q15_v_add(preComp3, preComp1, hiddenDims, hiddenState, s->pC3AddPC1, s->pC1AddPC3, s->hiddenStateOut,
            s->hiddenStateDemote);
}

/* quantized_fastgrnn.c: q15_fastgrnn. */
int q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q15_T *const input, ITER_T inputDims,
                 ITER_T steps, const void *params, void *buffers, const void *scales, int backward,
                 int normalize) {
  const Q15_FastGRNN_Params *p = (const Q15_FastGRNN_Params *)params;
  Q15_FastGRNN_Buffers *b = (Q15_FastGRNN_Buffers *)buffers;
  const Q15_FastGRNN_Scales *s = (const Q15_FastGRNN_Scales *)scales;

  if (b->preComp1 == 0 || b->preComp2 == 0 || b->preComp3 == 0) return ERR_PRECOMP_NOT_INIT;
  if (b->normFeatures == 0) return ERR_NORMFEATURES_NOT_INIT;

  for (ITER_T t = 0; t < steps; t++) {
    ITER_T offset = backward ? steps - 1 - t : t;
    if (normalize) {
      q15_v_sub(input + offset * inputDims, p->mean + offset * inputDims, inputDims, b->normFeatures,
                s->input, s->mean, s->meanSub);
      q15_v_hadamard(p->stdDev + offset * inputDims, b->normFeatures, inputDims, b->normFeatures, s->stdDev,
                     s->normFeaturesHDStdDev);
    } else {
      for (ITER_T d = 0; d < inputDims; d++) b->normFeatures[d] = input[offset * inputDims + d];
    }
    q15_m_mulvec(p->W, b->normFeatures, hiddenDims, inputDims, b->preComp1, s->W, s->normFeaturesMVW,
                 s->H1W, s->H2W);
    q15_m_mulvec(p->U, hiddenState, hiddenDims, hiddenDims, b->preComp2, s->U, s->hiddenStateMVU, s->H1U,
                 s->H2U);
    fastgrnn_update(hiddenState, hiddenDims, p->Bg, p->Bh, p->sigmoid_zeta, p->sigmoid_nu, b->preComp1,
                    b->preComp2, b->preComp3, s);
  }
  return 0;
}

/* quantized_fastgrnn.c: q7xq15_q15_fastgrnn. */
int q7xq15_q15_fastgrnn(Q15_T *const hiddenState, ITER_T hiddenDims, const Q7_T *const input,
                        ITER_T inputDims, ITER_T steps, const void *params, void *buffers,
                        const void *scales, int backward, int normalize) {
  const Q7xQ15_FastGRNN_Params *p = (const Q7xQ15_FastGRNN_Params *)params;
  Q7xQ15_FastGRNN_Buffers *b = (Q7xQ15_FastGRNN_Buffers *)buffers;
  const Q15_FastGRNN_Scales *s = (const Q15_FastGRNN_Scales *)scales;

  if (b->preComp1 == 0 || b->preComp2 == 0 || b->preComp3 == 0) return ERR_PRECOMP_NOT_INIT;
  if (b->normFeatures == 0) return ERR_NORMFEATURES_NOT_INIT;

  for (ITER_T t = 0; t < steps; t++) {
    ITER_T offset = backward ? steps - 1 - t : t;
    if (normalize) {
      q7_v_sub(input + offset * inputDims, p->mean + offset * inputDims, inputDims, b->normFeatures,
               s->input, s->mean, s->meanSub);
      q7_v_hadamard(p->stdDev + offset * inputDims, b->normFeatures, inputDims, b->normFeatures, s->stdDev,
                    s->normFeaturesHDStdDev);
    } else {
      for (ITER_T d = 0; d < inputDims; d++) b->normFeatures[d] = input[offset * inputDims + d];
    }
    q15xq7_q15_m_mulvec(p->W, b->normFeatures, hiddenDims, inputDims, b->preComp1, s->W,
                        s->normFeaturesMVW, s->H1W, s->H2W);
    q15_m_mulvec(p->U, hiddenState, hiddenDims, hiddenDims, b->preComp2, s->U, s->hiddenStateMVU, s->H1U,
                 s->H2U);
    fastgrnn_update(hiddenState, hiddenDims, p->Bg, p->Bh, p->sigmoid_zeta, p->sigmoid_nu, b->preComp1,
                    b->preComp2, b->preComp3, s);
  }
  return 0;
}
