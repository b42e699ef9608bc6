/*
 * Layer bookkeeping shared by the detector pipelines: ITM layer markers (port 1 begin, port 2 end,
 * port 3 checksum; see m4sim_abi.h) and the per-layer record in m4sim_output.
 */
#ifndef M4SIM_LAYER_MARKERS_H_
#define M4SIM_LAYER_MARKERS_H_

#include <stdint.h>

#include "m4sim_abi.h"

/* FNV-1a 32-bit over `bytes` bytes, continuing from `h` (start with M4SIM_FNV_BASIS). */
#define M4SIM_FNV_BASIS 2166136261u
uint32_t m4sim_fnv1a(uint32_t h, const void *data, uint32_t bytes);

/* Marks the start of layer `id`. */
void m4sim_layer_begin(uint32_t id);

/*
 * Ends layer `id`: checksum over one tensor (or two, e.g. a head's conf then loc), end marker, the
 * checksum on port 3, and the record in `out`. Returns nonzero when the run should stop here.
 */
int m4sim_layer_end(m4sim_output_t *out, uint32_t stop_after, uint32_t id, const void *t1, uint32_t b1,
                    const void *t2, uint32_t b2);

#endif
