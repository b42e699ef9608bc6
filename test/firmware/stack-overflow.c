// Unbounded recursion with 1 KiB frames: the stack grows down from the top of SRAM through the heap
// gap into .bss, where a 64 KiB array sits. On hardware this silently corrupts `big`.
#include <stdio.h>

static volatile char big[64 * 1024];
// Always 1; volatile so the compiler cannot see the recursion is infinite.
volatile int keep_going = 1;

__attribute__((noinline)) int dive(int n) {
  volatile char buf[1024];
  buf[0] = (char)n;
  buf[sizeof buf - 1] = big[n & 0xffff];
  int r = keep_going ? dive(n + 1) : 0;
  __asm__ volatile("" ::: "memory");
  return r + buf[5];
}

int main(void) {
  big[0] = 1;
  printf("diving\n");
  return dive(0);
}
