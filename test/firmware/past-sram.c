// Writes just past the end of SRAM (0x20000000 + 256 KiB): the simulator must report the bad address.
#include <stdint.h>
#include <stdio.h>

int main(void) {
  printf("writing past SRAM\n");
  *(volatile uint32_t *)(0x20040000u + 16u) = 0xdeadbeefu;
  printf("still running\n");
  return 0;
}
