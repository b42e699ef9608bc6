// Writes FLOOD_BYTES bytes of output through semihosting SYS_WRITE to stdout, 64 KiB at a time: lines
// of 63 'x' and a newline. Exits 0 when all of it was written.
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#ifndef FLOOD_BYTES
#define FLOOD_BYTES (200u * 1024u * 1024u)
#endif

static char chunk[64 * 1024];

int main(void) {
  for (uint32_t i = 0; i < sizeof chunk; i++) chunk[i] = (i % 64 == 63) ? '\n' : 'x';
  for (uint32_t done = 0; done < FLOOD_BYTES; done += sizeof chunk) {
    if (write(1, chunk, sizeof chunk) != (ssize_t)sizeof chunk) return 2;
  }
  return 0;
}
