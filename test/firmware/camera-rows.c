// The camera row protocol (firmware/app/camera.h) from the firmware side: the whole frame streamed in
// through a 3-row buffer (its FNV-1a printed), then hostile requests, each of which the host must
// refuse (-1, SYS_ERRNO) without touching the buffer: rows past the frame, no rows, a range whose end
// wraps, a destination in flash, one that runs past the end of RAM, one in unmapped memory, and a
// parameter block in unmapped memory. Checked by test/camera.test.ts.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// The detector's own request function, compiled in (it includes camera.h next to it).
#include "../../firmware/app/camera.c"

#define SYS_ERRNO 0x13
#define RAM_END 0x20040000u /* boards/m4-256k.json: 256 KiB of SRAM at 0x20000000 */

static int8_t rows[3 * M4SIM_CAMERA_WIDTH];

static int semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return (int)r0;
}

static void report(const char *what, int result) {
  printf("%s: %d errno %d\n", what, result, result == -1 ? semihost(SYS_ERRNO, 0) : 0);
}

/* True when the buffer still holds the sentinel the hostile calls must leave. */
static int untouched(void) {
  for (uint32_t i = 0; i < sizeof rows; i++)
    if (rows[i] != 0x5a) return 0;
  return 1;
}

int main(void) {
  uint32_t h = 2166136261u;
  int ok = 0;
  // 240 rows in requests of 3, 3, ... (80 of them), hashed in row order.
  for (uint32_t r = 0; r < M4SIM_CAMERA_HEIGHT; r += 3) {
    ok |= m4sim_camera_rows(rows, r, 3);
    for (uint32_t i = 0; i < sizeof rows; i++) h = (h ^ (uint8_t)rows[i]) * 16777619u;
  }
  printf("frame in rows: %d fnv1a %08lx\n", ok, (unsigned long)h);
  report("the last row", m4sim_camera_rows(rows, 239, 1));

  memset(rows, 0x5a, sizeof rows);
  report("rows 239..240", m4sim_camera_rows(rows, 239, 2));
  report("row 240", m4sim_camera_rows(rows, 240, 1));
  report("no rows", m4sim_camera_rows(rows, 0, 0));
  report("rows 0xffffffff..0", m4sim_camera_rows(rows, 0xffffffffu, 2));
  report("2^31 rows", m4sim_camera_rows(rows, 1, 0x80000000u));
  report("into flash", m4sim_camera_rows((int8_t *)0x08000000u, 0, 1));
  report("past the end of RAM", m4sim_camera_rows((int8_t *)(RAM_END - 100), 0, 1));
  report("into unmapped memory", m4sim_camera_rows((int8_t *)0x30000000u, 0, 1));
  report("block in unmapped memory", semihost(M4SIM_SEMIHOSTING_CAMERA_ROWS, (const void *)0x30000000u));
  printf("buffer untouched: %d\n", untouched());
  return 0;
}
