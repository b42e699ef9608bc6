/*
 * The detector firmware: the frame arrives at m4sim_input (see m4sim_abi.h), the architecture's
 * pipeline runs (detector_run, defined with the arena by face_m4.c or another architecture file),
 * the results are described by m4sim_output, and main returns 0 (newlib's start-up exits through
 * semihosting). Runs unchanged on a real STM32F4 with a debugger attached for semihosting.
 */
#include <stdint.h>

#include "m4sim_abi.h"

__attribute__((section(".noinit"))) volatile m4sim_control_t m4sim_control;
m4sim_output_t m4sim_output;

int main(void) {
  uint32_t stop_after = 0, threshold = 16384, max_boxes = 0xFFFFFFFFu;
  if (m4sim_control.magic == M4SIM_CONTROL_MAGIC) {
    stop_after = m4sim_control.stop_after;
    threshold = m4sim_control.threshold_q15;
    max_boxes = m4sim_control.max_boxes;
  }
  return detector_run(stop_after, threshold, max_boxes, &m4sim_output);
}
