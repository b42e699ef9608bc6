// RNNPool on one patch: the TypeScript twin of firmware/kernels/rnnpool.c (EdgeML's q15_rnnpool_block
// and q7xq15_q15_rnnpool_block, DIV semantics), bit-exact.
//
// The patch is patchDim x patchDim pixels of inputDims channels (HWC) inside an image whose rows are
// `stride` pixels apart. Output (4 hiddenDims2 values): [rows forward, rows backward, columns forward,
// columns backward], each RNN2's final state, then multiplied by shL2 (wrapping) and divided by shR2.
import {
  createQ15FastGrnnBuffers,
  createQ7xQ15FastGrnnBuffers,
  q15Fastgrnn,
  q7xq15Q15Fastgrnn,
  type FastGrnnScales,
  type Q15FastGrnnParams,
  type Q7xQ15FastGrnnParams,
} from './fastgrnn.js';
import { q15VScaleDown, q15VScaleUp } from './quantized.js';

/** The signature of q15Fastgrnn (q15_rnn_t), generic over its params / buffers / scales. */
export type Q15Rnn<P, B, S> = (
  hiddenState: Int16Array,
  hiddenDims: number,
  input: Int16Array,
  inputDims: number,
  steps: number,
  params: P,
  buffers: B,
  scales: S,
  backward: number,
  normalize: number,
) => number;

/** The signature of q7xq15Q15Fastgrnn (q7xq15_q15_rnn_t). */
export type Q7xQ15Q15Rnn<P, B, S> = (
  hiddenState: Int16Array,
  hiddenDims: number,
  input: Int8Array,
  inputDims: number,
  steps: number,
  params: P,
  buffers: B,
  scales: S,
  backward: number,
  normalize: number,
) => number;

function rnnpoolBlock<T extends Int8Array | Int16Array, P1, B1, S1, P2, B2, S2>(
  patch: T,
  inputDims: number,
  patchDim: number,
  stride: number,
  rnn1: (
    h: Int16Array,
    hd: number,
    x: T,
    xd: number,
    n: number,
    p: P1,
    b: B1,
    s: S1,
    bw: number,
    nm: number,
  ) => number,
  hiddenDims1: number,
  rnn1Params: P1,
  rnn1Buffers: B1,
  rnn1Scales: S1,
  rnn2: Q15Rnn<P2, B2, S2>,
  hiddenDims2: number,
  rnn2Params: P2,
  rnn2Buffers: B2,
  rnn2Scales: S2,
  output: Int16Array,
  buffer: Int16Array,
  shR1: number,
  shL1: number,
  shR2: number,
  shL2: number,
): number {
  const h1 = hiddenDims1;
  const h2 = hiddenDims2;
  const summaries = patchDim * h1;
  const pixel = (r: number, c: number) => patch.subarray((stride * r + c) * inputDims) as T;
  output.fill(0, 0, 4 * h2);

  buffer.fill(0, 0, summaries);
  for (let r = 0; r < patchDim; r++) {
    rnn1(
      buffer.subarray(r * h1),
      h1,
      pixel(r, 0),
      inputDims,
      patchDim,
      rnn1Params,
      rnn1Buffers,
      rnn1Scales,
      0,
      0,
    );
  }
  q15VScaleUp(buffer, summaries, buffer, shL1);
  q15VScaleDown(buffer, summaries, buffer, shR1);
  rnn2(output, h2, buffer, h1, patchDim, rnn2Params, rnn2Buffers, rnn2Scales, 0, 0);
  rnn2(output.subarray(h2), h2, buffer, h1, patchDim, rnn2Params, rnn2Buffers, rnn2Scales, 1, 0);

  buffer.fill(0, 0, summaries);
  for (let c = 0; c < patchDim; c++) {
    for (let r = 0; r < patchDim; r++) {
      rnn1(buffer.subarray(c * h1), h1, pixel(r, c), inputDims, 1, rnn1Params, rnn1Buffers, rnn1Scales, 0, 0);
    }
  }
  q15VScaleUp(buffer, summaries, buffer, shL1);
  q15VScaleDown(buffer, summaries, buffer, shR1);
  rnn2(output.subarray(2 * h2), h2, buffer, h1, patchDim, rnn2Params, rnn2Buffers, rnn2Scales, 0, 0);
  rnn2(output.subarray(3 * h2), h2, buffer, h1, patchDim, rnn2Params, rnn2Buffers, rnn2Scales, 1, 0);

  q15VScaleUp(output, 4 * h2, output, shL2);
  q15VScaleDown(output, 4 * h2, output, shR2);
  return 0;
}

/** q15_rnnpool_block: Q15 patch. `buffer` holds hiddenDims1 patchDim values, `output` 4 hiddenDims2. */
export function q15RnnpoolBlock<P1, B1, S1, P2, B2, S2>(
  patch: Int16Array,
  inputDims: number,
  patchDim: number,
  stride: number,
  rnn1: Q15Rnn<P1, B1, S1>,
  hiddenDims1: number,
  rnn1Params: P1,
  rnn1Buffers: B1,
  rnn1Scales: S1,
  rnn2: Q15Rnn<P2, B2, S2>,
  hiddenDims2: number,
  rnn2Params: P2,
  rnn2Buffers: B2,
  rnn2Scales: S2,
  output: Int16Array,
  buffer: Int16Array,
  shR1: number,
  shL1: number,
  shR2: number,
  shL2: number,
): number {
  return rnnpoolBlock(
    patch,
    inputDims,
    patchDim,
    stride,
    rnn1,
    hiddenDims1,
    rnn1Params,
    rnn1Buffers,
    rnn1Scales,
    rnn2,
    hiddenDims2,
    rnn2Params,
    rnn2Buffers,
    rnn2Scales,
    output,
    buffer,
    shR1,
    shL1,
    shR2,
    shL2,
  );
}

/** q7xq15_q15_rnnpool_block: Q7 patch (the M4 face pipeline's RNNPool). */
export function q7xq15Q15RnnpoolBlock<P1, B1, S1, P2, B2, S2>(
  patch: Int8Array,
  inputDims: number,
  patchDim: number,
  stride: number,
  rnn1: Q7xQ15Q15Rnn<P1, B1, S1>,
  hiddenDims1: number,
  rnn1Params: P1,
  rnn1Buffers: B1,
  rnn1Scales: S1,
  rnn2: Q15Rnn<P2, B2, S2>,
  hiddenDims2: number,
  rnn2Params: P2,
  rnn2Buffers: B2,
  rnn2Scales: S2,
  output: Int16Array,
  buffer: Int16Array,
  shR1: number,
  shL1: number,
  shR2: number,
  shL2: number,
): number {
  return rnnpoolBlock(
    patch,
    inputDims,
    patchDim,
    stride,
    rnn1,
    hiddenDims1,
    rnn1Params,
    rnn1Buffers,
    rnn1Scales,
    rnn2,
    hiddenDims2,
    rnn2Params,
    rnn2Buffers,
    rnn2Scales,
    output,
    buffer,
    shR1,
    shL1,
    shR2,
    shL2,
  );
}

/** An RNNPool layer with FastGRNN cells: RNN1 reads the Q7 image, RNN2 the Q15 summaries. */
export interface RnnPoolModel {
  inputDims: number;
  patchDim: number;
  hiddenDims1: number;
  hiddenDims2: number;
  rnn1: { params: Q7xQ15FastGrnnParams; scales: FastGrnnScales };
  rnn2: { params: Q15FastGrnnParams; scales: FastGrnnScales };
  /** Power-of-two divisors / multipliers of the summaries (1) and of the output (2). */
  shR1: number;
  shL1: number;
  shR2: number;
  shL2: number;
}

/**
 * RNNPool of the patch at `patch[0]` (a Q7 HWC image whose rows are `stride` pixels apart) with
 * q7xq15_q15_fastgrnn / q15_fastgrnn, as EdgeML's M4 face pipeline calls it: 4 hiddenDims2 Q15 values.
 */
export function rnnpoolPatchQ7(model: RnnPoolModel, patch: Int8Array, stride: number): Int16Array {
  const { inputDims, patchDim, hiddenDims1: h1, hiddenDims2: h2 } = model;
  const output = new Int16Array(4 * h2);
  q7xq15Q15RnnpoolBlock(
    patch,
    inputDims,
    patchDim,
    stride,
    q7xq15Q15Fastgrnn,
    h1,
    model.rnn1.params,
    createQ7xQ15FastGrnnBuffers(h1, inputDims),
    model.rnn1.scales,
    q15Fastgrnn,
    h2,
    model.rnn2.params,
    createQ15FastGrnnBuffers(h2, h1),
    model.rnn2.scales,
    output,
    new Int16Array(h1 * patchDim),
    model.shR1,
    model.shL1,
    model.shR2,
    model.shL2,
  );
  return output;
}
