// What m4sim knows about one detector architecture, in one place (src/architectures/<name>.ts): the
// layers as the firmware publishes them (id, name, type, shape, MACs), the static arena plan, the
// firmware sources, what the pipeline reads from the model's headers, the head geometry, the
// TypeScript reference and the box decoder. The C layer ids and arena offsets are generated from it
// (c-header.ts → m4sim_layers.h); validation, build, run, profile and report all look it up from the
// model (index.ts: architectureOf).
import type { Model } from '../model/format.js';
import type { LayerResult } from '../reference/pipeline.js';
import type { Box } from '../reference/postprocess.js';

/** Element type of a layer's published tensor: int8, int16, or the boxes stage's pp_box records. */
export type TensorDtype = 'q7' | 'q15' | 'pp_box';

export interface LayerSpec {
  /** 1-based, in run order: the id the firmware writes on the ITM layer markers. */
  id: number;
  /** Lower case, as reports show it; the C enum is LAYER_<NAME> with every other character `_`. */
  name: string;
  dtype: TensorDtype;
  /** Shape of the published tensor (HWC; a flat length for concatenations), from the model's defines. */
  shape(model: Model): number[];
  /** Multiply-accumulates of the layer, from the model's defines (formulas: common.ts). */
  macs(model: Model): number;
  /** Ids of the arena buffers (ArenaPlan.buffers) live while the layer runs; they do not overlap. */
  live: readonly string[];
}

/** One region of the arena: a tensor or a scratch buffer with one meaning for its whole life. */
export interface ArenaBuffer {
  /** C name suffix: the generated header defines M4SIM_ARENA_<id> (offset) and M4SIM_ARENA_<id>_BYTES. */
  id: string;
  /** What it holds, as reports show it. */
  name: string;
  /** Byte offsets into the arena, [start, end). */
  start: number;
  end: number;
}

/**
 * The static memory plan: one arena (`m4sim_input`, whose first 76,800 bytes hold the frame unless the
 * firmware streams it from the camera, firmware/app/camera.h), buffers at
 * fixed offsets for the architecture's shapes. The C pipeline checks with _Static_assert that the
 * model's shapes fit the buffers it uses.
 */
export interface ArenaPlan {
  /** Arena size: the peak of the live bytes over the layers (M4SIM_ARENA_BYTES, the ABI's arena_bytes). */
  bytes: number;
  buffers: readonly ArenaBuffer[];
}

/** A detection head: which MBConv layer feeds it, its prior geometry and its output divisors. */
export interface HeadGeometry {
  /** The MBConv layer (L<n>) whose output the head reads; its HOUT x WOUT are the head's cells. */
  layer: number;
  /** Prior box step and square anchor size, in input pixels. */
  step: number;
  anchor: number;
  /** Divisors (C `/`) applied to the head's conf / loc values when the output vector is assembled. */
  confScale?: number;
  locScale?: number;
  /** Whether the head starts with an L2 norm and per-channel weight (DxNW, Dx_ScaleIn/Out). */
  l2norm: boolean;
}

/** What the pipeline reads from one model header. */
export interface HeaderRequirement {
  header: string;
  defines: string[];
  arrays: string[];
  scalars: string[];
  structs: string[];
}

export interface BoxOptions {
  /** Q15 score threshold (keep score > threshold); default 16384 (0.5). */
  threshold?: number;
  /** Boxes kept at most; default and cap: the architecture's maxBoxes (the firmware's cap). */
  maxBoxes?: number;
}

/** Boxes (Q4 pixel corners, Q15 score) from the raw outputs, as the firmware's boxes layer computes them. */
export type BoxDecoder = (model: Model, outputs: Int16Array, opts?: BoxOptions) => Box[];

/** The TypeScript pipeline on one frame: the raw outputs and every layer (ids 1 .. the outputs layer). */
export type ReferencePipeline = (
  model: Model,
  frame: Int8Array,
) => { outputs: Int16Array; layers: LayerResult[] };

export interface ArchitectureDescriptor<N extends string = string> {
  /** The model file's `architecture` value. */
  name: N;
  /** Where it comes from, one line. */
  summary: string;
  /** MBConv headers (mbconv1.h … mbconv<n>.h). */
  mbconvs: number;
  /** MBConv layers followed by a residual add (their headers hold Scten1/Scten2/Scret). */
  residual: readonly number[];
  /** RNNPool patch side (rnn1.h PATCH_DIM); the stride is half of it. */
  patchDim: number;
  /** Detection heads H1, H2, … (detection1.h, …). */
  heads: readonly HeadGeometry[];
  /** Real value of a raw output = q / 2^shift, for heads whose model entry gives no confShift/locShift. */
  defaultOutputShift: number;
  /** The firmware's cap on kept boxes (M4SIM_MAX_BOXES). */
  maxBoxes: number;
  /** Every layer the firmware publishes, in id order; the reference produces all but the last (boxes). */
  layers: readonly LayerSpec[];
  arena: ArenaPlan;
  /**
   * Patch rows per RNNPool band (RNNPOOL_BAND_ROWS, firmware/kernels/rnnpool.h), for a pipeline whose
   * arena holds the band's rows and its RNNPool_ShareCache; absent: rnnpool.h's default (the cache on
   * the stack).
   */
  rnnpoolBandRows?: number;
  /** Pipeline sources in firmware/app besides main.c and layer_markers.c; one defines m4sim_input and detector_run(). */
  firmwareSources: readonly string[];
  /** The headers, in include order, and what the pipeline reads from each. */
  headers: readonly HeaderRequirement[];
  reference: ReferencePipeline;
  boxes: BoxDecoder;
  /** The published figures of this architecture on a part, when a paper gives them. */
  paper?: PaperFigures;
}

/** A paper's measurement of an architecture on real silicon. */
export interface PaperFigures {
  /** Where the figures come from, e.g. "Saha et al. 2020, Table 5". */
  source: string;
  part: string;
  clockHz: number;
  /** Peak RAM as the paper gives it (188 KB is read as 188,000 bytes). */
  peakRamBytes: number;
  /** Seconds per frame as measured in the paper. */
  seconds: number;
  /** seconds × clock, rounded as the paper gives it. */
  cycles: number;
}
