// Detector models: the m4sim model file format, EdgeML import, synthetic M4 weights and C code generation.
export * from './format.js';
export {
  importEdgeML,
  detectArchitecture,
  FASTGRNN_SCALE_RENAMES,
  FASTGRNN_SCALE_DROPPED,
} from './edgeml-import.js';
export {
  syntheticFaceM4,
  FACE2_ARRAY_STATS,
  FACE_M4_DEFAULT_SCALARS,
  FACE_M4_DEFAULT_RNN_SCALES,
  type SyntheticOptions,
} from './synthetic.js';
export {
  generateHeaders,
  renderHeader,
  renderModelHeader,
  renderCheckSource,
  DEFAULT_INCLUDES,
  type CodegenOptions,
} from './codegen.js';
export { mulberry32, type Prng } from './prng.js';
