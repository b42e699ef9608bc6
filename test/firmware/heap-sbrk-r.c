// A firmware that brings its own _sbrk_r(struct _reent *, ptrdiff_t) (the increment in R1), as a
// vendor syscalls.c may: newlib's malloc calls it instead of libc's _sbrk_r -> _sbrk. It hands out
// memory from `end` up to LIMIT bytes and refuses more with (void *)-1, so malloc(20000) fails.
#include <errno.h>
#include <reent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT 16384

extern char end[];
static char *brk_now;

void *_sbrk_r(struct _reent *r, ptrdiff_t incr) {
  if (brk_now == NULL) brk_now = end;
  if (incr > 0 && brk_now + incr > end + LIMIT) {
    r->_errno = ENOMEM;
    return (void *)-1;
  }
  char *previous = brk_now;
  brk_now += incr;
  return previous;
}

int main(void) {
  char *before = sbrk(0);
  unsigned char *a = malloc(1000);
  unsigned char *big = malloc(20000);
  if (a == NULL) {
    printf("malloc failed\n");
    return 1;
  }
  memset(a, 0x33, 1000);
  char *after = sbrk(0);
  printf("sum %u big %s\n", (unsigned)(a[0] + a[999]), big == NULL ? "refused" : "granted");
  printf("break before %lu after %lu\n", (unsigned long)before, (unsigned long)after);
  printf("break final %lu\n", (unsigned long)sbrk(0));
  free(a);
  return 0;
}
