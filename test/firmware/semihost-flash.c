// Hands semihosting calls that write guest memory a buffer in flash: a const string and 0x08000000
// (vector word 0, the initial SP). On silicon a store there faults; the host must refuse each call
// (return -1, errno EFAULT = 14) and leave flash as the ELF says. Also bad pointers for SYS_SYSTEM and
// a string in device memory (the PPB), which the host must not read. Each line of output is checked by
// test/semihosting-security.test.ts.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SYS_OPEN 0x01
#define SYS_WRITE0 0x04
#define SYS_READ 0x06
#define SYS_SYSTEM 0x12
#define SYS_ERRNO 0x13
#define SYS_GET_CMDLINE 0x15
#define SYS_HEAPINFO 0x16
#define SYS_ELAPSED 0x30

#define VECTOR_WORD0 0x08000000u

const char flash_text[32] = "a constant string in flash";
static char ram_buffer[64];
// A GET_CMDLINE parameter block that is itself in flash: the host writes the length back into it.
const uintptr_t cmdline_block_in_flash[2] = {(uintptr_t)ram_buffer, sizeof ram_buffer};

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static void report(const char *what, int result) {
  printf("%s: %d errno %d\n", what, result, result == -1 ? semihost(SYS_ERRNO, 0) : 0);
}

int main(void) {
  const char *features = ":semihosting-features";
  uintptr_t open_block[3] = {(uintptr_t)features, 0, strlen(features)};
  int h = semihost(SYS_OPEN, open_block);

  uintptr_t read_text[3] = {(uintptr_t)h, (uintptr_t)flash_text, 5};
  report("SYS_READ into a const string", semihost(SYS_READ, read_text));
  uintptr_t read_vector[3] = {(uintptr_t)h, VECTOR_WORD0, 4};
  report("SYS_READ into vector word 0", semihost(SYS_READ, read_vector));
  uintptr_t read_ram[3] = {(uintptr_t)h, (uintptr_t)ram_buffer, 4};
  report("SYS_READ into RAM", semihost(SYS_READ, read_ram));

  uintptr_t cmd_text[2] = {(uintptr_t)flash_text, sizeof flash_text};
  report("SYS_GET_CMDLINE into a const string", semihost(SYS_GET_CMDLINE, cmd_text));
  uintptr_t cmd_vector[2] = {VECTOR_WORD0, 64};
  report("SYS_GET_CMDLINE into vector word 0", semihost(SYS_GET_CMDLINE, cmd_vector));
  report("SYS_GET_CMDLINE with its block in flash", semihost(SYS_GET_CMDLINE, cmdline_block_in_flash));

  const void *heap_text = flash_text;
  report("SYS_HEAPINFO into a const string", semihost(SYS_HEAPINFO, &heap_text));
  const void *heap_vector = (const void *)VECTOR_WORD0;
  report("SYS_HEAPINFO into vector word 0", semihost(SYS_HEAPINFO, &heap_vector));

  report("SYS_ELAPSED into a const string", semihost(SYS_ELAPSED, flash_text));
  report("SYS_ELAPSED into vector word 0", semihost(SYS_ELAPSED, (const void *)VECTOR_WORD0));
  uint32_t ticks[2];
  report("SYS_ELAPSED into RAM", semihost(SYS_ELAPSED, ticks));

  uintptr_t system_bad_command[2] = {0x30000000u, 10};
  report("SYS_SYSTEM with an unmapped command", semihost(SYS_SYSTEM, system_bad_command));
  report("SYS_SYSTEM with an unmapped block", semihost(SYS_SYSTEM, (const void *)0x30000000u));
  report("SYS_WRITE0 of the PPB", semihost(SYS_WRITE0, (const void *)0xe000ed00u));
  printf("flash text: %s\n", flash_text);
  return 0;
}
