// A recursion of known depth with a fixed frame: main -> recurse(10) -> ... -> recurse(1).
// recurse's frame is in build/recursion.elf-recursion.su; the peak stack is about
// depth * frame(recurse) + the frames above it.
#include <stdio.h>

volatile unsigned depth_requested = 10;

__attribute__((noinline)) unsigned recurse(unsigned n) {
  volatile unsigned frame[8];
  frame[0] = n;
  unsigned r = 0;
  if (n > 1) r = recurse(n - 1);
  // Keeps the call a real call (no tail-recursion-with-accumulator rewrite into a loop).
  __asm__ volatile("" ::: "memory");
  return r + frame[0];
}

int main(void) {
  unsigned sum = recurse(depth_requested);
  printf("sum %u\n", sum);
  return sum == 55 ? 0 : 1;
}
