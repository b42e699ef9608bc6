// newlib's malloc of known sizes: its memory comes from _sbrk_r -> _sbrk, and the firmware's own
// sbrk(0) (sbrk -> _sbrk_r -> _sbrk, three nested break calls) shows the break before and after.
// Nothing is printed until the allocations are done, because newlib's first printf takes its stdout
// buffer from the heap; the last line shows the break after that too.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char *before = sbrk(0);
  unsigned char *a = malloc(10000);
  unsigned char *b = malloc(5000);
  if (a == NULL || b == NULL) {
    printf("malloc failed\n");
    return 1;
  }
  memset(a, 0x11, 10000);
  memset(b, 0x22, 5000);
  char *after = sbrk(0);
  // Reading the blocks back keeps the compiler from dropping them.
  printf("sum %u\n", (unsigned)(a[0] + a[9999] + b[0] + b[4999]));
  printf("break before %lu after %lu\n", (unsigned long)before, (unsigned long)after);
  printf("break final %lu\n", (unsigned long)sbrk(0));
  free(b);
  free(a);
  return 0;
}
