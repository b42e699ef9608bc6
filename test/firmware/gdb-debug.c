// A firmware to debug with gdb (test/gdb.test.ts), built with -O0 -g so every line and variable is
// where the source says: a global gdb watches (counter), one it sets (limit), a function call to
// step over (square), a float in an FPU register, printf through semihosting and an exit status that
// depends on what gdb changed: with limit 3 it prints "limit 3 counter 3 total 5 scaled 7" and exits
// with 40 + counter = 43; with limit 5, "limit 5 counter 5 total 30 scaled 45" and 45.
#include <stdio.h>
#include <stdlib.h>

volatile int counter;
volatile int limit = 3;
volatile float scale = 1.5f;

__attribute__((noinline)) int square(int x) {
  return x * x;
}

int main(void) {
  int total = 0;
  for (int i = 0; i < limit; i++) {
    counter = counter + 1;
    total += square(i);
  }
  float scaled = scale * (float)total;
  printf("limit %d counter %d total %d scaled %d\n", limit, counter, total, (int)scaled);
  exit(40 + counter);
}
