/* The camera rows request: see camera.h. */
#include "camera.h"

int m4sim_camera_rows(int8_t *dest, uint32_t first_row, uint32_t row_count) {
  volatile uint32_t block[3] = {(uint32_t)(uintptr_t)dest, first_row, row_count};
  register uint32_t r0 __asm__("r0") = M4SIM_SEMIHOSTING_CAMERA_ROWS;
  register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
  /* The host writes dest and reads block: both are memory the compiler must not cache across the call. */
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return (int32_t)r0;
}
