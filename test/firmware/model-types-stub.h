// Stand-in for the kernel headers when compiling generated model headers in test/model.test.ts:
// EdgeML's quantized types (c_reference/include/quantized_datatypes.h) and FastGRNN structs
// (c_reference/include/quantized_fastgrnn.h, scale fields with their current names).
// -DSTUB_CONST_PARAMS declares the params' pointers const, to check the generated headers either way.
#ifndef MODEL_TYPES_STUB_H
#define MODEL_TYPES_STUB_H

#include <stdint.h>

typedef int8_t Q7_T;
typedef int16_t Q15_T;
typedef int32_t Q31_T;
typedef int64_t Q63_T;
typedef uint32_t ITER_T;
typedef int32_t S_ITER_T;
typedef int32_t SCALE_T;

#ifdef STUB_CONST_PARAMS
#define STUB_PCONST const
#else
#define STUB_PCONST
#endif

typedef struct Q15_FastGRNN_Params {
  STUB_PCONST Q15_T* mean;
  STUB_PCONST Q15_T* stdDev;
  STUB_PCONST Q15_T* W;
  STUB_PCONST Q15_T* U;
  STUB_PCONST Q15_T* Bg;
  STUB_PCONST Q15_T* Bh;
  Q15_T sigmoid_zeta;
  Q15_T sigmoid_nu;
} Q15_FastGRNN_Params;

typedef struct Q7xQ15_FastGRNN_Params {
  STUB_PCONST Q7_T* mean;
  STUB_PCONST Q7_T* stdDev;
  STUB_PCONST Q15_T* W;
  STUB_PCONST Q15_T* U;
  STUB_PCONST Q15_T* Bg;
  STUB_PCONST Q15_T* Bh;
  Q15_T sigmoid_zeta;
  Q15_T sigmoid_nu;
} Q7xQ15_FastGRNN_Params;

typedef struct Q15_FastGRNN_Scales {
  SCALE_T input;
  SCALE_T mean;
  SCALE_T meanSub;
  SCALE_T stdDev;
  SCALE_T normFeaturesHDStdDev;
  SCALE_T w;
  SCALE_T normFeaturesMVW;
  SCALE_T mVWOut;
  SCALE_T u;
  SCALE_T hiddenStateMVU;
  SCALE_T mVUOut;
  SCALE_T mV1AddMV2;
  SCALE_T mV2AddMV1;
  SCALE_T mV1AddMV2Out;
  SCALE_T mV1AddMV2Demote;
  SCALE_T pC1AddBg;
  SCALE_T bg;
  SCALE_T pC1AddBgOut;
  SCALE_T pC1AddBgDemote;
  SCALE_T sigmoidScaleIn;
  SCALE_T sigmoidScaleOut;
  SCALE_T pC1AddBh;
  SCALE_T bh;
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

typedef struct Q15_FastGRNN_Buffers {
  Q15_T* preComp1;
  Q15_T* preComp2;
  Q15_T* preComp3;
  Q15_T* normFeatures;
} Q15_FastGRNN_Buffers;

typedef struct Q7xQ15_FastGRNN_Buffers {
  Q15_T* preComp1;
  Q15_T* preComp2;
  Q15_T* preComp3;
  Q7_T* normFeatures;
} Q7xQ15_FastGRNN_Buffers;

#endif
