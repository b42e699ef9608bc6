// Prints through newlib's stdio (semihosting SYS_WRITE) and exits with status 3 (SYS_EXIT_EXTENDED).
// The hello-elf scenario builds it from here (a scenario's sources live in its folder); the tests build
// it as test/firmware/hello.c, a link to this file.
#include <stdio.h>
#include <stdlib.h>

volatile int answer = 42;
volatile float ratio = 3.25f;

int main(void) {
  printf("hello from the M4\n");
  printf("answer = %d, ratio = %.2f\n", answer, (double)ratio);
  exit(3);
}
