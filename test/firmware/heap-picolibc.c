// picolibc (Debian's picolibc-arm-none-eabi, semihosting): its malloc takes memory with sbrk (not
// newlib's _sbrk). malloc(1000), written all over; the firmware prints the break movement itself.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char *before = sbrk(0);
  unsigned char *p = malloc(1000);
  if (p == NULL) {
    printf("malloc failed\n");
    return 1;
  }
  memset(p, 0x5a, 1000);
  char *after = sbrk(0);
  printf("sum %u\n", (unsigned)(p[0] + p[999]));
  printf("break before %lu after %lu\n", (unsigned long)before, (unsigned long)after);
  free(p);
  return 0;
}
