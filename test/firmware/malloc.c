// Takes 10000 bytes from the heap (newlib malloc -> _sbrk), touches all of it, prints, frees.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  unsigned char *p = malloc(10000);
  if (p == NULL) {
    printf("malloc failed\n");
    return 1;
  }
  memset(p, 0x5a, 10000);
  unsigned sum = 0;
  for (int i = 0; i < 10000; i += 100) sum += p[i];
  printf("malloc ok, sum %u\n", sum);
  // The heap as the firmware itself sees it: newlib's _sbrk starts the break at the linker's `end`.
  extern char end;
  printf("heap %u\n", (unsigned)((char *)sbrk(0) - &end));
  free(p);
  exit(0);
}
