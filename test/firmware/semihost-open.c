// Opens each host file named on its command line through SYS_OPEN, as pairs NAME MODE (the spec's
// fopen mode index: 0 "r", 4 "w"), and prints whether it opened and the errno, for the sandbox tests
// in test/semihosting-security.test.ts. Without arguments (as `m4sim simulate` runs it): the FIFO list.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_ERRNO 0x13

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static char *fifo_list[] = {"semihost-open", "fifo", "0", "fifo", "4", "sub", "0", "new.txt", "4"};

int main(int argc, char **argv) {
  if (argc < 2) {
    argc = sizeof fifo_list / sizeof fifo_list[0];
    argv = fifo_list;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    uintptr_t block[3] = {(uintptr_t)argv[i], (uintptr_t)atoi(argv[i + 1]), strlen(argv[i])};
    int h = semihost(SYS_OPEN, block);
    printf("%s %s: %s errno %d\n", argv[i], argv[i + 1], h > 0 ? "opened" : "refused",
           h > 0 ? 0 : semihost(SYS_ERRNO, 0));
    if (h > 0) {
      uintptr_t close_block[1] = {(uintptr_t)h};
      semihost(SYS_CLOSE, close_block);
    }
  }
  return 0;
}
