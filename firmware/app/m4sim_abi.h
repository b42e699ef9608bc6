/*
 * The detector firmware <-> simulator ABI (see src/detector/abi.ts).
 *
 * In:  the simulator writes the preprocessed int8 320x240 frame at `m4sim_input` (the first 76,800
 *      bytes of the arena, in .noinit so start-up code does not clear it) and, optionally,
 *      `m4sim_control` before reset. A firmware that defines m4sim_camera_rows (camera.h; the three
 *      RNNPool face pipelines do) gets no frame there: it asks for the rows it needs as it runs, and
 *      `m4sim_input` is only its arena.
 * Out: `m4sim_output` after exit: where the 18000 raw head outputs and the boxes are, and one
 *      FNV-1a checksum per layer.
 * Markers: ITM stimulus port 1 = layer begin (layer id), port 2 = layer end (layer id), port 3 = the
 *      layer's checksum, written right after its end marker. Each layer's tensor is whole in the
 *      arena at its end marker (tensor_address); a later layer may write over it.
 */
#ifndef M4SIM_ABI_H_
#define M4SIM_ABI_H_

#include <stdint.h>

#define M4SIM_OUTPUT_MAGIC 0x4453344Du  /* "M4SD" */
#define M4SIM_CONTROL_MAGIC 0x4C52544Du /* "MTRL" */
#define M4SIM_MAX_LAYERS 16

typedef struct {
  uint32_t magic;         /* M4SIM_CONTROL_MAGIC when the rest is valid */
  uint32_t stop_after;    /* layer id to stop after (its tensor stays in the arena), 0: run all */
  uint32_t threshold_q15; /* box score threshold, keep score > threshold */
  uint32_t max_boxes;
} m4sim_control_t;

typedef struct {
  uint32_t magic;
  uint32_t version;
  uint32_t raw_address; /* int16_t[raw_count] */
  uint32_t raw_count;
  uint32_t box_address; /* pp_box[box_count] */
  uint32_t box_count;
  uint32_t layer_count; /* layers completed */
  uint32_t checksums[M4SIM_MAX_LAYERS];
  uint32_t tensor_address[M4SIM_MAX_LAYERS]; /* where each layer's output was when it ended */
  uint32_t tensor_bytes[M4SIM_MAX_LAYERS];
  uint32_t tensor2_address[M4SIM_MAX_LAYERS]; /* heads: loc (the first tensor is conf), else 0 */
  uint32_t tensor2_bytes[M4SIM_MAX_LAYERS];
  uint32_t arena_bytes; /* size of the arena the static memory plan uses */
} m4sim_output_t;

/*
 * Implemented by each architecture's pipeline file, which also defines the arena
 * `uint8_t m4sim_input[]` (in .noinit, 8-aligned). max_boxes is capped by the pipeline.
 */
int detector_run(uint32_t stop_after, uint32_t threshold_q15, uint32_t max_boxes, m4sim_output_t *out);

#endif
